-- Active/standby (docs/protocol.md, "Operators: availability"). The active
-- parleyd holds a session-level advisory lock on a dedicated connection and
-- this one row says who it is; epoch grows by one at every takeover.
CREATE TABLE leader (
    id         int         PRIMARY KEY CHECK (id = 1),
    epoch      bigint      NOT NULL DEFAULT 0,
    holder     text        NOT NULL DEFAULT '',
    pid        int         NOT NULL DEFAULT 0,  -- backend pid of the holder's lock connection
    since      timestamptz,
    renewed_at timestamptz                      -- the holder's heartbeat
);
INSERT INTO leader (id) VALUES (1);

-- The fencing check at the start of each commit: fails (SQLSTATE PF001) unless
-- epoch is still the current one, and holds a share lock on the row until the
-- commit ends, so that a takeover (which updates the row) waits for commits in
-- flight and every commit after it by an older leader fails.
CREATE FUNCTION parley_fence(want bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM leader WHERE id = 1 AND epoch = want FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'parley: fenced: epoch % is no longer the active one', want
            USING ERRCODE = 'PF001';
    END IF;
END
$$;
