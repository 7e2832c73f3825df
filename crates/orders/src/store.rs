//! Creating an order from a priced cart, and reading orders back.

use chrono::{DateTime, Utc};
use gd_cart::{Notice, PricedLine};
use gd_common::Locale;
use gd_pricing::{net_of, Billing as Period, Cents, Quote, Treatment};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::billing::Billing;
use crate::status::Status;
use crate::OrderError;

/// One line as it will be frozen into the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub product_id: Uuid,
    pub slug: String,
    pub name: String,
    pub period: Period,
    pub tier: String,
    pub addons: Vec<String>,
    pub speed: Option<String>,
    pub description: String,
    pub target: String,
    pub quantity: u32,
    pub unit_gross: Cents,
    pub vat_rate_bp: u16,
    pub net: Cents,
    pub vat: Cents,
    pub total: Cents,
}

/// The lines of a cart, priced under `treatment` and frozen for an order, with the quote
/// they add up to. Refuses a cart with lines no longer sold (the buyer removes them first),
/// an empty cart, and monthly and yearly plans together (one subscription has one interval).
pub fn freeze_lines(
    priced: &[PricedLine<'_>],
    quote: &Quote,
    locale: Locale,
) -> Result<Vec<NewLine>, OrderError> {
    if priced.is_empty() {
        return Err(OrderError::EmptyCart);
    }
    if priced
        .iter()
        .any(|l| matches!(l.notice, Some(Notice::Unavailable)))
    {
        return Err(OrderError::Unavailable);
    }
    let periods: Vec<Period> = quote
        .periods
        .iter()
        .map(|t| t.billing)
        .filter(|b| *b != Period::OneOff)
        .collect();
    if periods.len() > 1 {
        return Err(OrderError::MixedIntervals);
    }
    let treatment = quote.treatment;
    let mut lines: Vec<NewLine> = Vec::with_capacity(priced.len());
    for p in priced {
        let (Some(product), Some(price)) = (p.product, p.price.as_ref()) else {
            return Err(OrderError::Unavailable);
        };
        let rate = match treatment {
            Treatment::SmallBusiness => gd_pricing::VatRate::ZERO,
            _ => price.vat,
        };
        let gross = price.gross;
        let (net, vat, total) = match treatment {
            Treatment::Standard => {
                let net = net_of(gross, rate);
                (net, Cents(gross.0 - net.0), gross)
            }
            Treatment::ReverseCharge => {
                let net = net_of(gross, rate);
                (net, Cents(0), net)
            }
            Treatment::SmallBusiness => (gross, Cents(0), gross),
        };
        lines.push(NewLine {
            product_id: product.id,
            slug: product.slug.clone(),
            name: product.name.get(locale).to_owned(),
            period: price.billing,
            tier: p.line.selection.tier.clone(),
            addons: p.line.selection.addons.clone(),
            speed: p.line.selection.speed.clone(),
            description: gd_cart::describe(product, &p.line.selection, locale),
            target: p.line.target.clone(),
            quantity: p.line.selection.quantity,
            unit_gross: price.unit_gross,
            vat_rate_bp: rate.basis_points(),
            net,
            vat,
            total,
        });
    }
    // The quote splits each rate's sum once; lines split one by one and can differ by a cent
    // per line. The largest line of each period and rate takes the difference, so the lines
    // add up to exactly what is charged.
    for totals in &quote.periods {
        for rate in &totals.rates {
            let of_group = |l: &NewLine| {
                l.period == totals.billing && l.vat_rate_bp == rate.rate.basis_points()
            };
            let net_sum: i64 = lines.iter().filter(|l| of_group(l)).map(|l| l.net.0).sum();
            let vat_sum: i64 = lines.iter().filter(|l| of_group(l)).map(|l| l.vat.0).sum();
            let (dn, dv) = (rate.net.0 - net_sum, rate.vat.0 - vat_sum);
            if dn == 0 && dv == 0 {
                continue;
            }
            if let Some(largest) = lines
                .iter_mut()
                .filter(|l| of_group(l))
                .max_by_key(|l| l.total.0)
            {
                largest.net = Cents(largest.net.0 + dn);
                largest.vat = Cents(largest.vat.0 + dv);
                largest.total = Cents(largest.net.0 + largest.vat.0);
            }
        }
    }
    Ok(lines)
}

/// Everything an order is created with.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub user_id: Uuid,
    pub locale: Locale,
    pub email: String,
    pub billing: Billing,
    pub terms_version: String,
    /// The words of the consent to start before the withdrawal period ends, when given.
    pub early_start_consent: Option<String>,
    pub gateway: &'static str,
    pub cart_id: Option<Uuid>,
    pub cart_line_ids: Vec<Uuid>,
    pub lines: Vec<NewLine>,
    pub quote: Quote,
}

/// A new order's handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Created {
    pub id: Uuid,
    pub number: i64,
}

