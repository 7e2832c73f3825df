//! What the back office sees of orders and may do to them by hand.

use chrono::{DateTime, Utc};
use gd_accounts::AuditEvent;
use gd_pricing::Cents;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::status::Status;
use crate::OrderError;

/// Which orders an admin looks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub status: Option<Status>,
    /// Part of the buyer's name or address, or the order number.
    pub query: String,
}

/// A line of the admins' order list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub id: Uuid,
    pub number: i64,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub buyer_name: String,
    pub email: String,
    pub total: Cents,
    pub gateway: String,
}

/// The newest orders matching `filter` (at most `limit`).
pub async fn search(
    conn: &mut PgConnection,
    filter: &OrderFilter,
    limit: i64,
) -> Result<Vec<OrderRow>, OrderError> {
    let query = filter.query.trim();
    let number: Option<i64> = query.trim_start_matches('#').parse().ok();
    let pattern = format!(
        "%{}%",
        query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = sqlx::query!(
        r#"SELECT id, number, status, created_at AS "created_at: chrono::DateTime<chrono::Utc>",
               buyer_name, email, total, gateway
           FROM orders
           WHERE ($1::text IS NULL OR status = $1)
             AND ($2 = '' OR number = $3 OR email ILIKE $4 OR buyer_name ILIKE $4
                  OR coalesce(company, '') ILIKE $4)
           ORDER BY created_at DESC LIMIT $5"#,
        filter.status.map(Status::as_str),
        query,
        number,
        pattern,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(OrderRow {
                id: r.id,
                number: r.number,
                status: Status::parse(&r.status)?,
                created_at: r.created_at,
                buyer_name: r.buyer_name,
                email: r.email,
                total: Cents(r.total),
                gateway: r.gateway,
            })
        })
        .collect())
}

/// Money that moved for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub kind: String,
    pub gateway_ref: String,
    pub amount: Cents,
    pub created_at: DateTime<Utc>,
}

pub async fn payments_of(
    conn: &mut PgConnection,
    order: Uuid,
) -> Result<Vec<PaymentRow>, OrderError> {
    let rows = sqlx::query!(
        r#"SELECT kind, gateway_ref, amount, created_at AS "created_at: chrono::DateTime<chrono::Utc>"
           FROM payments WHERE order_id = $1 ORDER BY created_at"#,
        order
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PaymentRow {
            kind: r.kind,
            gateway_ref: r.gateway_ref,
            amount: Cents(r.amount),
            created_at: r.created_at,
        })
        .collect())
}

/// A gateway event about an order, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: String,
    pub kind: String,
    pub outcome: String,
    pub received_at: DateTime<Utc>,
    pub error: Option<String>,
}

pub async fn events_of(conn: &mut PgConnection, order: Uuid) -> Result<Vec<EventRow>, OrderError> {
    let rows = sqlx::query!(
        r#"SELECT id, type AS kind, outcome, error,
               received_at AS "received_at: chrono::DateTime<chrono::Utc>"
           FROM gateway_events WHERE order_id = $1 ORDER BY received_at"#,
        order
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| EventRow {
            id: r.id,
            kind: r.kind,
            outcome: r.outcome,
            received_at: r.received_at,
            error: r.error,
        })
        .collect())
}

/// The moves a person may make by hand. Money states (paid, refunded) come only from the
/// gateway's records; a paid order is cancelled through a refund.
pub fn may_move_by_hand(from: Status, to: Status) -> bool {
    use Status::*;
    from.may_become(to)
        && matches!(
            (from, to),
            (PendingPayment, Cancelled)
                | (Paid, InFulfilment | Completed)
                | (InFulfilment, Completed)
        )
}

/// Why a move by hand was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveRefused {
    /// Not a move a person may make from the order's status.
    NotAllowed,
    /// A reason is required (1 to 500 characters).
    Reason,
}

