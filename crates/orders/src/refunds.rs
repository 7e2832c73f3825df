//! Refunds: money sent back for an order, through the gateway, exactly once per gateway
//! refund (a payment row of kind `refund`, unique per refund id), whether it arrives as the
//! gateway's answer to an admin's request or as its `charge.refunded` event, or both. The
//! order becomes partly refunded or refunded, the timeline says who did it and why, and the
//! client is mailed.
//!
//! Each refund names the payment it sends back (`refund_of`): the checkout's (a one-off
//! order's payment intent, or a subscription's first invoice) or a renewal's (its invoice),
//! so that its credit note corrects that payment's invoice. An admin refunds one-off orders
//! from the order page; a subscription's payments are refunded in Stripe's dashboard (or the
//! test gateway's stand-in for it) and arrive as `charge.refunded`. Cancelling a
//! subscription returns no money and needs no credit note; a refund does.

use gd_accounts::AuditEvent;
use gd_common::Locale;
use gd_payments::Refund;
use gd_pricing::Cents;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::mails::OrderUpdate;
use crate::status::Status;
use crate::OrderError;

/// What can still be refunded of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refundable {
    pub status: Status,
    pub gateway: String,
    /// The payment the money came with (one-off orders); a subscription's payments are
    /// refunded at the gateway's dashboard, and come back as its `charge.refunded` events.
    pub payment_intent: Option<String>,
    pub paid: i64,
    pub refunded: i64,
}

impl Refundable {
    /// Euro cents that may still go back.
    pub fn left(&self) -> i64 {
        (self.paid - self.refunded).max(0)
    }
}

pub async fn refundable(
    conn: &mut PgConnection,
    order: Uuid,
) -> Result<Option<Refundable>, OrderError> {
    let row = sqlx::query!(
        r#"SELECT o.status, o.gateway, o.payment_intent_ref,
               coalesce((SELECT sum(amount) FROM payments WHERE order_id = o.id AND kind = 'payment'), 0)::bigint AS "paid!",
               coalesce((SELECT sum(amount) FROM payments WHERE order_id = o.id AND kind = 'refund'), 0)::bigint AS "refunded!"
           FROM orders o WHERE o.id = $1"#,
        order
    )
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Refundable {
        status: Status::parse(&r.status).ok_or_else(|| OrderError::Invalid(r.status.clone()))?,
        gateway: r.gateway,
        payment_intent: r.payment_intent_ref,
        paid: r.paid,
        refunded: r.refunded,
    }))
}

/// What applying a refund did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundApplied {
    /// Recorded now: the order moved (or noted it) and the client is mailed.
    Recorded(Uuid),
    /// Recorded before (the answer and the event both report it).
    Known(Uuid),
    /// No order of ours took this payment, or the refund did not go through.
    NoOrder,
}

impl RefundApplied {
    pub fn order(self) -> Option<Uuid> {
        match self {
            Self::Recorded(o) | Self::Known(o) => Some(o),
            Self::NoOrder => None,
        }
    }
}

/// Whether `payment_intent` is the payment of one of our checkouts (one-off orders): such a
/// refund is applied without asking the gateway which invoice the payment paid.
pub async fn is_checkout_payment(
    conn: &mut PgConnection,
    gateway: &str,
    payment_intent: &str,
) -> Result<bool, OrderError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM orders WHERE gateway = $1 AND payment_intent_ref = $2) AS "found!""#,
        gateway,
        payment_intent
    )
    .fetch_one(conn)
    .await?)
}

/// The order a refund belongs to (locked), and the payment it sends back.
struct Refunded {
    order: Uuid,
    status: String,
    lang: String,
    payment: Option<Uuid>,
}

