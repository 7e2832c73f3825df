-- The local database roles (run by `make roles` as the PostgreSQL superuser; idempotent):
--   growthdesk_owner    owns the databases and runs the migrations (MIGRATION_DATABASE_URL)
--   growthdesk_runtime  what the server and the worker may do (granted by the migrations)
--   growthdesk_app      the server's and the worker's login (DATABASE_URL), a member of the above
-- Trust authentication on this machine: no passwords. Elsewhere give both logins passwords.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'growthdesk_owner') THEN
        CREATE ROLE growthdesk_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'growthdesk_runtime') THEN
        CREATE ROLE growthdesk_runtime NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'growthdesk_app') THEN
        CREATE ROLE growthdesk_app LOGIN IN ROLE growthdesk_runtime;
    END IF;
END
$$;
