-- Messages sent exactly once (docs/protocol.md, "Messages sent exactly
-- once"): a client marks each message with a XEP-0359 origin-id and resends
-- it with the same one when it saw no reflection. At most one transcript
-- entry per (session, sender, origin-id), also across a restart or a
-- takeover; the sender is 'visitor' (the session's visitor, whatever its JID)
-- or an agent's bare JID.
ALTER TABLE transcript
    ADD COLUMN origin_id     text,
    ADD COLUMN origin_sender text;

CREATE UNIQUE INDEX transcript_origin ON transcript (session_id, origin_sender, origin_id)
    WHERE origin_id IS NOT NULL;
