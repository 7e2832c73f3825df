-- Sessions slide with activity and end at an absolute limit; both are decided from these
-- columns (the session store's own expiry is pushed forward when `last_seen_at` moves).
ALTER TABLE user_sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();
