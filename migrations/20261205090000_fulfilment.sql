-- Fulfilment: each paid line (each item of a bundle, each cycle of a subscription) becomes one
-- fulfilment, delivered by hand (a task in the admin portal) or by a provider's API. The order
-- follows its fulfilments: in fulfilment → completed, or partly fulfilled (a refund for the
-- rest is suggested).

ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN (
    'pending_payment', 'paid', 'in_fulfilment', 'completed', 'partly_fulfilled',
    'cancelled', 'refunded', 'partly_refunded'));

-- When the client was told that the delivery began (once: the first part claimed by a person
-- or taken by a provider).
ALTER TABLE orders ADD COLUMN delivery_started_at timestamptz;

-- How long after delivery a client may ask for a refill (drops are topped up for free).
ALTER TABLE products
    ADD COLUMN guarantee_days integer NOT NULL DEFAULT 30 CHECK (guarantee_days BETWEEN 0 AND 365);

-- A provider speaking the SMM panel API v2 (one endpoint, form POSTs with key and action).
CREATE TABLE fulfilment_providers (
    id uuid PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 80),
    -- Which protocol it speaks (gd_fulfilment::providers: one module per kind).
    kind text NOT NULL DEFAULT 'smm_panel_v2' CHECK (kind IN ('smm_panel_v2')),
    api_url text NOT NULL CHECK (api_url ~ '^https?://' AND length(api_url) <= 500),
    -- Only admins reach it and it is never shown again once saved.
    api_key text NOT NULL CHECK (length(api_key) BETWEEN 1 AND 200),
    -- The provider's currency and what one unit of it costs in euro, in millionths
    -- (1,000,000 = the provider bills in euro): the margin guard compares in euro cents.
    currency text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    eur_per_unit_micros bigint NOT NULL DEFAULT 1000000 CHECK (eur_per_unit_micros > 0),
    enabled boolean NOT NULL DEFAULT true,
    balance_micros bigint,
    balance_checked_at timestamptz,
    services_synced_at timestamptz,
    -- The last answer that was an error (a failed sync, a refused key).
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A provider's services as its `services` action listed them at the last sync.
CREATE TABLE provider_services (
    provider_id uuid NOT NULL REFERENCES fulfilment_providers (id) ON DELETE CASCADE,
    service text NOT NULL CHECK (length(service) BETWEEN 1 AND 40),
    name text NOT NULL,
    kind text NOT NULL DEFAULT '',
    category text NOT NULL DEFAULT '',
    -- Price per 1,000 units in millionths of the provider's currency.
    rate_micros bigint NOT NULL CHECK (rate_micros >= 0),
    min_quantity bigint NOT NULL DEFAULT 0,
    max_quantity bigint NOT NULL DEFAULT 0,
    refill boolean NOT NULL DEFAULT false,
    cancel boolean NOT NULL DEFAULT false,
    dripfeed boolean NOT NULL DEFAULT false,
    -- Still offered at the last sync (a route to a withdrawn service holds its lines).
    available boolean NOT NULL DEFAULT true,
    synced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, service)
);

-- Which provider service delivers a product, for every speed ('') or one speed. A product
-- without a route is delivered by hand.
CREATE TABLE fulfilment_routes (
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    speed_key text NOT NULL DEFAULT '' CHECK (length(speed_key) <= 40),
    provider_id uuid NOT NULL,
    service text NOT NULL,
    drip_runs integer CHECK (drip_runs BETWEEN 2 AND 1000),
    drip_interval_minutes integer CHECK (drip_interval_minutes BETWEEN 1 AND 10080),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, speed_key),
    FOREIGN KEY (provider_id, service) REFERENCES provider_services (provider_id, service)
        ON DELETE CASCADE,
    CHECK ((drip_runs IS NULL) = (drip_interval_minutes IS NULL))
);

