-- Two database roles: migrations run as the owner of the schema; the server and the worker
-- connect as a login role that is a member of `growthdesk_runtime`, which may read and write
-- the application's tables but only read and append to the audit log. Not being the owner,
-- it can neither alter the table nor drop its append-only triggers.
--
-- Roles belong to the whole PostgreSQL cluster: created here when missing (the owner then
-- needs CREATEROLE; `make db` creates it beforehand, so the owner does not).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'growthdesk_runtime') THEN
        CREATE ROLE growthdesk_runtime NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    -- Another database of the cluster created it at the same moment.
    NULL;
END
$$;

GRANT USAGE ON SCHEMA public, apalis, tower_sessions TO growthdesk_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, apalis, tower_sessions
    TO growthdesk_runtime;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public, apalis, tower_sessions
    TO growthdesk_runtime;

-- The audit log: read and append only.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM growthdesk_runtime;
-- Migration bookkeeping is the owner's.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM growthdesk_runtime;

-- Tables and sequences that later migrations create get the same rights.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO growthdesk_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO growthdesk_runtime;
