//! What finance reads besides the invoice list: payments and refunds, open items, the
//! bookkeeping sync's state, and the figures behind the charts (revenue by month and by
//! product, MRR, new and churned subscriptions). All computed in SQL from the frozen records:
//! revenue is what the invoices say (credit notes count against, by product against the
//! products of the invoice they correct), so it matches the books.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
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

/// Net revenue of one product in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductMonth {
    /// The month's first day.
    pub month: NaiveDate,
    pub product: String,
    pub net: i64,
    pub quantity: i64,
}

/// Net revenue by month and product of the documents issued `from` … `to`.
///
/// A credit note's lines name no product ("Erstattung zu Rechnung RE-…"), so its net amount
/// counts against the products of the invoice it corrects, in proportion to the net amounts
/// of that invoice's lines: each share rounded down to the cent, the rest to the largest
/// line, so the shares add up to the credit note exactly. It counts in the month it was
/// issued in, as in the books. Invoices count their own lines (the same sum: an invoice's net
/// is that of its lines), credit notes no quantity.
pub async fn product_months(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ProductMonth>, InvoiceError> {
    Ok(sqlx::query_as!(
        ProductMonth,
        r#"WITH docs AS (
               SELECT i.id, date_trunc('month', i.issued_on)::date AS month,
                      i.kind = 'credit_note' AS credit, i.net,
                      coalesce(i.corrects, i.id) AS base
               FROM invoices i
               WHERE i.issued_on >= $1 AND i.issued_on <= $2
           ),
           parts AS (
               SELECT d.id, d.month, d.credit, d.net, l.item->>'name' AS product,
                      (l.item->>'net')::bigint AS line_net,
                      (l.item->>'quantity')::bigint AS quantity,
                      sum((l.item->>'net')::bigint) OVER (PARTITION BY d.id) AS base_net,
                      row_number() OVER (PARTITION BY d.id
                                         ORDER BY (l.item->>'net')::bigint DESC, l.n) AS place
               FROM docs d
               JOIN invoices b ON b.id = d.base
               CROSS JOIN LATERAL jsonb_array_elements(b.lines) WITH ORDINALITY AS l(item, n)
           ),
           shares AS (
               SELECT id, month, credit, net, product, quantity, place,
                      CASE WHEN base_net = 0 THEN 0
                           ELSE floor(net::numeric * line_net / base_net) END AS share
               FROM parts
           ),
           attributed AS (
               SELECT month, credit, product, quantity,
                      share + CASE WHEN place = 1 THEN net - sum(share) OVER (PARTITION BY id)
                                   ELSE 0 END AS amount
               FROM shares
           )
           SELECT month AS "month!: NaiveDate", product AS "product!",
                  sum(CASE WHEN credit THEN -amount ELSE amount END)::bigint AS "net!",
                  sum(CASE WHEN credit THEN 0 ELSE quantity END)::bigint AS "quantity!"
           FROM attributed
           GROUP BY month, product
           ORDER BY month, product"#,
        from as _,
        to as _
    )
    .fetch_all(conn)
    .await?)
}

/// Net revenue by product of the documents issued `from` … `to` (credit notes count against
/// the products they refund, see [`product_months`]), largest first, at most 50.
pub async fn revenue_by_product(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ProductRevenue>, InvoiceError> {
    let rows = product_months(conn, from, to).await?;
    let mut products = by_product(&rows);
    products.truncate(50);
    Ok(products)
}

/// The months of `rows` summed per product, largest first (then by name).
fn by_product(rows: &[ProductMonth]) -> Vec<ProductRevenue> {
    let mut products: Vec<ProductRevenue> = Vec::new();
    for r in rows {
        match products.iter_mut().find(|p| p.product == r.product) {
            Some(p) => {
                p.net += r.net;
                p.quantity += r.quantity;
            }
            None => products.push(ProductRevenue {
                product: r.product.clone(),
                net: r.net,
                quantity: r.quantity,
            }),
        }
    }
    products.sort_by(|a, b| b.net.cmp(&a.net).then_with(|| a.product.cmp(&b.product)));
    products
}

/// One product's net revenue per month (`product` `None`: all other products together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSeries {
    pub product: Option<String>,
    /// One amount per month, oldest first (cents).
    pub net: Vec<i64>,
}

