-- Instagram analytics (and any later network): the accounts clients connect, their daily
-- snapshots, their posts and each post's daily snapshot, and the alerts the numbers raise.

-- A client's connected account on one network. `source` says where its numbers come from:
-- the network's API (with the client's token, sealed with ANALYTICS_TOKEN_KEY) or the demo
-- source (generated numbers, always labelled as such).
CREATE TABLE social_accounts (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    network text NOT NULL CHECK (network IN ('instagram')),
    source text NOT NULL CHECK (source IN ('api', 'demo')),
    -- The network's id of the account (for the demo source, `demo:` and the handle).
    external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 100),
    handle text NOT NULL CHECK (length(handle) BETWEEN 1 AND 60),
    name text CHECK (length(name) <= 200),
    picture_url text CHECK (length(picture_url) <= 2000),
    account_type text CHECK (length(account_type) <= 40),
    -- The long-lived token: nonce ‖ ChaCha20-Poly1305 ciphertext, the account id as
    -- associated data. NULL for the demo source and after a disconnect.
    token_sealed bytea,
    token_expires_at timestamptz,
    token_refreshed_at timestamptz,
    -- active; needs_reconnect: the network refused the token (the client was mailed);
    -- disconnected: the client disconnected it (token deleted, the numbers kept).
    status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'needs_reconnect', 'disconnected')),
    status_reason text CHECK (length(status_reason) <= 1000),
    connected_at timestamptz NOT NULL DEFAULT now(),
    last_synced_at timestamptz,
    next_sync_at timestamptz NOT NULL DEFAULT now(),
    -- When a sync was put on the queue and has not run yet (cleared when it ran): the
    -- schedule and "sync now" do not queue a second one meanwhile.
    queued_at timestamptz,
    -- The last sync's failure (cleared by the next success) and how many in a row.
    sync_error text CHECK (length(sync_error) <= 2000),
    sync_failures integer NOT NULL DEFAULT 0 CHECK (sync_failures >= 0),
    UNIQUE (user_id, network, external_id),
    CHECK (source = 'demo' OR status <> 'active' OR token_sealed IS NOT NULL)
);

CREATE INDEX social_accounts_due ON social_accounts (next_sync_at) WHERE status = 'active';
CREATE INDEX social_accounts_by_user ON social_accounts (user_id);

-- When a network limits our calls (its usage headers near the limit, or a rate-limit error),
-- every process waits until `until` before calling it again.
CREATE TABLE network_backoff (
    network text PRIMARY KEY,
    until timestamptz NOT NULL,
    reason text NOT NULL CHECK (length(reason) <= 1000)
);

-- One row per account and day. Counts (followers, follows, media) are as of the sync; the
-- insights are the day's totals. A metric the network did not give (too few viewers, not
-- offered for this account) is NULL: missing, not zero.
CREATE TABLE account_snapshots (
    account_id uuid NOT NULL REFERENCES social_accounts (id) ON DELETE CASCADE,
    day date NOT NULL,
    followers bigint CHECK (followers >= 0),
    follows bigint CHECK (follows >= 0),
    media_count bigint CHECK (media_count >= 0),
    views bigint CHECK (views >= 0),
    reach bigint CHECK (reach >= 0),
    accounts_engaged bigint CHECK (accounts_engaged >= 0),
    total_interactions bigint CHECK (total_interactions >= 0),
    likes bigint CHECK (likes >= 0),
    comments bigint CHECK (comments >= 0),
    shares bigint CHECK (shares >= 0),
    saves bigint CHECK (saves >= 0),
    followers_gained bigint CHECK (followers_gained >= 0),
    followers_lost bigint CHECK (followers_lost >= 0),
    profile_links_taps bigint CHECK (profile_links_taps >= 0),
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, day)
);

-- A post, reel or story of a connected account.
CREATE TABLE social_media (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES social_accounts (id) ON DELETE CASCADE,
    external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 100),
    media_type text NOT NULL CHECK (length(media_type) <= 40),
    product_type text CHECK (length(product_type) <= 40),
    caption text CHECK (length(caption) <= 2200),
    permalink text CHECK (length(permalink) <= 2000),
    thumbnail_url text CHECK (length(thumbnail_url) <= 2000),
    posted_at timestamptz NOT NULL,
    UNIQUE (account_id, external_id)
);

-- Top posts and posting hours of a range.
CREATE INDEX social_media_by_account ON social_media (account_id, posted_at);

-- A post's lifetime numbers as of one day (one row per post and day it was synced).
CREATE TABLE media_snapshots (
    media_id uuid NOT NULL REFERENCES social_media (id) ON DELETE CASCADE,
    day date NOT NULL,
    views bigint CHECK (views >= 0),
    reach bigint CHECK (reach >= 0),
    likes bigint CHECK (likes >= 0),
    comments bigint CHECK (comments >= 0),
    saved bigint CHECK (saved >= 0),
    shares bigint CHECK (shares >= 0),
    total_interactions bigint CHECK (total_interactions >= 0),
    PRIMARY KEY (media_id, day)
);

-- The retention clean-up deletes by day.
CREATE INDEX media_snapshots_by_day ON media_snapshots (day);

-- A follower drop larger than ANALYTICS_DROP_ALERT_PERCENT inside a delivery's guarantee
-- window: admins see it (and may start a refill). One per fulfilment.
CREATE TABLE analytics_alerts (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES social_accounts (id) ON DELETE CASCADE,
    fulfilment_id uuid NOT NULL UNIQUE REFERENCES fulfilments (id) ON DELETE CASCADE,
    -- Followers when the delivery finished, and when the drop was seen.
    followers_after bigint NOT NULL,
    followers_now bigint NOT NULL,
    raised_at timestamptz NOT NULL DEFAULT now(),
    seen_at timestamptz
);
