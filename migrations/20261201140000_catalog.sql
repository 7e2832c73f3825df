-- The catalog: categories, products (services and bundles) and their prices.
--
-- A product's price is a version: changing it adds a row to product_prices and points the
-- product at it, so carts and orders keep the version they were priced with. A price row is
-- never changed (trigger below). The offer is the pricing crate's `Offer` (VAT rate, billing,
-- tiers, add-ons, speeds, in euro cents) with the labels the shop shows beside it.

CREATE TABLE categories (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE
        CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    name_de text NOT NULL CHECK (length(name_de) BETWEEN 1 AND 120),
    name_en text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 120),
    position integer NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE
        CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    kind text NOT NULL CHECK (kind IN ('service', 'bundle')),
    category_id uuid REFERENCES categories (id) ON DELETE SET NULL,
    -- What the configurator asks for: an Instagram handle, a post or reel URL, or nothing.
    target text NOT NULL CHECK (target IN ('handle', 'post', 'none')),
    name_de text NOT NULL CHECK (length(name_de) BETWEEN 1 AND 120),
    name_en text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 120),
    summary_de text NOT NULL DEFAULT '' CHECK (length(summary_de) <= 300),
    summary_en text NOT NULL DEFAULT '' CHECK (length(summary_en) <= 300),
    -- Markdown.
    description_de text NOT NULL DEFAULT '' CHECK (length(description_de) <= 20000),
    description_en text NOT NULL DEFAULT '' CHECK (length(description_en) <= 20000),
    -- What a tier's amount counts ("Follower", "Likes").
    unit_de text NOT NULL DEFAULT '' CHECK (length(unit_de) <= 40),
    unit_en text NOT NULL DEFAULT '' CHECK (length(unit_en) <= 40),
    published boolean NOT NULL DEFAULT false,
    position integer NOT NULL DEFAULT 0,
    price_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE product_prices (
    id uuid PRIMARY KEY,
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    offer jsonb NOT NULL CHECK (jsonb_typeof(offer) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX product_prices_by_product ON product_prices (product_id, created_at DESC);

ALTER TABLE products
    ADD CONSTRAINT products_price_fk FOREIGN KEY (price_id) REFERENCES product_prices (id),
    -- Only a product with a price can be published.
    ADD CONSTRAINT products_published_priced CHECK (NOT published OR price_id IS NOT NULL);

CREATE INDEX products_listing ON products (published, category_id, position);

CREATE FUNCTION product_prices_never_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a product price is never changed: add a new one'
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER product_prices_never_change
    BEFORE UPDATE ON product_prices
    FOR EACH ROW EXECUTE FUNCTION product_prices_never_change();

-- What a bundle holds: products, each at one of its tiers, so many times.
CREATE TABLE bundle_items (
    bundle_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    item_id uuid NOT NULL REFERENCES products (id) ON DELETE RESTRICT,
    tier_key text NOT NULL CHECK (length(tier_key) BETWEEN 1 AND 40),
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    position integer NOT NULL DEFAULT 0,
    PRIMARY KEY (bundle_id, item_id, tier_key),
    CHECK (bundle_id <> item_id)
);
