-- Leads from the "talk to us" form on the landing page.
CREATE TABLE leads (
    id                   uuid PRIMARY KEY,
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    email                text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    instagram_handle     text CHECK (instagram_handle ~ '^[a-z0-9._]{1,30}$'),
    message              text NOT NULL CHECK (length(message) BETWEEN 1 AND 4000),
    locale               text NOT NULL CHECK (locale IN ('de', 'en')),
    -- When the person ticked the consent box; a lead without consent is never stored.
    consent_at           timestamptz NOT NULL,
    -- Identifies "the same submission" for de-duplication: lower-cased email and a digest of the
    -- normalised message.
    dedupe_key           text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    -- Set by the worker once each mail has left, so a retried job does not send it twice.
    confirmation_sent_at timestamptz,
    notification_sent_at timestamptz
);

CREATE INDEX leads_dedupe_idx ON leads (dedupe_key, created_at DESC);
CREATE INDEX leads_created_idx ON leads (created_at DESC);