/// Moves `order` to `to` by hand, with `reason`, as `actor`: the timeline, the audit log and
/// the client's mail, in the caller's transaction. `Ok(Err(_))` when the move is refused.
pub async fn move_by_hand(
    conn: &mut PgConnection,
    order: Uuid,
    to: Status,
    actor: Uuid,
    reason: &str,
) -> Result<Result<(), MoveRefused>, OrderError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Ok(Err(MoveRefused::Reason));
    }
    let status: Option<String> =
        sqlx::query_scalar!("SELECT status FROM orders WHERE id = $1 FOR UPDATE", order)
            .fetch_optional(&mut *conn)
            .await?;
    let from = status
        .as_deref()
        .and_then(Status::parse)
        .ok_or(OrderError::NotFound)?;
    if !may_move_by_hand(from, to) {
        return Ok(Err(MoveRefused::NotAllowed));
    }
    sqlx::query!(
        "UPDATE orders SET status = $2, updated_at = now() WHERE id = $1",
        order,
        to.as_str()
    )
    .execute(&mut *conn)
    .await?;
    let entry: i64 = sqlx::query_scalar!(
        "INSERT INTO order_events (order_id, from_status, to_status, actor_id, source, note)
         VALUES ($1, $2, $3, $4, 'admin', $5) RETURNING id",
        order,
        from.as_str(),
        to.as_str(),
        actor,
        reason
    )
    .fetch_one(&mut *conn)
    .await?;
    gd_accounts::record(
        conn,
        &AuditEvent::new("order.moved")
            .actor(Some(actor))
            .subject(order)
            .details(
                serde_json::json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason }),
            ),
    )
    .await?;
    gd_jobs::enqueue(
        conn,
        &crate::mails::OrderUpdate {
            order_id: order,
            entry,
        },
    )
    .await?;
    Ok(Ok(()))
}

/// The longest message to a client.
pub const MESSAGE_MAX: usize = 2000;

/// `actor` (an admin or finance) writes `text` to the client of `order`: it joins the
/// order's timeline (the status stays) and is mailed to the client (the support reply), in
/// the caller's transaction. `Ok(None)` for an empty or too long text.
pub async fn message_client(
    conn: &mut PgConnection,
    order: Uuid,
    actor: Uuid,
    text: &str,
) -> Result<Option<i64>, OrderError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MESSAGE_MAX {
        return Ok(None);
    }
    let status: String =
        sqlx::query_scalar!("SELECT status FROM orders WHERE id = $1 FOR UPDATE", order)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(OrderError::NotFound)?;
    let entry: i64 = sqlx::query_scalar!(
        "INSERT INTO order_events (order_id, from_status, to_status, actor_id, source, note)
         VALUES ($1, $2, $2, $3, 'support', $4) RETURNING id",
        order,
        status,
        actor,
        text
    )
    .fetch_one(&mut *conn)
    .await?;
    gd_accounts::record(
        conn,
        &AuditEvent::new("order.message")
            .actor(Some(actor))
            .subject(order)
            .details(serde_json::json!({ "entry": entry })),
    )
    .await?;
    gd_jobs::enqueue(
        conn,
        &crate::mails::OrderUpdate {
            order_id: order,
            entry,
        },
    )
    .await?;
    Ok(Some(entry))
}

/// Moves `order` to `to` because something outside a person's hands happened (its
/// fulfilment started, finished, or finished in part), with `note` for the client, in the
/// caller's transaction: the timeline and, with `mail`, the client's mail. With `to` equal to
/// the current status the entry only records the news (delivery started, a subscription's next
/// cycle delivered). Returns
/// the status the order was in, or `None` when the move is not allowed from there (an order
/// refunded meanwhile keeps its status; nothing is written).
pub async fn move_by_system(
    conn: &mut PgConnection,
    order: Uuid,
    to: Status,
    source: &str,
    note: &str,
    mail: bool,
) -> Result<Option<Status>, OrderError> {
    let status: Option<String> =
        sqlx::query_scalar!("SELECT status FROM orders WHERE id = $1 FOR UPDATE", order)
            .fetch_optional(&mut *conn)
            .await?;
    let from = status
        .as_deref()
        .and_then(Status::parse)
        .ok_or(OrderError::NotFound)?;
    if from != to && !from.may_become(to) {
        return Ok(None);
    }
    if from != to {
        sqlx::query!(
            "UPDATE orders SET status = $2, updated_at = now() WHERE id = $1",
            order,
            to.as_str()
        )
        .execute(&mut *conn)
        .await?;
    }
    let entry: i64 = sqlx::query_scalar!(
        "INSERT INTO order_events (order_id, from_status, to_status, source, note)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        order,
        from.as_str(),
        to.as_str(),
        source,
        Some(note).filter(|n| !n.is_empty())
    )
    .fetch_one(&mut *conn)
    .await?;
    if mail {
        gd_jobs::enqueue(
            conn,
            &crate::mails::OrderUpdate {
                order_id: order,
                entry,
            },
        )
        .await?;
    }
    Ok(Some(from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_never_make_money_states() {
        for from in Status::ALL {
            for to in [Status::Paid, Status::Refunded, Status::PartlyRefunded] {
                assert!(!may_move_by_hand(from, to), "{from:?} → {to:?}");
            }
        }
        assert!(may_move_by_hand(Status::PendingPayment, Status::Cancelled));
        assert!(
            !may_move_by_hand(Status::Paid, Status::Cancelled),
            "a refund cancels it"
        );
        assert!(may_move_by_hand(Status::InFulfilment, Status::Completed));
    }
}