/// Stores `order` in status "pending payment" with its lines and the first timeline entry,
/// on the caller's connection (the caller owns the transaction).
pub async fn create(conn: &mut PgConnection, order: &NewOrder) -> Result<Created, OrderError> {
    let id = Uuid::now_v7();
    let subscription = order.lines.iter().any(|l| l.period != Period::OneOff);
    let (net, vat, total) = order
        .quote
        .periods
        .iter()
        .fold((0i64, 0i64, 0i64), |acc, t| {
            (acc.0 + t.net.0, acc.1 + t.vat.0, acc.2 + t.total.0)
        });
    let rates = serde_json::to_value(
        order
            .quote
            .periods
            .iter()
            .map(|t| {
                serde_json::json!({
                    "billing": t.billing.as_str(),
                    "rates": t.rates.iter().map(|r| serde_json::json!({
                        "rate_bp": r.rate.basis_points(), "net": r.net.0, "vat": r.vat.0, "total": r.total.0,
                    })).collect::<Vec<_>>(),
                    "net": t.net.0, "vat": t.vat.0, "total": t.total.0,
                })
            })
            .collect::<Vec<_>>(),
    )
    .map_err(|e| OrderError::Invalid(e.to_string()))?;
    let b = &order.billing;
    let number: i64 = sqlx::query_scalar!(
        r#"INSERT INTO orders (id, user_id, lang, mode, treatment, email, buyer_name, company,
               street, postal_code, city, country, vat_id, terms_accepted_at, terms_version,
               early_start_consent_at, early_start_consent_text, net, vat, total, rates, gateway,
               cart_id, cart_line_ids)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now(), $14,
               CASE WHEN $15::text IS NULL THEN NULL ELSE now() END, $15, $16, $17, $18, $19, $20,
               $21, $22)
           RETURNING number"#,
        id,
        order.user_id,
        order.locale.as_str(),
        if subscription {
            "subscription"
        } else {
            "payment"
        },
        treatment_str(order.quote.treatment),
        order.email,
        b.name,
        b.company,
        b.street,
        b.postal_code,
        b.city,
        b.country,
        b.vat_id.as_ref().map(|v| v.as_str().to_owned()),
        order.terms_version,
        order.early_start_consent,
        net,
        vat,
        total,
        rates,
        order.gateway,
        order.cart_id,
        &order.cart_line_ids,
    )
    .fetch_one(&mut *conn)
    .await?;
    for (i, l) in order.lines.iter().enumerate() {
        sqlx::query!(
            "INSERT INTO order_lines (id, order_id, position, product_id, product_slug, product_name,
                 billing, tier_key, addons, speed_key, description, target, quantity, unit_gross,
                 vat_rate_bp, net, vat, total)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            Uuid::now_v7(),
            id,
            i32::try_from(i + 1).unwrap_or(i32::MAX),
            l.product_id,
            l.slug,
            l.name,
            l.period.as_str(),
            l.tier,
            &l.addons,
            l.speed,
            l.description,
            l.target,
            i32::try_from(l.quantity).unwrap_or(i32::MAX),
            l.unit_gross.0,
            i32::from(l.vat_rate_bp),
            l.net.0,
            l.vat.0,
            l.total.0,
        )
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query!(
        "INSERT INTO order_events (order_id, to_status, actor_id, source) VALUES ($1, $2, $3, 'checkout')",
        id,
        Status::PendingPayment.as_str(),
        order.user_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(Created { id, number })
}

pub(crate) fn treatment_str(t: Treatment) -> &'static str {
    match t {
        Treatment::Standard => "standard",
        Treatment::ReverseCharge => "reverse_charge",
        Treatment::SmallBusiness => "small_business",
    }
}

