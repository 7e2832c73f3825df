//! A payment becomes fulfilments: one per line, one per item of a bundle; each routed to a
//! provider's service or left to a person, and checked against the margin guard.

use gd_accounts::AuditEvent;
use gd_catalog::StoredOffer;
use gd_orders::Status;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{cost_cents, FulfilmentError, SubmitFulfilment};

/// What planning a payment's delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Planned {
    /// Fulfilments created now (0 when the payment was planned before).
    pub created: usize,
    /// Sent to a provider by the submit job.
    pub queued_for_provider: usize,
    /// Waiting for a person (manual tasks).
    pub manual: usize,
    /// Held for an admin's decision (margin, a route that cannot take it).
    pub held: usize,
}

/// One thing to deliver, before it is stored.
struct Part {
    line_id: Uuid,
    part: i32,
    product_id: Option<Uuid>,
    speed_key: String,
    title: String,
    target: String,
    quantity: i64,
    paid_net: i64,
    paid_total: i64,
    guarantee_days: i32,
}

/// The route a part takes, when its product has one.
struct Route {
    provider_id: Uuid,
    service: String,
    drip_runs: Option<i32>,
    drip_interval_minutes: Option<i32>,
    rate_micros: i64,
    eur_per_unit_micros: i64,
    usable: Result<(), String>,
}

/// Plans the delivery of order `order_id`'s payment (`period_id` None: the checkout's, all
/// lines) or of a subscription renewal (its recurring lines), on the caller's transaction.
/// Planning the same payment twice creates nothing new. The first payment moves the order
/// into fulfilment (and the client hears of it).
pub async fn plan(
    conn: &mut PgConnection,
    order_id: Uuid,
    period_id: Option<Uuid>,
) -> Result<Planned, FulfilmentError> {
    let order = sqlx::query!(
        "SELECT status, lang FROM orders WHERE id = $1 FOR UPDATE",
        order_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(FulfilmentError::NotFound)?;
    let status = Status::parse(&order.status)
        .ok_or_else(|| FulfilmentError::Invalid(format!("order status {}", order.status)))?;
    // Money that was refunded or came after a cancellation is not delivered.
    let deliverable = match period_id {
        None => status == Status::Paid,
        Some(_) => matches!(
            status,
            Status::Paid | Status::InFulfilment | Status::Completed | Status::PartlyFulfilled
        ),
    };
    if !deliverable {
        tracing::info!(%order_id, status = order.status, "nothing to deliver in this status");
        return Ok(Planned::default());
    }
    let de = order.lang == "de";
    let parts = parts(conn, order_id, period_id.is_none(), de).await?;
    let mut planned = Planned::default();
    for part in parts {
        let route = route(conn, &part).await?;
        let id = Uuid::now_v7();
        let (method, status, hold, error, cost) = match &route {
            None => ("manual", "queued", None, None, None),
            Some(r) => {
                let cost = cost_cents(r.rate_micros, part.quantity, r.eur_per_unit_micros);
                match &r.usable {
                    Err(why) => ("provider", "held", Some("unrouted"), Some(why.clone()), Some(cost)),
                    Ok(()) if cost > part.paid_net => (
                        "provider",
                        "held",
                        Some("margin"),
                        Some(format!(
                            "the provider's price ({cost} cents) exceeds what the client paid ({} cents net)",
                            part.paid_net
                        )),
                        Some(cost),
                    ),
                    Ok(()) => ("provider", "queued", None, None, Some(cost)),
                }
            }
        };
        let inserted = sqlx::query_scalar!(
            "INSERT INTO fulfilments (id, order_id, order_line_id, period_id, part, product_id,
                 title, target, quantity, paid_net, paid_total, guarantee_days, method,
                 provider_id, service, drip_runs, drip_interval_minutes, cost_estimate, status,
                 hold_reason, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                     $18, $19, $20, $21)
             ON CONFLICT (order_line_id, period_id, part) DO NOTHING
             RETURNING id",
            id,
            order_id,
            part.line_id,
            period_id,
            part.part,
            part.product_id,
            part.title,
            part.target,
            part.quantity,
            part.paid_net,
            part.paid_total,
            part.guarantee_days,
            method,
            route.as_ref().map(|r| r.provider_id),
            route.as_ref().map(|r| r.service.clone()),
            route.as_ref().and_then(|r| r.drip_runs),
            route.as_ref().and_then(|r| r.drip_interval_minutes),
            cost,
            status,
            hold,
            error,
        )
        .fetch_optional(&mut *conn)
        .await?;
        if inserted.is_none() {
            continue;
        }
        planned.created += 1;
        match (method, status) {
            ("manual", _) => planned.manual += 1,
            (_, "queued") => {
                planned.queued_for_provider += 1;
                gd_jobs::enqueue(&mut *conn, &SubmitFulfilment { fulfilment_id: id }).await?;
            }
            _ => {
                planned.held += 1;
                gd_accounts::record(
                    conn,
                    &AuditEvent::new("fulfilment.held").subject(id).details(
                        serde_json::json!({ "order": order_id, "reason": hold, "error": error }),
                    ),
                )
                .await?;
            }
        }
    }
    if period_id.is_none() && planned.created > 0 {
        // The confirmation has just told the client; the start of the delivery itself is
        // mailed when it happens (crate::follow::started).
        let note = if de {
            "Die Lieferung wird vorbereitet."
        } else {
            "Your delivery is being prepared."
        };
        gd_orders::admin::move_by_system(
            conn,
            order_id,
            Status::InFulfilment,
            "fulfilment",
            note,
            false,
        )
        .await?;
    }
    Ok(planned)
}

