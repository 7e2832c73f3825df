-- Product images. The pictures themselves are in the object storage, one rendition per width
-- under `catalog/<hash>-<width>.<format>`; a row says which widths exist. Content-addressed:
-- a rendition never changes, so it is served with a cache lifetime of a year.

CREATE TABLE product_images (
    id uuid PRIMARY KEY,
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position integer NOT NULL DEFAULT 0,
    hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{32}$'),
    format text NOT NULL CHECK (format IN ('jpg', 'png')),
    -- Of the largest rendition.
    width integer NOT NULL CHECK (width > 0),
    height integer NOT NULL CHECK (height > 0),
    widths integer[] NOT NULL CHECK (cardinality(widths) BETWEEN 1 AND 8),
    alt_de text NOT NULL DEFAULT '' CHECK (length(alt_de) <= 200),
    alt_en text NOT NULL DEFAULT '' CHECK (length(alt_en) <= 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (product_id, hash)
);

CREATE INDEX product_images_by_product ON product_images (product_id, position);