/// Records the checkout session made for the order.
pub async fn attach_session(
    conn: &mut PgConnection,
    order: Uuid,
    session_id: &str,
    url: Option<&str>,
) -> Result<(), OrderError> {
    sqlx::query!(
        "UPDATE orders SET session_id = $2, session_url = $3, updated_at = now() WHERE id = $1",
        order,
        session_id,
        url
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: Uuid,
    pub number: i64,
    pub user_id: Uuid,
    pub status: Status,
    pub locale: Locale,
    pub subscription: bool,
    pub treatment: Treatment,
    pub email: String,
    pub buyer_name: String,
    pub company: Option<String>,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub vat_id: Option<String>,
    pub early_start_consent_at: Option<DateTime<Utc>>,
    pub net: Cents,
    pub vat: Cents,
    pub total: Cents,
    pub gateway: String,
    pub session_id: Option<String>,
    pub session_url: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub confirmation_mailed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub lines: Vec<OrderLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub position: i32,
    pub slug: String,
    pub name: String,
    pub period: Period,
    pub description: String,
    pub target: String,
    pub quantity: i32,
    pub vat_rate_bp: i32,
    pub net: Cents,
    pub vat: Cents,
    pub total: Cents,
}

/// One order with its lines.
pub async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<Order>, OrderError> {
    let row = sqlx::query!(
        r#"SELECT id, number, user_id, status, lang, mode, treatment, email, buyer_name, company,
               street, postal_code, city, country, vat_id,
               early_start_consent_at AS "early_start_consent_at: chrono::DateTime<chrono::Utc>", net, vat, total,
               gateway, session_id, session_url, paid_at AS "paid_at: chrono::DateTime<chrono::Utc>",
               confirmation_mailed_at AS "confirmation_mailed_at: chrono::DateTime<chrono::Utc>", created_at AS "created_at: chrono::DateTime<chrono::Utc>"
           FROM orders WHERE id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let lines = sqlx::query!(
        "SELECT position, product_slug, product_name, billing, description, target, quantity,
                vat_rate_bp, net, vat, total
         FROM order_lines WHERE order_id = $1 ORDER BY position",
        id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|l| OrderLine {
        position: l.position,
        slug: l.product_slug,
        name: l.product_name,
        period: Period::parse(&l.billing).unwrap_or(Period::OneOff),
        description: l.description,
        target: l.target,
        quantity: l.quantity,
        vat_rate_bp: l.vat_rate_bp,
        net: Cents(l.net),
        vat: Cents(l.vat),
        total: Cents(l.total),
    })
    .collect();
    Ok(Some(Order {
        id: r.id,
        number: r.number,
        user_id: r.user_id,
        status: Status::parse(&r.status).ok_or_else(|| OrderError::Invalid(r.status.clone()))?,
        locale: Locale::parse(&r.lang),
        subscription: r.mode == "subscription",
        treatment: match r.treatment.as_str() {
            "reverse_charge" => Treatment::ReverseCharge,
            "small_business" => Treatment::SmallBusiness,
            _ => Treatment::Standard,
        },
        email: r.email,
        buyer_name: r.buyer_name,
        company: r.company,
        street: r.street,
        postal_code: r.postal_code,
        city: r.city,
        country: r.country,
        vat_id: r.vat_id,
        early_start_consent_at: r.early_start_consent_at,
        net: Cents(r.net),
        vat: Cents(r.vat),
        total: Cents(r.total),
        gateway: r.gateway,
        session_id: r.session_id,
        session_url: r.session_url,
        paid_at: r.paid_at,
        confirmation_mailed_at: r.confirmation_mailed_at,
        created_at: r.created_at,
        lines,
    }))
}

/// The order a checkout session was made for.
pub async fn by_session(
    conn: &mut PgConnection,
    session_id: &str,
) -> Result<Option<Uuid>, OrderError> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM orders WHERE session_id = $1", session_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// One entry of an order's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub from: Option<Status>,
    pub to: Status,
    pub source: String,
    pub note: Option<String>,
}

/// The order's timeline, oldest first.
pub async fn timeline(
    conn: &mut PgConnection,
    order: Uuid,
) -> Result<Vec<TimelineEntry>, OrderError> {
    let rows = sqlx::query!(
        r#"SELECT at AS "at: chrono::DateTime<chrono::Utc>", from_status, to_status, source, note FROM order_events
           WHERE order_id = $1 ORDER BY id"#,
        order
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(TimelineEntry {
                at: r.at,
                from: r.from_status.as_deref().and_then(Status::parse),
                to: Status::parse(&r.to_status)?,
                source: r.source,
                note: r.note,
            })
        })
        .collect())
}

/// The billing details of the user's last order (to fill the next checkout's form with).
pub async fn last_billing(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Option<crate::BillingInput>, OrderError> {
    let row = sqlx::query!(
        "SELECT buyer_name, company, street, postal_code, city, country, vat_id FROM orders
         WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1",
        user
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| crate::BillingInput {
        name: r.buyer_name,
        company: r.company.unwrap_or_default(),
        street: r.street,
        postal_code: r.postal_code,
        city: r.city,
        country: r.country,
        vat_id: r.vat_id.unwrap_or_default(),
    }))
}

/// A line of a client's order list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderListItem {
    pub id: Uuid,
    pub number: i64,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub total: Cents,
    /// "1 × Instagram Follower, 2 × Reels Views".
    pub items: String,
}

/// The user's orders, newest first (at most `limit`).
pub async fn list_for_user(
    conn: &mut PgConnection,
    user: Uuid,
    limit: i64,
) -> Result<Vec<OrderListItem>, OrderError> {
    let rows = sqlx::query!(
        r#"SELECT o.id, o.number, o.status, o.created_at AS "created_at: chrono::DateTime<chrono::Utc>", o.total,
               (SELECT string_agg(l.quantity || ' × ' || l.product_name, ', ' ORDER BY l.position)
                FROM order_lines l WHERE l.order_id = o.id) AS "items?"
           FROM orders o WHERE o.user_id = $1 ORDER BY o.created_at DESC LIMIT $2"#,
        user,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(OrderListItem {
                id: r.id,
                number: r.number,
                status: Status::parse(&r.status)?,
                created_at: r.created_at,
                total: Cents(r.total),
                items: r.items.unwrap_or_default(),
            })
        })
        .collect())
}
