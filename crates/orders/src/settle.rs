//! What the payment gateway tells us, applied to orders exactly once.
//!
//! Every event is recorded by its id before anything else happens, in the same transaction
//! as its effects ([`claim_event`], [`finish_event`]): a duplicated, replayed or concurrent
//! delivery finds the row and changes nothing. The effects themselves are idempotent too
//! ([`apply_session`]): the order row is locked, a status only moves forward, a payment is
//! unique per gateway object, and the jobs are enqueued only by the transition that made the
//! order paid, so the success page confirming the same session, or an event arriving after
//! a newer one, finds nothing left to do.

use gd_accounts::AuditEvent;
use gd_payments::{PaymentStatus, Session, SessionStatus};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::mails::OrderConfirmation;
use crate::status::Status;
use crate::OrderError;

/// Whether an event is new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First delivery (or a retry after a failure): process it.
    New,
    /// Processed before: acknowledge and do nothing.
    Duplicate,
}

/// An event as received, before it is applied.
#[derive(Debug, Clone)]
pub struct ReceivedEvent<'a> {
    pub id: &'a str,
    pub gateway: &'a str,
    pub kind: &'a str,
    /// Unix seconds.
    pub created: i64,
    pub payload: &'a serde_json::Value,
}

/// Records event `e` as being processed. Concurrent deliveries of the same id wait here for
/// the first one's transaction and then find it done.
pub async fn claim_event(
    conn: &mut PgConnection,
    e: &ReceivedEvent<'_>,
) -> Result<Claim, OrderError> {
    let claimed = sqlx::query_scalar!(
        r#"INSERT INTO gateway_events (id, gateway, type, created_at, payload, outcome)
           VALUES ($1, $2, $3, to_timestamp($4::bigint), $5, 'handled')
           ON CONFLICT (id) DO UPDATE SET received_at = now(), outcome = 'handled', error = NULL
               WHERE gateway_events.outcome = 'failed'
           RETURNING id"#,
        e.id,
        e.gateway,
        e.kind,
        e.created,
        e.payload
    )
    .fetch_optional(conn)
    .await?;
    Ok(if claimed.is_some() {
        Claim::New
    } else {
        Claim::Duplicate
    })
}

/// Whether event `id` was processed before: a replay, acknowledged without asking the gateway
/// for the session again. (Only a shortcut: [`claim_event`] stays the guard against
/// concurrent deliveries.)
pub async fn already_processed(conn: &mut PgConnection, id: &str) -> Result<bool, OrderError> {
    let done = sqlx::query_scalar!(
        r#"SELECT outcome <> 'failed' AS "done!" FROM gateway_events WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(done.unwrap_or(false))
}

/// How an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Handled,
    /// A type we do not act on.
    Ignored,
    /// Its object could not be read.
    Unparsable,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Handled => "handled",
            Outcome::Ignored => "ignored",
            Outcome::Unparsable => "unparsable",
        }
    }
}

