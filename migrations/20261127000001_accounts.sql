-- Accounts: people who can sign in, their roles, single-use tokens, and the audit log.

CREATE TABLE users (
    id                    uuid PRIMARY KEY,
    email                 text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    -- NULL for accounts that only sign in through a login provider (or have not set one yet).
    password_hash         text,
    email_verified_at     timestamptz,
    locale                text NOT NULL DEFAULT 'de' CHECK (locale IN ('de', 'en')),
    -- Set when the person asked for deletion: the account can no longer sign in.
    locked_at             timestamptz,
    deletion_requested_at timestamptz,
    -- Sessions that signed in before this moment are no longer valid (password reset,
    -- "sign out everywhere").
    sessions_valid_after  timestamptz NOT NULL DEFAULT now(),
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE user_roles (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('client', 'admin', 'finance')),
    granted_at timestamptz NOT NULL DEFAULT now(),
    granted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (user_id, role)
);

-- Email verification and password reset links. Only a SHA-256 of the token is stored, so a
-- copy of the database does not hold usable links.
CREATE TABLE account_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    -- For 'change_email': the address that becomes the account's once the link is used.
    new_email  text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);

-- What happened, by whom: security events and every admin and finance action. Rows keep the
-- actor's id without a foreign key, so the log outlives the accounts it mentions.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   uuid,
    action     text NOT NULL,
    subject_id uuid,
    ip         text,
    details    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);

-- Append-only, enforced by the database for every role, the application's included.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Server-side sessions, in the layout tower-sessions' Postgres store expects (created here so
-- one migrator owns the whole schema).
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS session_expiry_idx ON tower_sessions.session (expiry_date);

-- Fixed-window counters for rate limits (sign-in, sign-up, password reset), shared by every
-- server process.
CREATE TABLE rate_limits (
    bucket       text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- Which sessions belong to whom, for "your active sessions" and "sign out everywhere else".
-- A row whose session has expired or ended no longer counts (joined with the session table).
CREATE TABLE user_sessions (
    session_id text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    user_agent text,
    ip         text
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);
