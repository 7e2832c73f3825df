-- Sign-in through a login provider (Google, Facebook, Instagram): which provider account
-- belongs to which Growthdesk account. One provider account links to at most one Growthdesk
-- account, and a Growthdesk account to at most one account per provider.

CREATE TABLE user_identities (
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider      text NOT NULL CHECK (provider IN ('google', 'facebook', 'instagram')),
    -- The provider's stable id for the person (OpenID Connect `sub`, Facebook `id`, …).
    subject       text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    -- What the provider said when linking, to show in account settings.
    email         text,
    display_name  text,
    linked_at     timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    PRIMARY KEY (provider, subject),
    UNIQUE (user_id, provider)
);