/// Net revenue by product and month for the `months` months up to and including the one of
/// `until` (the months of [`months`]): the `top` products with the most net revenue over
/// those months each on their own, largest first, then the others summed (when there are
/// any).
pub async fn revenue_by_product_and_month(
    conn: &mut PgConnection,
    until: NaiveDate,
    months: u32,
    top: usize,
) -> Result<Vec<ProductSeries>, InvoiceError> {
    let months = months.max(1);
    let this_month = until.with_day(1).unwrap_or(until);
    let first = this_month
        .checked_sub_months(Months::new(months - 1))
        .unwrap_or(this_month);
    let last = this_month
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(until);
    let rows = product_months(conn, first, last).await?;
    Ok(series(&rows, first, months, top))
}

/// [`revenue_by_product_and_month`]'s sorting of `rows` into series from month `first`.
fn series(rows: &[ProductMonth], first: NaiveDate, months: u32, top: usize) -> Vec<ProductSeries> {
    let index = |d: NaiveDate| {
        let n = (d.year() - first.year()) * 12 + d.month() as i32 - first.month() as i32;
        usize::try_from(n).ok().filter(|&n| n < months as usize)
    };
    let ranked = by_product(rows);
    let mut out: Vec<ProductSeries> = ranked
        .iter()
        .take(top)
        .map(|p| ProductSeries {
            product: Some(p.product.clone()),
            net: vec![0; months as usize],
        })
        .collect();
    let mut others = ProductSeries {
        product: None,
        net: vec![0; months as usize],
    };
    for r in rows {
        let Some(i) = index(r.month) else { continue };
        let s = match out
            .iter_mut()
            .find(|s| s.product.as_deref() == Some(r.product.as_str()))
        {
            Some(s) => s,
            None => &mut others,
        };
        s.net[i] += r.net;
    }
    if ranked.len() > top {
        out.push(others);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }

    fn row(month: NaiveDate, product: &str, net: i64) -> ProductMonth {
        ProductMonth {
            month,
            product: product.into(),
            net,
            quantity: 1,
        }
    }

    #[test]
    fn the_largest_products_get_a_series_of_their_own_and_the_rest_are_others() {
        let rows = vec![
            row(day(2026, 11), "Likes", 1000),
            row(day(2026, 11), "Audit", 5000),
            row(day(2026, 11), "Views", 100),
            row(day(2026, 12), "Audit", -500),
            row(day(2027, 1), "Follower", 2000),
            row(day(2027, 1), "Views", 50),
        ];
        let s = series(&rows, day(2026, 11), 3, 2);
        assert_eq!(
            s,
            vec![
                ProductSeries {
                    product: Some("Audit".into()),
                    net: vec![5000, -500, 0],
                },
                ProductSeries {
                    product: Some("Follower".into()),
                    net: vec![0, 0, 2000],
                },
                ProductSeries {
                    product: None,
                    net: vec![1100, 0, 50],
                },
            ]
        );
        // Every cent is in one series.
        let all: i64 = s.iter().flat_map(|s| s.net.iter()).sum();
        assert_eq!(all, rows.iter().map(|r| r.net).sum::<i64>());
        // No others when every product has its own.
        assert_eq!(series(&rows, day(2026, 11), 3, 5).len(), 4);
    }

    #[test]
    fn products_are_summed_over_the_months_largest_first() {
        let rows = vec![
            row(day(2026, 11), "Likes", 1000),
            row(day(2026, 12), "Likes", 1000),
            row(day(2026, 12), "Audit", 1500),
        ];
        let p = by_product(&rows);
        assert_eq!(p[0].product, "Likes");
        assert_eq!((p[0].net, p[0].quantity), (2000, 2));
        assert_eq!(p[1].product, "Audit");
    }
}