/// Completes the record of a claimed event.
pub async fn finish_event(
    conn: &mut PgConnection,
    id: &str,
    outcome: Outcome,
    order: Option<Uuid>,
) -> Result<(), OrderError> {
    sqlx::query!(
        "UPDATE gateway_events SET outcome = $2, order_id = $3 WHERE id = $1",
        id,
        outcome.as_str(),
        order
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that processing event `e` failed (in its own transaction, after the failed one
/// rolled back), so that the failure is visible; the gateway retries it.
pub async fn fail_event(
    conn: &mut PgConnection,
    e: &ReceivedEvent<'_>,
    error: &str,
) -> Result<(), OrderError> {
    sqlx::query!(
        "INSERT INTO gateway_events (id, gateway, type, created_at, payload, outcome, error)
         VALUES ($1, $2, $3, to_timestamp($4::bigint), $5, 'failed', $6)
         ON CONFLICT (id) DO UPDATE SET outcome = 'failed', error = $6, received_at = now()
             WHERE gateway_events.outcome = 'failed'",
        e.id,
        e.gateway,
        e.kind,
        e.created,
        e.payload,
        error
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What the gateway reports about a session (the event's type, or the success page reading
/// the session itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// `checkout.session.completed`, or the session read from the API.
    Current,
    /// `checkout.session.async_payment_succeeded`.
    AsyncSucceeded,
    /// `checkout.session.async_payment_failed`: a delayed payment did not arrive.
    AsyncFailed,
    /// `checkout.session.expired`.
    Expired,
}

/// What applying a session did to its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The order is paid now; its jobs are queued.
    Paid(Uuid),
    /// Nothing to do: the order moved on before (a duplicate, or an older state).
    Unchanged(Uuid),
    /// The payment has not arrived yet (a delayed method).
    Pending(Uuid),
    /// The order was cancelled: the payment failed or the session expired.
    Cancelled(Uuid),
    /// Money arrived for an order that was cancelled meanwhile: recorded and flagged for a
    /// refund.
    PaidAfterCancel(Uuid),
    /// No order of ours has this session.
    NoOrder,
}

impl Applied {
    pub fn order(self) -> Option<Uuid> {
        match self {
            Applied::Paid(o)
            | Applied::Unchanged(o)
            | Applied::Pending(o)
            | Applied::Cancelled(o)
            | Applied::PaidAfterCancel(o) => Some(o),
            Applied::NoOrder => None,
        }
    }
}

/// Applies what the gateway reports about `session` to its order, on the caller's
/// transaction. `source` names the cause in the timeline (the event id, or "success_page").
pub async fn apply_session(
    conn: &mut PgConnection,
    session: &Session,
    report: Report,
    source: &str,
) -> Result<Applied, OrderError> {
    let by_reference = session
        .client_reference_id
        .as_deref()
        .and_then(|r| Uuid::parse_str(r).ok());
    let row = sqlx::query!(
        r#"SELECT id, status, session_id, total, gateway, cart_id, cart_line_ids
           FROM orders WHERE id = $1 OR (session_id = $2 AND $1::uuid IS NULL) FOR UPDATE"#,
        by_reference,
        session.id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(order) = row else {
        return Ok(Applied::NoOrder);
    };
    if order.session_id.as_deref() != Some(session.id.as_str()) {
        // A session that does not belong to this order (a forged reference, or an order
        // whose first attempt failed): never let it change the order.
        tracing::warn!(session = %session.id, order = %order.id, "session of another order ignored");
        return Ok(Applied::NoOrder);
    }
    let status =
        Status::parse(&order.status).ok_or_else(|| OrderError::Invalid(order.status.clone()))?;
    let paid = session.status == SessionStatus::Complete
        && matches!(
            session.payment_status,
            PaymentStatus::Paid | PaymentStatus::NoPaymentRequired
        );
    if paid {
        let amount = session.amount_total.unwrap_or(order.total);
        let new_payment = amount > 0
            && sqlx::query!(
                "INSERT INTO payments (id, order_id, kind, gateway, gateway_ref, amount)
                 VALUES ($1, $2, 'payment', $3, $4, $5)
                 ON CONFLICT (gateway, kind, gateway_ref) DO NOTHING",
                Uuid::now_v7(),
                order.id,
                order.gateway,
                session.id,
                amount
            )
            .execute(&mut *conn)
            .await?
            .rows_affected()
                == 1;
        if status == Status::PendingPayment {
            sqlx::query!(
                "UPDATE orders SET status = 'paid', paid_at = now(), updated_at = now(),
                     customer_ref = $2, payment_intent_ref = $3, subscription_ref = $4
                 WHERE id = $1",
                order.id,
                session.customer,
                session.payment_intent,
                session.subscription
            )
            .execute(&mut *conn)
            .await?;
            let note = (amount != order.total).then(|| {
                format!(
                    "the gateway charged {amount} cents, the order is {} cents",
                    order.total
                )
            });
            timeline(
                conn,
                order.id,
                Some(status),
                Status::Paid,
                source,
                note.as_deref(),
            )
            .await?;
            if let Some(cart) = order.cart_id {
                // The bought lines leave the cart; anything added since stays.
                sqlx::query!(
                    "DELETE FROM cart_lines WHERE cart_id = $1 AND id = ANY($2)",
                    cart,
                    &order.cart_line_ids
                )
                .execute(&mut *conn)
                .await?;
            }
            gd_accounts::record(
                conn,
                &AuditEvent::new("order.paid")
                    .subject(order.id)
                    .details(serde_json::json!({ "amount": amount, "source": source })),
            )
            .await?;
            gd_jobs::enqueue(&mut *conn, &OrderConfirmation { order_id: order.id }).await?;
            gd_jobs::enqueue(
                &mut *conn,
                &crate::StartFulfilment {
                    order_id: order.id,
                    period_id: None,
                },
            )
            .await?;
            gd_jobs::enqueue(
                &mut *conn,
                &crate::IssueInvoice {
                    order_id: order.id,
                    period_id: None,
                },
            )
            .await?;
            return Ok(Applied::Paid(order.id));
        }
        if status == Status::Cancelled && new_payment {
            timeline(
                conn,
                order.id,
                Some(status),
                Status::Cancelled,
                source,
                Some("payment received after the order was cancelled: refund it"),
            )
            .await?;
            gd_accounts::record(
                conn,
                &AuditEvent::new("order.paid_after_cancel")
                    .subject(order.id)
                    .details(serde_json::json!({ "amount": amount, "source": source })),
            )
            .await?;
            return Ok(Applied::PaidAfterCancel(order.id));
        }
        return Ok(Applied::Unchanged(order.id));
    }
    let cancel_note = match report {
        Report::AsyncFailed => Some("the payment failed"),
        Report::Expired | Report::Current if session.status == SessionStatus::Expired => {
            Some("the checkout expired unpaid")
        }
        _ => None,
    };
    if let Some(note) = cancel_note {
        if status == Status::PendingPayment {
            sqlx::query!(
                "UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = $1",
                order.id
            )
            .execute(&mut *conn)
            .await?;
            timeline(
                conn,
                order.id,
                Some(status),
                Status::Cancelled,
                source,
                Some(note),
            )
            .await?;
            return Ok(Applied::Cancelled(order.id));
        }
        return Ok(Applied::Unchanged(order.id));
    }
    if status == Status::PendingPayment {
        Ok(Applied::Pending(order.id))
    } else {
        Ok(Applied::Unchanged(order.id))
    }
}

/// Marks a pending order cancelled because its payment page could not be opened.
pub async fn cancel_unopened(
    conn: &mut PgConnection,
    order: Uuid,
    why: &str,
) -> Result<(), OrderError> {
    let moved = sqlx::query!(
        "UPDATE orders SET status = 'cancelled', updated_at = now()
         WHERE id = $1 AND status = 'pending_payment'",
        order
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved == 1 {
        timeline(
            conn,
            order,
            Some(Status::PendingPayment),
            Status::Cancelled,
            "checkout",
            Some(why),
        )
        .await?;
    }
    Ok(())
}

async fn timeline(
    conn: &mut PgConnection,
    order: Uuid,
    from: Option<Status>,
    to: Status,
    source: &str,
    note: Option<&str>,
) -> Result<(), OrderError> {
    sqlx::query!(
        "INSERT INTO order_events (order_id, from_status, to_status, source, note)
         VALUES ($1, $2, $3, $4, $5)",
        order,
        from.map(Status::as_str),
        to.as_str(),
        source,
        note
    )
    .execute(conn)
    .await?;
    Ok(())
}
