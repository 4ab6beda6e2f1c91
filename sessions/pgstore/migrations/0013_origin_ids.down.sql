DROP INDEX IF EXISTS transcript_origin;
ALTER TABLE transcript DROP COLUMN IF EXISTS origin_sender, DROP COLUMN IF EXISTS origin_id;
