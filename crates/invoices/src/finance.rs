//! What finance reads besides the invoice list: payments and refunds, open items, the
//! bookkeeping sync's state, and the figures behind the charts (revenue by month and by
//! product, MRR, new and churned subscriptions). All computed in SQL from the frozen records:
//! revenue is what the invoices say (credit notes count against), so it matches the books.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::InvoiceError;

/// A payment or refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: Uuid,
    /// `payment` or `refund`.
    pub kind: String,
    pub gateway: String,
    pub gateway_ref: String,
    pub amount: i64,
    pub order_id: Uuid,
    pub order_number: i64,
    pub client: String,
    pub created_at: DateTime<Utc>,
}

/// Payments and refunds from `from` to `to` (inclusive; open ends), newest first, at most
/// `limit`.
pub async fn payments(
    conn: &mut PgConnection,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    limit: i64,
) -> Result<Vec<Payment>, InvoiceError> {
    Ok(sqlx::query_as!(
        Payment,
        r#"SELECT p.id, p.kind, p.gateway, p.gateway_ref, p.amount, p.order_id,
                  o.number AS order_number, u.email AS client,
                  p.created_at AS "created_at: DateTime<Utc>"
           FROM payments p
           JOIN orders o ON o.id = p.order_id
           JOIN users u ON u.id = o.user_id
           WHERE ($1::date IS NULL OR p.created_at >= $1::date)
             AND ($2::date IS NULL OR p.created_at < $2::date + 1)
           ORDER BY p.created_at DESC, p.id
           LIMIT $3"#,
        from as _,
        to as _,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Money the agency is owed: subscription periods not (yet) paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    pub period_id: Uuid,
    pub client: String,
    pub plan: String,
    pub amount: i64,
    /// `open` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub since: DateTime<Utc>,
    pub order_id: Uuid,
    pub order_number: i64,
}

/// Every subscription period that is open or whose payment failed, oldest first.
pub async fn open_items(conn: &mut PgConnection) -> Result<Vec<OpenItem>, InvoiceError> {
    Ok(sqlx::query_as!(
        OpenItem,
        r#"SELECT p.id AS period_id, u.email AS client, s.plan_name AS plan, p.amount, p.status,
                  p.attempts, p.created_at AS "since: DateTime<Utc>", s.order_id,
                  o.number AS order_number
           FROM subscription_periods p
           JOIN subscriptions s ON s.id = p.subscription_id
           JOIN orders o ON o.id = s.order_id
           JOIN users u ON u.id = s.user_id
           WHERE p.status IN ('open', 'failed') AND p.amount > 0
           ORDER BY p.created_at
           LIMIT 500"#
    )
    .fetch_all(conn)
    .await?)
}

/// Where an invoice stands in Lexoffice (`waiting` when it has no row yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    pub invoice_id: Uuid,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_try_at: Option<DateTime<Utc>>,
    pub payment_status: Option<String>,
}

/// The sync state of each of `ids`.
pub async fn sync_states(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<SyncState>, InvoiceError> {
    Ok(sqlx::query_as!(
        SyncState,
        r#"SELECT i.id AS "invoice_id!", coalesce(s.state, 'waiting') AS "state!",
                  coalesce(s.attempts, 0) AS "attempts!", s.last_error,
                  s.next_try_at AS "next_try_at: DateTime<Utc>", s.payment_status
           FROM unnest($1::uuid[]) AS i(id)
           LEFT JOIN invoice_sync s ON s.invoice_id = i.id"#,
        ids
    )
    .fetch_all(conn)
    .await?)
}

/// How many invoices are in each sync state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCounts {
    pub waiting: i64,
    pub queued: i64,
    pub failed: i64,
    pub pushed: i64,
}

pub async fn sync_counts(conn: &mut PgConnection) -> Result<SyncCounts, InvoiceError> {
    let r = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE s.invoice_id IS NULL) AS "waiting!",
                  count(*) FILTER (WHERE s.state = 'queued') AS "queued!",
                  count(*) FILTER (WHERE s.state = 'failed') AS "failed!",
                  count(*) FILTER (WHERE s.state = 'pushed') AS "pushed!"
           FROM invoices i LEFT JOIN invoice_sync s ON s.invoice_id = i.id"#
    )
    .fetch_one(conn)
    .await?;
    Ok(SyncCounts {
        waiting: r.waiting,
        queued: r.queued,
        failed: r.failed,
        pushed: r.pushed,
    })
}

