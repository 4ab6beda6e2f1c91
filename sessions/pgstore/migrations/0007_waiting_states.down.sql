-- Sessions in the new states cannot be kept under the old check.
DELETE FROM sessions WHERE state IN ('abandoned', 'missed');
ALTER TABLE sessions DROP CONSTRAINT sessions_state_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_state_check
    CHECK (state IN ('queued', 'active', 'suspended', 'closed', 'expired'));
DROP INDEX sessions_live_deadline_idx;
CREATE INDEX sessions_live_deadline_idx ON sessions (deadline)
    WHERE state IN ('queued', 'active', 'suspended') AND deadline IS NOT NULL;
