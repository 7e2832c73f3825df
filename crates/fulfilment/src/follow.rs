//! The order follows its fulfilments: once every part of a payment's delivery is final, the
//! order is completed, or partly fulfilled with a suggested refund for what was not delivered.

use gd_accounts::AuditEvent;
use gd_orders::Status;
use gd_pricing::Cents;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::FulfilmentError;

/// Where one payment's delivery stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub parts: i64,
    pub finished: i64,
    pub completed: i64,
    /// What the client paid for what was not delivered (gross cents): a partial's remainder
    /// and a cancelled part's whole.
    pub suggested_refund: i64,
}

impl Summary {
    pub fn all_final(&self) -> bool {
        self.parts > 0 && self.finished == self.parts
    }
}

/// The delivery of order `order`'s payment `period` (None: the checkout's).
pub async fn summary(
    conn: &mut PgConnection,
    order: Uuid,
    period: Option<Uuid>,
) -> Result<Summary, FulfilmentError> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "parts!",
                  count(*) FILTER (WHERE status IN ('completed', 'partial', 'cancelled')) AS "finished!",
                  count(*) FILTER (WHERE status = 'completed') AS "completed!",
                  coalesce(sum(CASE
                      WHEN status = 'cancelled' THEN paid_total
                      WHEN status = 'partial' THEN paid_total * least(coalesce(remains, 0), quantity) / quantity
                      ELSE 0 END), 0)::bigint AS "refund!"
           FROM fulfilments
           WHERE order_id = $1 AND period_id IS NOT DISTINCT FROM $2"#,
        order,
        period
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Summary {
        parts: row.parts,
        finished: row.finished,
        completed: row.completed,
        suggested_refund: row.refund,
    })
}

/// Moves order `order` on once its payment `period`'s delivery is final, on the caller's
/// transaction; the client hears of it once. Nothing happens while a part is still under way.
pub async fn follow(
    conn: &mut PgConnection,
    order: Uuid,
    period: Option<Uuid>,
) -> Result<(), FulfilmentError> {
    let o = sqlx::query!(
        "SELECT status, lang FROM orders WHERE id = $1 FOR UPDATE",
        order
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(FulfilmentError::NotFound)?;
    let s = summary(conn, order, period).await?;
    if !s.all_final() {
        return Ok(());
    }
    let de = o.lang == "de";
    let whole = s.completed == s.parts;
    let refund = Cents(s.suggested_refund);
    let note = match (whole, de) {
        (true, true) => "Alles ist geliefert.".to_owned(),
        (true, false) => "Everything has been delivered.".to_owned(),
        (false, true) => format!(
            "{} von {} Positionen wurden vollständig geliefert. Für den Rest erstatten wir Ihnen {} – wir melden uns.",
            s.completed,
            s.parts,
            refund.de()
        ),
        (false, false) => format!(
            "{} of {} items were delivered in full. We will refund {} for the rest and be in touch.",
            s.completed,
            s.parts,
            refund.en()
        ),
    };
    let current = Status::parse(&o.status)
        .ok_or_else(|| FulfilmentError::Invalid(format!("order status {}", o.status)))?;
    let moved = match period {
        None => {
            if !matches!(current, Status::Paid | Status::InFulfilment) {
                // Finished before (or refunded meanwhile): said once already.
                return Ok(());
            }
            let to = if whole {
                Status::Completed
            } else {
                Status::PartlyFulfilled
            };
            gd_orders::admin::move_by_system(conn, order, to, "fulfilment", &note, true).await?
        }
        Some(period) => {
            // A renewal's cycle: the order keeps its status; the period says it was told.
            let first = sqlx::query_scalar!(
                "UPDATE subscription_periods SET delivered_at = now()
                 WHERE id = $1 AND delivered_at IS NULL RETURNING id",
                period
            )
            .fetch_optional(&mut *conn)
            .await?;
            if first.is_none() {
                return Ok(());
            }
            gd_orders::admin::move_by_system(conn, order, current, "fulfilment", &note, true)
                .await?
        }
    };
    if moved.is_some() && !whole {
        gd_accounts::record(
            conn,
            &AuditEvent::new("order.partly_fulfilled")
                .subject(order)
                .details(serde_json::json!({
                    "period": period,
                    "suggested_refund": s.suggested_refund,
                    "completed": s.completed,
                    "parts": s.parts,
                })),
        )
        .await?;
    }
    Ok(())
}

/// Fulfilment `part` has started (claimed by a person, taken by a provider): the first start of
/// an order's first delivery is told to the client, once. Renewals' cycles only say when they
/// are delivered.
pub(crate) async fn started(conn: &mut PgConnection, part: Uuid) -> Result<(), FulfilmentError> {
    let first = sqlx::query!(
        r#"UPDATE orders o SET delivery_started_at = now()
           FROM fulfilments f
           WHERE f.id = $1 AND f.period_id IS NULL AND o.id = f.order_id
             AND o.delivery_started_at IS NULL AND o.status = 'in_fulfilment'
           RETURNING o.id, o.lang"#,
        part
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(order) = first else {
        return Ok(());
    };
    let note = if order.lang == "de" {
        "Die Lieferung hat begonnen."
    } else {
        "Your delivery has started."
    };
    gd_orders::admin::move_by_system(
        conn,
        order.id,
        Status::InFulfilment,
        "fulfilment",
        note,
        true,
    )
    .await?;
    Ok(())
}
