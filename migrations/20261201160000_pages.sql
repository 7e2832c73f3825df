-- Pages the agency writes itself: the legal pages German law asks for (Impressum,
-- Datenschutzerklärung, AGB, Widerrufsbelehrung) and blog posts. Markdown in both languages;
-- admins edit them, every change is audited.

CREATE TABLE pages (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('legal', 'blog')),
    slug text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    title_de text NOT NULL CHECK (length(title_de) BETWEEN 1 AND 160),
    title_en text NOT NULL CHECK (length(title_en) BETWEEN 1 AND 160),
    summary_de text NOT NULL DEFAULT '' CHECK (length(summary_de) <= 300),
    summary_en text NOT NULL DEFAULT '' CHECK (length(summary_en) <= 300),
    body_de text NOT NULL DEFAULT '' CHECK (length(body_de) <= 100000),
    body_en text NOT NULL DEFAULT '' CHECK (length(body_en) <= 100000),
    published boolean NOT NULL DEFAULT false,
    published_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (kind, slug)
);

CREATE INDEX pages_published ON pages (kind, published, published_at DESC);
