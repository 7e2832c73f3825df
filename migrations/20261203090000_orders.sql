-- Orders and payments. An order is created when a shopper starts a checkout, in status
-- `pending_payment`, with a frozen copy of what is being bought (names, configuration, net,
-- VAT and gross per line, the buyer's name, address and VAT id): everything an invoice needs,
-- untouched by later catalog changes. Its checkout session at the payment gateway is unique
-- to it, so a session can never make a second order; the webhook moves it forward.

CREATE SEQUENCE order_numbers START 10001;

CREATE TABLE orders (
    id uuid PRIMARY KEY,
    -- What people read and quote ("order 10042"); gaps are harmless here (invoices have their
    -- own gapless numbers).
    number bigint NOT NULL UNIQUE DEFAULT nextval('order_numbers'),
    user_id uuid NOT NULL REFERENCES users (id),
    status text NOT NULL DEFAULT 'pending_payment' CHECK (status IN (
        'pending_payment', 'paid', 'in_fulfilment', 'completed',
        'cancelled', 'refunded', 'partly_refunded')),
    -- The language of the buyer's mails and documents.
    lang text NOT NULL CHECK (lang IN ('de', 'en')),
    -- `payment` (one-off lines only) or `subscription` (at least one recurring line).
    mode text NOT NULL CHECK (mode IN ('payment', 'subscription')),
    -- The VAT treatment: standard, reverse_charge, small_business.
    treatment text NOT NULL CHECK (treatment IN ('standard', 'reverse_charge', 'small_business')),
    currency text NOT NULL DEFAULT 'eur' CHECK (currency = 'eur'),
    -- The buyer, as entered at checkout.
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    buyer_name text NOT NULL CHECK (length(buyer_name) BETWEEN 1 AND 120),
    company text CHECK (length(company) BETWEEN 1 AND 120),
    street text NOT NULL CHECK (length(street) BETWEEN 1 AND 120),
    postal_code text NOT NULL CHECK (length(postal_code) BETWEEN 1 AND 12),
    city text NOT NULL CHECK (length(city) BETWEEN 1 AND 80),
    country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    vat_id text CHECK (length(vat_id) BETWEEN 4 AND 16),
    -- When the buyer accepted the terms (AGB) and which version they read.
    terms_accepted_at timestamptz NOT NULL,
    terms_version text NOT NULL,
    -- The consent to start before the withdrawal period ends and the acknowledgement that
    -- the right of withdrawal then lapses (§ 356 (5) BGB), with the words shown.
    early_start_consent_at timestamptz,
    early_start_consent_text text,
    -- What is charged with the order (euro cents): one-off lines plus the first period of a
    -- subscription.
    net bigint NOT NULL CHECK (net >= 0),
    vat bigint NOT NULL CHECK (vat >= 0),
    total bigint NOT NULL CHECK (total >= 0 AND total = net + vat),
    -- Per VAT rate: [{rate_bp, net, vat, total}] for the amounts above.
    rates jsonb NOT NULL,
    -- Which gateway took the payment (`stripe` or `test`), its checkout session and what the
    -- session turned into.
    gateway text NOT NULL CHECK (gateway IN ('stripe', 'test')),
    session_id text UNIQUE,
    session_url text,
    customer_ref text,
    payment_intent_ref text,
    subscription_ref text,
    -- The cart the lines came from: its bought lines are removed once the order is paid.
    cart_id uuid,
    cart_line_ids uuid[] NOT NULL DEFAULT '{}',
    paid_at timestamptz,
    -- When the order confirmation left (the mail job sends it at most once).
    confirmation_mailed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_by_user ON orders (user_id, created_at DESC);
CREATE INDEX orders_by_status ON orders (status, created_at DESC);

CREATE TABLE order_lines (
    id uuid PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position integer NOT NULL CHECK (position >= 1),
    -- The product when it was bought (it may change or go away later: the copy stands).
    product_id uuid REFERENCES products (id) ON DELETE SET NULL,
    product_slug text NOT NULL,
    product_name text NOT NULL,
    billing text NOT NULL CHECK (billing IN ('one_off', 'monthly', 'yearly')),
    tier_key text NOT NULL,
    addons text[] NOT NULL DEFAULT '{}',
    speed_key text,
    -- How the configuration reads ("5.000 Follower · Express"), in the order's language.
    description text NOT NULL,
    target text NOT NULL DEFAULT '',
    quantity integer NOT NULL CHECK (quantity >= 1),
    unit_gross bigint NOT NULL CHECK (unit_gross >= 0),
    vat_rate_bp integer NOT NULL CHECK (vat_rate_bp >= 0),
    -- What the buyer pays for the line under the order's treatment (per period for recurring
    -- lines): net + vat = total.
    net bigint NOT NULL CHECK (net >= 0),
    vat bigint NOT NULL CHECK (vat >= 0),
    total bigint NOT NULL CHECK (total = net + vat),
    UNIQUE (order_id, position)
);

-- Every status an order passed through, who moved it and why: the order's timeline.
CREATE TABLE order_events (
    id bigserial PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    from_status text,
    to_status text NOT NULL,
    -- A person (admin, finance, the client) or NULL for the system (a gateway event, a job).
    actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
    -- What caused it: a gateway event id, "checkout", "admin", …
    source text NOT NULL,
    note text,
    -- When the client was told of a change made by hand (the mail job sends it once).
    mailed_at timestamptz
);

CREATE INDEX order_events_by_order ON order_events (order_id, id);

-- Money that moved: payments in, refunds out. One row per gateway object, so a repeated
-- event can never count the same money twice.
CREATE TABLE payments (
    id uuid PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id),
    kind text NOT NULL CHECK (kind IN ('payment', 'refund')),
    gateway text NOT NULL CHECK (gateway IN ('stripe', 'test')),
    -- The gateway's id of what moved the money (a checkout session, an invoice, a refund).
    gateway_ref text NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    currency text NOT NULL DEFAULT 'eur',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (gateway, kind, gateway_ref)
);

CREATE INDEX payments_by_order ON payments (order_id, created_at);

-- Every webhook event received, verified, exactly once by its id, with its raw payload.
CREATE TABLE gateway_events (
    id text PRIMARY KEY,
    gateway text NOT NULL CHECK (gateway IN ('stripe', 'test')),
    type text NOT NULL,
    -- When the gateway created the event (Stripe's `created`).
    created_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    payload jsonb NOT NULL,
    -- handled, ignored (a type we do not act on), unparsable, stale (superseded by newer
    -- state), failed (an error; the gateway retries).
    outcome text NOT NULL CHECK (outcome IN ('handled', 'ignored', 'unparsable', 'stale', 'failed')),
    order_id uuid REFERENCES orders (id),
    error text
);

CREATE INDEX gateway_events_by_order ON gateway_events (order_id, received_at);
