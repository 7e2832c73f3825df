-- Subscriptions: a checkout in subscription mode starts one at the payment gateway; its
-- events (and the objects read back from the gateway's API) keep this copy current. Every
-- billing period is an invoice at the gateway: one row per invoice, so a repeated or
-- reordered event can never count a renewal twice.

CREATE TABLE subscriptions (
    id uuid PRIMARY KEY,
    -- The order whose checkout started it (its frozen lines say what the plan is).
    order_id uuid NOT NULL UNIQUE REFERENCES orders (id),
    user_id uuid NOT NULL REFERENCES users (id),
    gateway text NOT NULL CHECK (gateway IN ('stripe', 'test')),
    gateway_ref text NOT NULL,
    customer_ref text NOT NULL,
    -- Stripe's statuses, as the gateway reports them.
    status text NOT NULL CHECK (status IN (
        'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid',
        'canceled', 'paused')),
    interval text NOT NULL CHECK (interval IN ('month', 'year')),
    -- What one period costs (euro cents) and which gateway item and price it is; the plan's
    -- configuration (tier) so that the client can switch to another.
    amount bigint NOT NULL CHECK (amount >= 0),
    item_ref text,
    price_ref text,
    product_slug text,
    tier_key text,
    -- "Instagram Management (Pro)": the plan as the client reads it (in the order's language).
    plan_name text NOT NULL DEFAULT '',
    cancel_at_period_end boolean NOT NULL DEFAULT false,
    current_period_start timestamptz,
    current_period_end timestamptz,
    canceled_at timestamptz,
    ended_at timestamptz,
    -- When the client was told that it ended (once).
    ended_mailed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (gateway, gateway_ref)
);

CREATE INDEX subscriptions_by_user ON subscriptions (user_id, created_at DESC);

-- One billing period = one invoice at the gateway. The first period is paid with the
-- checkout (its money is the order's payment); each renewal is a payment of its own and the
-- start of the next fulfilment cycle.
CREATE TABLE subscription_periods (
    id uuid PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    gateway text NOT NULL CHECK (gateway IN ('stripe', 'test')),
    invoice_ref text NOT NULL,
    -- first (with the checkout), renewal, change (a plan switch), other.
    reason text NOT NULL CHECK (reason IN ('first', 'renewal', 'change', 'other')),
    period_start timestamptz,
    period_end timestamptz,
    amount bigint NOT NULL CHECK (amount >= 0),
    status text NOT NULL CHECK (status IN ('open', 'paid', 'failed', 'void')),
    attempts integer NOT NULL DEFAULT 0,
    paid_at timestamptz,
    failed_at timestamptz,
    -- When the client was told of the renewal or of the failed payment (once each).
    paid_mailed_at timestamptz,
    failure_mailed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (gateway, invoice_ref)
);

CREATE INDEX subscription_periods_by_subscription
    ON subscription_periods (subscription_id, period_start);

-- Our recurring plans as prices at the gateway: one price per plan, amount, interval and
-- name, created once and reused (Stripe's subscriptions switch between prices).
CREATE TABLE gateway_prices (
    gateway text NOT NULL CHECK (gateway IN ('stripe', 'test')),
    -- A digest of what the price is (see gd_orders::prices).
    key text NOT NULL,
    price_ref text NOT NULL,
    amount bigint NOT NULL CHECK (amount >= 0),
    interval text NOT NULL CHECK (interval IN ('month', 'year')),
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gateway, key)
);

-- The test gateway's other objects (prices, subscriptions, invoices, billing portal
-- sessions, charges, refunds), as its API returns them.
CREATE TABLE test_gateway_objects (
    id text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('price', 'subscription', 'invoice', 'portal_session', 'charge', 'refund')),
    customer text,
    object jsonb NOT NULL,
    -- A repeated create with the same Idempotency-Key answers the first object, as at Stripe.
    idempotency_key text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX test_gateway_objects_by_customer ON test_gateway_objects (customer, kind);
