-- Issue 7: two more session states. 'abandoned' is terminal (the visitor left
-- the queue); 'missed' is live (a message left when nobody could chat, until
-- an agent takes it).
ALTER TABLE sessions DROP CONSTRAINT sessions_state_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_state_check
    CHECK (state IN ('queued', 'active', 'suspended', 'closed', 'expired', 'abandoned', 'missed'));
DROP INDEX sessions_live_deadline_idx;
CREATE INDEX sessions_live_deadline_idx ON sessions (deadline)
    WHERE state IN ('queued', 'active', 'suspended', 'missed') AND deadline IS NOT NULL;
