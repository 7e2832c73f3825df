-- The bookkeeping sync: each invoice and credit note pushed to Lexoffice (Lexware Office) as a
-- voucher with its PDF, the client as a Lexoffice contact, and the voucher's payment state read
-- back for reconciliation.
--
-- Lexoffice has no idempotency key: the id it gives a contact or voucher is stored the moment
-- it is known, and a push whose answer was lost looks its voucher up by our number before it
-- creates one.

-- A client's contact in Lexoffice.
CREATE TABLE lexoffice_contacts (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    contact_id text NOT NULL UNIQUE,
    -- Lexoffice's optimistic lock, as last seen.
    version bigint NOT NULL DEFAULT 0,
    -- A digest of the contact as last sent: a client whose details changed is updated.
    fingerprint text NOT NULL DEFAULT '',
    synced_at timestamptz NOT NULL DEFAULT now()
);

-- Where an invoice stands in Lexoffice. No row: not pushed yet (waiting for a key, or for the
-- next sync run).
CREATE TABLE invoice_sync (
    invoice_id uuid PRIMARY KEY REFERENCES invoices (id),
    -- queued: a job is on it; failed: tried again at `next_try_at` (or when finance asks);
    -- pushed: the voucher and its PDF are in Lexoffice.
    state text NOT NULL CHECK (state IN ('queued', 'failed', 'pushed')),
    voucher_id text UNIQUE,
    file_attached boolean NOT NULL DEFAULT false,
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error text CHECK (length(last_error) <= 2000),
    next_try_at timestamptz,
    queued_at timestamptz,
    pushed_at timestamptz,
    -- The payment state read back: balanced, openRevenue, …; the voucher's status (open,
    -- paid, paidoff, voided, …); what is still open (cents) and when it was paid.
    payment_status text,
    voucher_status text,
    open_amount bigint,
    paid_on date,
    payment_checked_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (state <> 'pushed' OR (voucher_id IS NOT NULL AND file_attached))
);

CREATE INDEX invoice_sync_due ON invoice_sync (state, next_try_at);

-- One pacing slot for every worker process: each call to Lexoffice takes the next free slot
-- (Lexoffice allows about two requests per second per client).
CREATE TABLE lexoffice_pacer (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    next_slot timestamptz NOT NULL DEFAULT now()
);

INSERT INTO lexoffice_pacer DEFAULT VALUES;
