-- Invoices we issue ourselves: one per paid order and per paid subscription renewal, and a
-- correcting invoice (credit note) per refund that refers to the invoice it corrects.
--
-- Numbers are gapless and unique per series ("RE-2026", "RK-2026"): a counter row per series,
-- locked by the transaction that finalizes the invoice (a sequence would leave gaps on a
-- rollback). An invoice row is written once, final, and can never change or go away: a
-- trigger refuses every UPDATE, DELETE and TRUNCATE, whoever asks. What changes later (the
-- rendered files, the bookkeeping sync) lives in tables of its own.

CREATE TABLE invoice_series (
    series text PRIMARY KEY CHECK (series ~ '^[A-Z]{2,4}-[0-9]{4}$'),
    -- The number the next invoice of this series gets.
    next_number bigint NOT NULL DEFAULT 1 CHECK (next_number >= 1)
);

CREATE TABLE invoices (
    id uuid PRIMARY KEY,
    -- `invoice` (Rechnung) or `credit_note` (Rechnungskorrektur, correcting `corrects`).
    kind text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    series text NOT NULL REFERENCES invoice_series (series),
    seq bigint NOT NULL CHECK (seq >= 1),
    -- As printed: "RE-2026-00001".
    number text NOT NULL UNIQUE,
    corrects uuid REFERENCES invoices (id),
    -- What it was issued for, once each: `order:<id>`, `period:<id>`, `refund:<payment id>`.
    source text NOT NULL UNIQUE,
    order_id uuid NOT NULL REFERENCES orders (id),
    period_id uuid REFERENCES subscription_periods (id),
    payment_id uuid REFERENCES payments (id),
    user_id uuid NOT NULL REFERENCES users (id),
    lang text NOT NULL CHECK (lang IN ('de', 'en')),
    issued_on date NOT NULL,
    -- The date or period of supply (§ 14 (4) 6. UStG).
    supplied_from date NOT NULL,
    supplied_to date NOT NULL CHECK (supplied_to >= supplied_from),
    treatment text NOT NULL CHECK (treatment IN ('standard', 'reverse_charge', 'small_business')),
    -- Whether the buyer is a business (a VAT id or a company name): gets the e-invoice.
    business boolean NOT NULL,
    -- Both parties as printed, frozen: {name, company, street, postal_code, city, country,
    -- vat_id, tax_number, email, ...}.
    seller jsonb NOT NULL,
    buyer jsonb NOT NULL,
    -- [{position, name, details, quantity, unit_net, net, vat_rate_bp, vat, total}]
    lines jsonb NOT NULL,
    -- Per VAT rate: [{rate_bp, net, vat, total}].
    rates jsonb NOT NULL,
    -- Euro cents, positive for both kinds (a credit note's amounts are what is given back).
    net bigint NOT NULL CHECK (net >= 0),
    vat bigint NOT NULL CHECK (vat >= 0),
    total bigint NOT NULL CHECK (total = net + vat),
    -- How it was paid ("Stripe", "Testzahlung") and when; a credit note's refund date.
    paid_on date,
    payment_method text NOT NULL DEFAULT '',
    -- A credit note's reason, as the client reads it.
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    -- Kept at least until then (the legal retention period, from configuration).
    retain_until date NOT NULL,
    finalized_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (series, seq),
    CHECK ((kind = 'credit_note') = (corrects IS NOT NULL))
);

CREATE INDEX invoices_by_order ON invoices (order_id, finalized_at);
CREATE INDEX invoices_by_user ON invoices (user_id, issued_on DESC);
CREATE INDEX invoices_by_date ON invoices (issued_on DESC, number);

CREATE FUNCTION invoices_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invoices are final: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER invoices_final BEFORE UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_are_final();
CREATE TRIGGER invoices_final_truncate BEFORE TRUNCATE ON invoices
    FOR EACH STATEMENT EXECUTE FUNCTION invoices_are_final();

-- The runtime role may read and append invoices, never change them (the trigger holds for
-- the owner too).
REVOKE UPDATE, DELETE, TRUNCATE ON invoices FROM growthdesk_runtime;

-- The rendered documents of an invoice, in the object storage: `pdf` (for business buyers a
-- Factur-X PDF/A-3 with the XML inside) and `xml` (the EN 16931 CII XML alone). Rendered from
-- the frozen invoice, so a lost file renders the same again; written once.
CREATE TABLE invoice_files (
    invoice_id uuid NOT NULL REFERENCES invoices (id),
    kind text NOT NULL CHECK (kind IN ('pdf', 'xml')),
    key text NOT NULL UNIQUE,
    bytes integer NOT NULL CHECK (bytes > 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (invoice_id, kind)
);

CREATE TRIGGER invoice_files_final BEFORE UPDATE OR DELETE ON invoice_files
    FOR EACH ROW EXECUTE FUNCTION invoices_are_final();
REVOKE UPDATE, DELETE, TRUNCATE ON invoice_files FROM growthdesk_runtime;
