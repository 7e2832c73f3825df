//! Refunds: money sent back for an order, through the gateway, exactly once per gateway
//! refund (a payment row of kind `refund`, unique per refund id), whether it arrives as the
//! gateway's answer to an admin's request or as its `charge.refunded` event, or both. The
//! order becomes partly refunded or refunded, the timeline says who did it and why, and the
//! client is mailed.

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
    /// refunded at the gateway's dashboard.
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

/// Applies `refund` to the order that took its payment, on the caller's transaction.
/// `actor` and `reason` when a person asked for it; `source` names the cause.
pub async fn apply_refund(
    conn: &mut PgConnection,
    gateway: &str,
    refund: &Refund,
    actor: Option<Uuid>,
    reason: Option<&str>,
    source: &str,
) -> Result<RefundApplied, OrderError> {
    if !refund.counts() {
        return Ok(RefundApplied::NoOrder);
    }
    let Some(intent) = refund.payment_intent.as_deref() else {
        return Ok(RefundApplied::NoOrder);
    };
    let order = sqlx::query!(
        "SELECT id, status, lang FROM orders WHERE gateway = $1 AND payment_intent_ref = $2 FOR UPDATE",
        gateway,
        intent
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(order) = order else {
        return Ok(RefundApplied::NoOrder);
    };
    let payment = Uuid::now_v7();
    let new = sqlx::query!(
        "INSERT INTO payments (id, order_id, kind, gateway, gateway_ref, amount)
         VALUES ($1, $2, 'refund', $3, $4, $5)
         ON CONFLICT (gateway, kind, gateway_ref) DO NOTHING",
        payment,
        order.id,
        gateway,
        refund.id,
        refund.amount
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !new {
        return Ok(RefundApplied::Known(order.id));
    }
    let sums = refundable(conn, order.id)
        .await?
        .ok_or(OrderError::NotFound)?;
    let from = Status::parse(&order.status).ok_or_else(|| OrderError::Invalid(order.status))?;
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
            order.id,
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
        order.id,
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
            .subject(order.id)
            .details(serde_json::json!({
                "refund": refund.id, "amount": refund.amount, "reason": reason, "source": source
            })),
    )
    .await?;
    gd_jobs::enqueue(
        &mut *conn,
        &OrderUpdate {
            order_id: order.id,
            entry,
        },
    )
    .await?;
    // The refund corrects the order's invoice.
    gd_jobs::enqueue(
        &mut *conn,
        &crate::IssueCreditNote {
            payment_id: payment,
            reason: reason.map(str::to_owned),
        },
    )
    .await?;
    Ok(RefundApplied::Recorded(order.id))
}