/// One month's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    /// The month's first day.
    pub month: NaiveDate,
    /// Net revenue: invoices less credit notes issued in the month (cents).
    pub revenue_net: i64,
    pub revenue_gross: i64,
    /// Monthly recurring revenue at the month's end: what the subscriptions running then
    /// bring per month (a yearly plan counts a twelfth), gross cents.
    pub mrr: i64,
    pub new_subscriptions: i64,
    pub churned_subscriptions: i64,
}

/// The `months` months up to and including the one of `until`, oldest first.
pub async fn months(
    conn: &mut PgConnection,
    until: NaiveDate,
    months: i32,
) -> Result<Vec<Month>, InvoiceError> {
    let rows = sqlx::query!(
        r#"WITH m AS (
               SELECT generate_series(
                   date_trunc('month', $1::date) - make_interval(months => $2 - 1),
                   date_trunc('month', $1::date), interval '1 month')::date AS month
           )
           SELECT m.month AS "month!: NaiveDate",
                  coalesce((SELECT sum(CASE WHEN i.kind = 'credit_note' THEN -i.net ELSE i.net END)
                            FROM invoices i
                            WHERE i.issued_on >= m.month
                              AND i.issued_on < m.month + interval '1 month'), 0)::bigint
                      AS "revenue_net!",
                  coalesce((SELECT sum(CASE WHEN i.kind = 'credit_note' THEN -i.total ELSE i.total END)
                            FROM invoices i
                            WHERE i.issued_on >= m.month
                              AND i.issued_on < m.month + interval '1 month'), 0)::bigint
                      AS "revenue_gross!",
                  coalesce((SELECT sum(CASE WHEN s.interval = 'year' THEN s.amount / 12
                                            ELSE s.amount END)
                            FROM subscriptions s
                            WHERE s.status NOT IN ('incomplete', 'incomplete_expired')
                              AND s.created_at < m.month + interval '1 month'
                              AND (s.ended_at IS NULL
                                   OR s.ended_at >= m.month + interval '1 month')), 0)::bigint
                      AS "mrr!",
                  (SELECT count(*) FROM subscriptions s
                   WHERE s.status NOT IN ('incomplete', 'incomplete_expired')
                     AND s.created_at >= m.month
                     AND s.created_at < m.month + interval '1 month') AS "new_subscriptions!",
                  (SELECT count(*) FROM subscriptions s
                   WHERE s.ended_at >= m.month
                     AND s.ended_at < m.month + interval '1 month') AS "churned_subscriptions!"
           FROM m ORDER BY m.month"#,
        until as _,
        months
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Month {
            month: r.month,
            revenue_net: r.revenue_net,
            revenue_gross: r.revenue_gross,
            mrr: r.mrr,
            new_subscriptions: r.new_subscriptions,
            churned_subscriptions: r.churned_subscriptions,
        })
        .collect())
}

/// Net revenue of one product (by the name on the invoice line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRevenue {
    pub product: String,
    pub net: i64,
    pub quantity: i64,
}

/// Net revenue by product of the invoices issued `from` … `to` (credit notes count against),
/// largest first.
pub async fn revenue_by_product(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ProductRevenue>, InvoiceError> {
    Ok(sqlx::query_as!(
        ProductRevenue,
        r#"SELECT l->>'name' AS "product!",
                  sum(CASE WHEN i.kind = 'credit_note' THEN -(l->>'net')::bigint
                           ELSE (l->>'net')::bigint END)::bigint AS "net!",
                  sum(CASE WHEN i.kind = 'credit_note' THEN 0
                           ELSE (l->>'quantity')::bigint END)::bigint AS "quantity!"
           FROM invoices i, jsonb_array_elements(i.lines) AS l
           WHERE i.issued_on >= $1 AND i.issued_on <= $2
           GROUP BY l->>'name'
           ORDER BY 2 DESC, 1
           LIMIT 50"#,
        from as _,
        to as _
    )
    .fetch_all(conn)
    .await?)
}