/// The parts of an order's lines: recurring lines only for a renewal; a bundle's items one by
/// one, sharing the line's price by their list prices.
async fn parts(
    conn: &mut PgConnection,
    order_id: Uuid,
    all_lines: bool,
    de: bool,
) -> Result<Vec<Part>, FulfilmentError> {
    let lines = sqlx::query!(
        r#"SELECT ol.id, ol.product_id, ol.tier_key, ol.speed_key, ol.description, ol.target,
                  ol.quantity, ol.net, ol.total, p.kind AS "kind?", pp.offer AS "offer?",
                  p.guarantee_days AS "guarantee_days?"
           FROM order_lines ol
           LEFT JOIN products p ON p.id = ol.product_id
           LEFT JOIN product_prices pp ON pp.id = p.price_id
           WHERE ol.order_id = $1 AND ($2 OR ol.billing <> 'one_off')
           ORDER BY ol.position"#,
        order_id,
        all_lines
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut parts = Vec::new();
    for line in lines {
        let line_quantity = i64::from(line.quantity);
        let guarantee = line.guarantee_days.unwrap_or(30);
        if line.kind.as_deref() == Some("bundle") {
            let items = sqlx::query!(
                r#"SELECT bi.item_id, bi.tier_key, bi.quantity, p.name_de, p.name_en, p.unit_de,
                          p.unit_en, p.guarantee_days, pp.offer AS "offer?"
                   FROM bundle_items bi
                   JOIN products p ON p.id = bi.item_id
                   LEFT JOIN product_prices pp ON pp.id = p.price_id
                   WHERE bi.bundle_id = $1
                   ORDER BY bi.position, p.name_de"#,
                line.product_id
            )
            .fetch_all(&mut *conn)
            .await?;
            if !items.is_empty() {
                let priced: Vec<(i64, i64)> = items
                    .iter()
                    .map(|i| {
                        let tier = tier(i.offer.as_ref(), &i.tier_key);
                        let units = tier.map_or(1, |(amount, _)| amount) * i64::from(i.quantity);
                        let weight =
                            tier.map_or(1, |(_, price)| price.max(1)) * i64::from(i.quantity);
                        (units * line_quantity, weight)
                    })
                    .collect();
                let weights: Vec<i64> = priced.iter().map(|(_, w)| *w).collect();
                let nets = share(line.net, &weights);
                let totals = share(line.total, &weights);
                for (n, item) in items.into_iter().enumerate() {
                    let (units, _) = priced[n];
                    let (name, unit) = if de {
                        (item.name_de, item.unit_de)
                    } else {
                        (item.name_en, item.unit_en)
                    };
                    parts.push(Part {
                        line_id: line.id,
                        part: i32::try_from(n + 1).unwrap_or(i32::MAX),
                        product_id: Some(item.item_id),
                        speed_key: String::new(),
                        title: format!("{name} · {} {unit}", grouped(units, de))
                            .trim()
                            .to_owned(),
                        target: line.target.clone(),
                        quantity: units,
                        paid_net: nets[n],
                        paid_total: totals[n],
                        guarantee_days: item.guarantee_days,
                    });
                }
                continue;
            }
        }
        let units = tier(line.offer.as_ref(), &line.tier_key).map_or(1, |(amount, _)| amount);
        parts.push(Part {
            line_id: line.id,
            part: 1,
            product_id: line.product_id,
            speed_key: line.speed_key.unwrap_or_default(),
            title: line.description,
            target: line.target,
            quantity: units * line_quantity,
            paid_net: line.net,
            paid_total: line.total,
            guarantee_days: guarantee,
        });
    }
    Ok(parts)
}

/// The amount and price of tier `key` in a stored offer.
fn tier(offer: Option<&serde_json::Value>, key: &str) -> Option<(i64, i64)> {
    let stored: StoredOffer = serde_json::from_value(offer?.clone()).ok()?;
    stored
        .offer
        .tiers
        .iter()
        .find(|t| t.key == key)
        .map(|t| (i64::from(t.amount), t.price.0))
}

/// `total` split by `weights`, the rounding left on the last share (the shares add up).
fn share(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum == 0 || weights.is_empty() {
        return weights.iter().map(|_| 0).collect();
    }
    let mut shares: Vec<i64> = weights
        .iter()
        .map(|w| i64::try_from(i128::from(total) * i128::from(*w) / sum).unwrap_or(0))
        .collect();
    let given: i64 = shares.iter().sum();
    if let Some(last) = shares.last_mut() {
        *last += total - given;
    }
    shares
}

/// 5000 → "5.000" (German) or "5,000".
fn grouped(n: i64, de: bool) -> String {
    let digits = n.abs().to_string();
    let sep = if de { '.' } else { ',' };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// The route of a part's product: the one for its speed, else the one for every speed.
async fn route(conn: &mut PgConnection, part: &Part) -> Result<Option<Route>, FulfilmentError> {
    let Some(product) = part.product_id else {
        return Ok(None);
    };
    let row = sqlx::query!(
        "SELECT r.provider_id, r.service, r.drip_runs, r.drip_interval_minutes, s.rate_micros,
                s.min_quantity, s.max_quantity, s.available, pr.enabled, pr.eur_per_unit_micros,
                pr.name
         FROM fulfilment_routes r
         JOIN provider_services s ON s.provider_id = r.provider_id AND s.service = r.service
         JOIN fulfilment_providers pr ON pr.id = r.provider_id
         WHERE r.product_id = $1 AND r.speed_key IN ($2, '')
         ORDER BY r.speed_key DESC
         LIMIT 1",
        product,
        part.speed_key
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| {
        let usable = if !r.enabled {
            Err(format!("the provider {} is switched off", r.name))
        } else if !r.available {
            Err(format!("{} no longer offers service {}", r.name, r.service))
        } else if r.min_quantity > 0 && part.quantity < r.min_quantity
            || r.max_quantity > 0 && part.quantity > r.max_quantity
        {
            Err(format!(
                "{} units are outside service {}'s range ({} to {})",
                part.quantity, r.service, r.min_quantity, r.max_quantity
            ))
        } else {
            Ok(())
        };
        Route {
            provider_id: r.provider_id,
            service: r.service,
            drip_runs: r.drip_runs,
            drip_interval_minutes: r.drip_interval_minutes,
            rate_micros: r.rate_micros,
            eur_per_unit_micros: r.eur_per_unit_micros,
            usable,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::{grouped, share};

    #[test]
    fn shares_add_up_to_the_whole() {
        assert_eq!(share(1000, &[1, 1, 1]), vec![333, 333, 334]);
        assert_eq!(share(999, &[2990, 990]), vec![750, 249]);
        assert_eq!(share(500, &[0, 0]), vec![0, 0]);
        assert_eq!(share(0, &[5]), vec![0]);
    }

    #[test]
    fn numbers_are_grouped_by_language() {
        assert_eq!(grouped(5000, true), "5.000");
        assert_eq!(grouped(1_250_000, false), "1,250,000");
        assert_eq!(grouped(999, true), "999");
    }
}
