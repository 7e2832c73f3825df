-- The worker's schedule: when each scheduled task last ran. With several worker processes a run
-- is claimed by moving `last_run_at` forward (only once the task's interval has passed), so each
-- task runs once per interval across all of them. Rows appear on a task's first claim.
CREATE TABLE scheduled_runs (
    name             text PRIMARY KEY,
    -- When the last run was claimed (the database's clock).
    last_run_at      timestamptz NOT NULL,
    -- When it ended, and why it failed (NULL when it succeeded); for people, not for claims.
    last_finished_at timestamptz,
    last_error       text
);
