-- The built-in test payment gateway (used when no Stripe key is configured). It speaks the
-- part of Stripe's API Growthdesk uses, so its state is Stripe's objects as Stripe would
-- return them, kept as JSON; and it delivers Stripe-shaped, Stripe-signed events to our own
-- webhook endpoint through a job, retried like Stripe retries.

CREATE TABLE test_gateway_sessions (
    id text PRIMARY KEY,
    -- The checkout session object as the API returns it.
    object jsonb NOT NULL,
    -- What the buyer is charged: [{name, amount, interval}] (Stripe's session object does not
    -- carry its line items; its hosted page shows them).
    line_items jsonb NOT NULL,
    -- A repeated create with the same Idempotency-Key returns the first answer; with other
    -- parameters it is refused, as Stripe does.
    idempotency_key text UNIQUE,
    request_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE test_gateway_events (
    id text PRIMARY KEY,
    type text NOT NULL,
    -- The event exactly as it is posted (the signature covers these bytes).
    payload text NOT NULL,
    session_id text REFERENCES test_gateway_sessions (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    last_status integer,
    last_error text
);

CREATE INDEX test_gateway_events_by_session ON test_gateway_events (session_id, created_at);
