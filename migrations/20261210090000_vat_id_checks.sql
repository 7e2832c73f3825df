-- The evidence that a buyer's VAT id was registered when the shop sold to it without VAT
-- (reverse charge): the register's answer, kept with the order for the tax office.
CREATE TABLE order_vat_checks (
    order_id uuid PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    vat_id text NOT NULL CHECK (length(vat_id) BETWEEN 4 AND 16),
    -- `vies`: the EU's VIES; `demo`: the local demo register of the demo agency.
    register text NOT NULL CHECK (register IN ('vies', 'demo')),
    checked_at timestamptz NOT NULL,
    -- VIES's consultation number, when the agency's own VAT id went along.
    request_identifier text CHECK (length(request_identifier) <= 64),
    -- The name and address the register has for the id, where it tells them.
    registered_name text CHECK (length(registered_name) <= 400),
    registered_address text CHECK (length(registered_address) <= 600)
);
