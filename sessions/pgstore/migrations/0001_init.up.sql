-- Parley schema, version 1. Table names are unqualified: the connection's
-- search_path chooses the schema.

-- Who may do what. The service LISTENs on parley_permissions and reloads.
CREATE TABLE permissions (
    jid        text        NOT NULL CHECK (jid <> ''),
    permission text        NOT NULL CHECK (permission IN ('chat', 'supervise', 'admin')),
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (jid, permission)
);

-- Queue restriction per agent. No row: the agent may serve every queue.
CREATE TABLE agents (
    jid    text   PRIMARY KEY CHECK (jid <> ''),
    queues text[] NOT NULL DEFAULT '{}'
);

-- Visitor tokens, by SHA-256 hash only.
CREATE TABLE visitor_tokens (
    hash       bytea       PRIMARY KEY CHECK (octet_length(hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    id            text        PRIMARY KEY CHECK (id <> ''),
    token_hash    bytea       REFERENCES visitor_tokens (hash),
    queue         text        NOT NULL,
    state         text        NOT NULL
                  CHECK (state IN ('queued', 'active', 'suspended', 'closed', 'expired')),
    owner         text        NOT NULL DEFAULT '',
    visitor_jids  text[]      NOT NULL DEFAULT '{}',
    visitor       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(visitor) = 'object'),
    question      text        NOT NULL DEFAULT '',
    suspended_by  text        NOT NULL DEFAULT ''
                  CHECK (suspended_by IN ('', 'visitor', 'agent', 'system')),
    suspend_cause text        NOT NULL DEFAULT '',
    explicit      boolean     NOT NULL DEFAULT false,
    replaces      text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    assigned_at   timestamptz,            -- NULL until an agent joined
    suspended_at  timestamptz,            -- NULL unless suspended
    ended_at      timestamptz,            -- NULL while live
    deadline      timestamptz,            -- NULL: no timer
    updated_at    timestamptz NOT NULL
);

CREATE INDEX sessions_token_hash_idx ON sessions (token_hash) WHERE token_hash IS NOT NULL;
-- Filter by state, newest first (ListSessions, Load).
CREATE INDEX sessions_state_created_idx ON sessions (state, created_at DESC);
CREATE INDEX sessions_created_idx ON sessions (created_at DESC);
-- Next timers of live sessions.
CREATE INDEX sessions_live_deadline_idx ON sessions (deadline)
    WHERE state IN ('queued', 'active', 'suspended') AND deadline IS NOT NULL;

CREATE TABLE session_agents (
    session_id text        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    jid        text        NOT NULL CHECK (jid <> ''),
    role       text        NOT NULL CHECK (role IN ('owner', 'conference')),
    at         timestamptz NOT NULL,
    PRIMARY KEY (session_id, jid)
);

-- Sessions an agent took part in.
CREATE INDEX session_agents_jid_idx ON session_agents (jid);

CREATE TABLE transcript (
    session_id  text        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq         bigint      NOT NULL CHECK (seq > 0),
    at          timestamptz NOT NULL,
    author_role text        NOT NULL
                CHECK (author_role IN ('visitor', 'agent', 'supervisor', 'system')),
    author_jid  text        NOT NULL DEFAULT '',
    nick        text        NOT NULL DEFAULT '',
    kind        text        NOT NULL
                CHECK (kind IN ('message', 'canned', 'link', 'comment', 'event')),
    body        text        NOT NULL DEFAULT '',
    payload     text        NOT NULL DEFAULT '',
    PRIMARY KEY (session_id, seq)
);

CREATE TABLE canned (
    id         text        PRIMARY KEY CHECK (id <> ''),
    title      text        NOT NULL DEFAULT '',
    body       text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Any change to permissions or agents wakes the listeners (delivered at
-- commit, once per transaction).
CREATE FUNCTION parley_notify_permissions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('parley_permissions', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER permissions_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON permissions
    FOR EACH STATEMENT EXECUTE FUNCTION parley_notify_permissions();

CREATE TRIGGER agents_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agents
    FOR EACH STATEMENT EXECUTE FUNCTION parley_notify_permissions();
