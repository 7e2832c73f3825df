-- Every mail the product sends, with its delivery: queued (made, not yet tried), sending (a
-- try is under way; found so again, the try died midway and the mail goes out once more with
-- the same Message-ID), sent (with the mail server's answer), failed (with the error; the job
-- tries again after its back-off). One row per mail: its key makes a repeated job find the
-- mail it sent before instead of sending it twice.
CREATE TABLE mail_outbox (
    id uuid PRIMARY KEY,
    -- What the mail is about and which one it is ("order_update:<order>:<entry>").
    dedupe_key text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 300),
    -- The template (order_confirmation, verify_email, …).
    kind text NOT NULL CHECK (length(kind) BETWEEN 1 AND 60),
    lang text NOT NULL CHECK (lang IN ('de', 'en')),
    to_address text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 320),
    subject text NOT NULL,
    -- The plain text and HTML bodies; emptied once sent when they held a secret link
    -- (verification, password reset), so that no usable token stays in the database.
    text_body text,
    html_body text,
    sensitive boolean NOT NULL DEFAULT false,
    order_id uuid REFERENCES orders (id) ON DELETE SET NULL,
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    -- The mail server's last answer ("250 2.0.0 Ok: queued as …") or the error.
    answer text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX mail_outbox_by_order ON mail_outbox (order_id, created_at) WHERE order_id IS NOT NULL;
CREATE INDEX mail_outbox_by_user ON mail_outbox (user_id, created_at) WHERE user_id IS NOT NULL;
CREATE INDEX mail_outbox_by_recipient ON mail_outbox (lower(to_address), created_at);
CREATE INDEX mail_outbox_unsent ON mail_outbox (state, updated_at) WHERE state <> 'sent';