CREATE TABLE fulfilments (
    id uuid PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    order_line_id uuid NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    -- The subscription period whose payment this cycle delivers; NULL: the order's payment.
    period_id uuid REFERENCES subscription_periods (id) ON DELETE CASCADE,
    -- A bundle line is delivered item by item: which one (1 for a plain line).
    part integer NOT NULL DEFAULT 1 CHECK (part >= 1),
    product_id uuid REFERENCES products (id) ON DELETE SET NULL,
    -- What is delivered, in the order's language ("Instagram Follower · 5.000").
    title text NOT NULL,
    target text NOT NULL DEFAULT '',
    -- Units to deliver (followers, likes, views …).
    quantity bigint NOT NULL CHECK (quantity >= 1),
    -- The net the client paid for this part (euro cents): the margin guard's yardstick and
    -- the base of a suggested refund.
    paid_net bigint NOT NULL CHECK (paid_net >= 0),
    paid_total bigint NOT NULL CHECK (paid_total >= paid_net),
    guarantee_days integer NOT NULL DEFAULT 30,
    method text NOT NULL CHECK (method IN ('manual', 'provider')),
    provider_id uuid REFERENCES fulfilment_providers (id) ON DELETE SET NULL,
    service text,
    drip_runs integer,
    drip_interval_minutes integer,
    -- What the provider's rate says it will cost, in euro cents.
    cost_estimate bigint,
    -- queued: waiting to be sent or claimed; held: waiting for an admin's decision (see
    -- hold_reason); submitting: the provider is being asked (a crash here leaves it held,
    -- never sent twice); submitted / in_progress at the provider or by hand; then one of
    -- completed, partial, cancelled.
    status text NOT NULL CHECK (status IN ('queued', 'held', 'submitting', 'submitted',
        'in_progress', 'completed', 'partial', 'cancelled')),
    -- margin, uncertain (a request whose answer never came), refused (the provider said no).
    hold_reason text CHECK (hold_reason IN ('margin', 'uncertain', 'refused', 'unrouted')),
    -- The provider's order id and what it last said.
    external_ref text,
    provider_status text,
    start_count bigint,
    remains bigint CHECK (remains >= 0),
    charge_micros bigint,
    error text,
    claimed_by uuid REFERENCES users (id) ON DELETE SET NULL,
    claimed_at timestamptz,
    submitted_at timestamptz,
    started_at timestamptz,
    finished_at timestamptz,
    last_polled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (order_line_id, period_id, part),
    CHECK (status <> 'held' OR hold_reason IS NOT NULL),
    CHECK (method <> 'provider' OR (provider_id IS NOT NULL AND service IS NOT NULL)
           OR status IN ('held', 'cancelled'))
);

CREATE INDEX fulfilments_by_order ON fulfilments (order_id, created_at);
-- What the poller and the task list read: the open ones.
CREATE INDEX fulfilments_open ON fulfilments (method, status, last_polled_at)
    WHERE status IN ('queued', 'held', 'submitting', 'submitted', 'in_progress');

-- Notes and proofs on a fulfilment (a manual task's working log).
CREATE TABLE fulfilment_notes (
    id bigserial PRIMARY KEY,
    fulfilment_id uuid NOT NULL REFERENCES fulfilments (id) ON DELETE CASCADE,
    author_id uuid REFERENCES users (id) ON DELETE SET NULL,
    at timestamptz NOT NULL DEFAULT now(),
    body text NOT NULL CHECK (length(body) <= 2000),
    -- A proof in the object storage.
    file_key text,
    file_name text,
    file_type text,
    CHECK (length(body) > 0 OR file_key IS NOT NULL)
);

CREATE INDEX fulfilment_notes_by_fulfilment ON fulfilment_notes (fulfilment_id, id);

-- A client's request to top up a delivery inside the product's guarantee window.
CREATE TABLE refills (
    id uuid PRIMARY KEY,
    fulfilment_id uuid NOT NULL REFERENCES fulfilments (id) ON DELETE CASCADE,
    requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    -- requested (waiting to be sent or done by hand), submitted, completed, rejected.
    status text NOT NULL CHECK (status IN ('requested', 'submitted', 'completed', 'rejected')),
    external_ref text,
    provider_status text,
    note text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One open refill per fulfilment at a time.
CREATE UNIQUE INDEX refills_one_open ON refills (fulfilment_id)
    WHERE status IN ('requested', 'submitted');

-- When the client was told that a renewal's cycle was delivered (once).
ALTER TABLE subscription_periods ADD COLUMN delivered_at timestamptz;