/// Finds what `refund` sends back: a checkout's payment by its payment intent, else the
/// payment of `paid_invoice` (the gateway's invoice the refunded payment paid, as the gateway
/// reports it): a renewal's own payment, or for the first invoice of a subscription the
/// checkout's. Locks the order first, as every change to its money does.
async fn refunded(
    conn: &mut PgConnection,
    gateway: &str,
    refund: &Refund,
    paid_invoice: Option<&str>,
) -> Result<Option<Refunded>, OrderError> {
    if let Some(intent) = refund.payment_intent.as_deref() {
        let order = sqlx::query!(
            "SELECT id, status, lang, session_id FROM orders
             WHERE gateway = $1 AND payment_intent_ref = $2 FOR UPDATE",
            gateway,
            intent
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(o) = order {
            let payment = checkout_payment(conn, gateway, o.id, o.session_id.as_deref()).await?;
            return Ok(Some(Refunded {
                order: o.id,
                status: o.status,
                lang: o.lang,
                payment,
            }));
        }
    }
    let Some(invoice) = paid_invoice else {
        return Ok(None);
    };
    let period = sqlx::query!(
        "SELECT p.id, p.reason, s.order_id FROM subscription_periods p
         JOIN subscriptions s ON s.id = p.subscription_id
         WHERE p.gateway = $1 AND p.invoice_ref = $2",
        gateway,
        invoice
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(period) = period else {
        // An invoice of no subscription of ours.
        return Ok(None);
    };
    let o = sqlx::query!(
        "SELECT id, status, lang, session_id FROM orders WHERE id = $1 FOR UPDATE",
        period.order_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let payment = if period.reason == "first" {
        // The first period's money is the checkout's payment.
        checkout_payment(conn, gateway, o.id, o.session_id.as_deref()).await?
    } else {
        sqlx::query_scalar!(
            "SELECT id FROM payments WHERE gateway = $1 AND kind = 'payment' AND gateway_ref = $2",
            gateway,
            invoice
        )
        .fetch_optional(&mut *conn)
        .await?
    };
    let Some(payment) = payment else {
        // Refunded before we recorded it as paid (the events crossed): the gateway delivers
        // the refund again later, when the payment is known.
        return Err(OrderError::PaymentNotRecorded(invoice.to_owned()));
    };
    Ok(Some(Refunded {
        order: o.id,
        status: o.status,
        lang: o.lang,
        payment: Some(payment),
    }))
}

/// The payment of order `order`'s checkout (session `session`).
async fn checkout_payment(
    conn: &mut PgConnection,
    gateway: &str,
    order: Uuid,
    session: Option<&str>,
) -> Result<Option<Uuid>, OrderError> {
    let Some(session) = session else {
        return Ok(None);
    };
    Ok(sqlx::query_scalar!(
        "SELECT id FROM payments
         WHERE gateway = $1 AND kind = 'payment' AND gateway_ref = $2 AND order_id = $3",
        gateway,
        session,
        order
    )
    .fetch_optional(conn)
    .await?)
}

/// Applies `refund` to the order that took its payment, on the caller's transaction.
/// `paid_invoice` is the gateway's invoice that the refunded payment paid (a subscription's
/// payments; `None` for a checkout's one-off payment, found by its payment intent).
/// `actor` and `reason` when a person asked for it; `source` names the cause.
pub async fn apply_refund(
    conn: &mut PgConnection,
    gateway: &str,
    refund: &Refund,
    paid_invoice: Option<&str>,
    actor: Option<Uuid>,
    reason: Option<&str>,
    source: &str,
) -> Result<RefundApplied, OrderError> {
    if !refund.counts() {
        return Ok(RefundApplied::NoOrder);
    }
    let Some(order) = refunded(conn, gateway, refund, paid_invoice).await? else {
        return Ok(RefundApplied::NoOrder);
    };
    let payment = Uuid::now_v7();
    let new = sqlx::query!(
        "INSERT INTO payments (id, order_id, kind, gateway, gateway_ref, amount, refund_of)
         VALUES ($1, $2, 'refund', $3, $4, $5, $6)
         ON CONFLICT (gateway, kind, gateway_ref) DO NOTHING",
        payment,
        order.order,
        gateway,
        refund.id,
        refund.amount,
        order.payment
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !new {
        return Ok(RefundApplied::Known(order.order));
    }
    let sums = refundable(conn, order.order)
        .await?
        .ok_or(OrderError::NotFound)?;
    let from =
        Status::parse(&order.status).ok_or_else(|| OrderError::Invalid(order.status.clone()))?;
    let wanted = if sums.refunded >= sums.paid {
        Status::Refunded
    } else {
        Status::PartlyRefunded
    };
    // A second partial refund keeps the status; an order that was never fulfilled or was
    // cancelled (money that came after the cancellation) keeps its own.
    let to = if from.may_become(wanted) {
        wanted
    } else {
        from
    };
    if to != from {
        sqlx::query!(
            "UPDATE orders SET status = $2, updated_at = now() WHERE id = $1",
            order.order,
            to.as_str()
        )
        .execute(&mut *conn)
        .await?;
    }
    let locale = Locale::parse(&order.lang);
    let amount = match locale {
        Locale::De => Cents(refund.amount).de(),
        Locale::En => Cents(refund.amount).en(),
    };
    let note = match (locale, reason) {
        (Locale::De, Some(r)) => format!("{amount} erstattet. {r}"),
        (Locale::De, None) => format!("{amount} erstattet."),
        (Locale::En, Some(r)) => format!("{amount} refunded. {r}"),
        (Locale::En, None) => format!("{amount} refunded."),
    };
    let entry = sqlx::query_scalar!(
        "INSERT INTO order_events (order_id, from_status, to_status, actor_id, source, note)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        order.order,
        from.as_str(),
        to.as_str(),
        actor,
        source,
        note
    )
    .fetch_one(&mut *conn)
    .await?;
    gd_accounts::record(
        conn,
        &AuditEvent::new("order.refunded")
            .actor(actor)
            .subject(order.order)
            .details(serde_json::json!({
                "refund": refund.id, "amount": refund.amount, "reason": reason, "source": source
            })),
    )
    .await?;
    gd_jobs::enqueue(
        &mut *conn,
        &OrderUpdate {
            order_id: order.order,
            entry,
        },
    )
    .await?;
    // The refund corrects the invoice of the payment it sends back.
    gd_jobs::enqueue(
        &mut *conn,
        &crate::IssueCreditNote {
            payment_id: payment,
            reason: reason.map(str::to_owned),
        },
    )
    .await?;
    Ok(RefundApplied::Recorded(order.order))
}
