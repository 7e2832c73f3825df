-- A refund sends back (part of) one payment, and its credit note corrects that payment's
-- invoice: the checkout's (one-off lines and a plan's first period) or a renewal's (its
-- billing period). So a refund row names the payment it refunds, and a renewal's payment its
-- billing period.

ALTER TABLE payments
    -- A refund's payment (NULL only for a refund whose payment is not ours to know).
    ADD COLUMN refund_of uuid REFERENCES payments (id),
    -- A subscription renewal's payment: the billing period it paid (NULL for a checkout's).
    ADD COLUMN period_id uuid REFERENCES subscription_periods (id),
    ADD CONSTRAINT payments_refund_of_a_refund CHECK (refund_of IS NULL OR kind = 'refund'),
    ADD CONSTRAINT payments_period_of_a_payment CHECK (period_id IS NULL OR kind = 'payment');

CREATE INDEX payments_by_refunded ON payments (refund_of) WHERE refund_of IS NOT NULL;

-- Renewals paid before: their period is the one of the invoice they paid.
UPDATE payments p SET period_id = sp.id
FROM subscription_periods sp
WHERE p.kind = 'payment' AND sp.gateway = p.gateway AND sp.invoice_ref = p.gateway_ref;

-- Refunds recorded before were found by the checkout's payment intent: they refund the
-- checkout's payment.
UPDATE payments r SET refund_of = (
    SELECT p.id FROM payments p JOIN orders o ON o.id = p.order_id
    WHERE p.order_id = r.order_id AND p.kind = 'payment' AND p.gateway_ref = o.session_id
    ORDER BY p.created_at LIMIT 1)
WHERE r.kind = 'refund';
