-- Carts: one per signed-in user, and one per guest (its id kept in the guest's session) until
-- they sign in, when its lines move to their own cart. A line holds a full configuration and
-- the price of one item when it was added, so the shopper can be told when it changed.

CREATE TABLE carts (
    id uuid PRIMARY KEY,
    user_id uuid UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Guest carts nobody came back to are deleted by the worker's schedule.
CREATE INDEX carts_guest_age ON carts (updated_at) WHERE user_id IS NULL;

CREATE TABLE cart_lines (
    id uuid PRIMARY KEY,
    cart_id uuid NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    tier_key text NOT NULL CHECK (length(tier_key) BETWEEN 1 AND 40),
    addons text[] NOT NULL DEFAULT '{}' CHECK (cardinality(addons) <= 20),
    speed_key text CHECK (length(speed_key) BETWEEN 1 AND 40),
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    -- The normalized handle or post link ('' when the product asks for none).
    target text NOT NULL DEFAULT '' CHECK (length(target) <= 200),
    -- One item's price when it was added or last changed (euro cents, VAT included).
    unit_gross bigint NOT NULL CHECK (unit_gross >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX cart_lines_by_cart ON cart_lines (cart_id, created_at);
