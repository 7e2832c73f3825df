//! The admin's setup of fulfilment: providers (their endpoint, key and currency), their
//! services synced from the provider, and the routes from catalog products to services, with
//! the margin each tier leaves.

use chrono::{DateTime, Utc};
use gd_accounts::AuditEvent;
use gd_common::{FieldIssue, IssueCode, Problem};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::providers::{connect, KINDS};
use crate::FulfilmentError;

/// A provider as the admin sees it (never its key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderView {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub api_url: String,
    pub currency: String,
    pub eur_per_unit_micros: i64,
    pub enabled: bool,
    pub balance_micros: Option<i64>,
    pub balance_checked_at: Option<DateTime<Utc>>,
    pub services_synced_at: Option<DateTime<Utc>>,
    pub services: i64,
    pub last_error: Option<String>,
}

/// What the admin enters for a new provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderInput {
    pub name: String,
    pub kind: String,
    pub api_url: String,
    pub api_key: String,
    pub currency: String,
    /// Euro per unit of the provider's currency, as typed ("1", "0,92").
    pub eur_per_unit: String,
}

/// "0,92" or "0.92" → 920,000 millionths; positive, at most 6 decimals.
pub fn parse_micros(input: &str) -> Option<i64> {
    let s = input.trim().replace(',', ".");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > 6
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 9
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = format!("{frac:0<6}").parse().ok()?;
    let micros = whole * 1_000_000 + frac;
    (micros > 0).then_some(micros)
}

/// Adds a provider; the form's issues when something is off.
pub async fn add_provider(
    conn: &mut PgConnection,
    input: &ProviderInput,
    actor: Uuid,
) -> Result<Result<Uuid, Vec<FieldIssue>>, FulfilmentError> {
    let mut issues = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        issues.push(Problem::new(IssueCode::Required).on("name"));
    } else if name.chars().count() > 80 {
        issues.push(Problem::with_limit(IssueCode::TooLong, 80).on("name"));
    }
    let kind = if input.kind.is_empty() {
        KINDS[0]
    } else {
        input.kind.as_str()
    };
    if !KINDS.contains(&kind) {
        issues.push(Problem::new(IssueCode::NotOffered).on("kind"));
    }
    let url = input.api_url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 500 {
        issues.push(Problem::new(IssueCode::Required).on("api_url"));
    }
    let key = input.api_key.trim();
    if key.is_empty() {
        issues.push(Problem::new(IssueCode::Required).on("api_key"));
    } else if key.len() > 200 {
        issues.push(Problem::with_limit(IssueCode::TooLong, 200).on("api_key"));
    }
    let currency = input.currency.trim().to_ascii_uppercase();
    let currency = if currency.is_empty() {
        "EUR".to_owned()
    } else {
        currency
    };
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        issues.push(Problem::new(IssueCode::InvalidNumber).on("currency"));
    }
    let rate = if input.eur_per_unit.trim().is_empty() {
        Some(1_000_000)
    } else {
        parse_micros(&input.eur_per_unit)
    };
    if rate.is_none() {
        issues.push(Problem::new(IssueCode::InvalidNumber).on("eur_per_unit"));
    }
    if !issues.is_empty() {
        return Ok(Err(issues));
    }
    let taken = sqlx::query_scalar!(
        "SELECT 1 FROM fulfilment_providers WHERE lower(name) = lower($1)",
        name
    )
    .fetch_optional(&mut *conn)
    .await?;
    let id = Uuid::now_v7();
    // Two admins adding the same name at once: the second is told, not given an error page.
    let inserted = match taken {
        Some(_) => None,
        None => {
            sqlx::query_scalar!(
                "INSERT INTO fulfilment_providers (id, name, kind, api_url, api_key, currency,
                 eur_per_unit_micros)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (name) DO NOTHING
             RETURNING id",
                id,
                name,
                kind,
                url,
                key,
                currency,
                rate.unwrap_or(1_000_000)
            )
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    if inserted.is_none() {
        return Ok(Err(vec![Problem::new(IssueCode::InUse).on("name")]));
    }
    gd_accounts::record(
        conn,
        &AuditEvent::new("provider.added")
            .actor(Some(actor))
            .subject(id)
            .details(serde_json::json!({ "name": name, "url": url })),
    )
    .await?;
    Ok(Ok(id))
}

/// Switches provider `id` on or off (off: new lines routed to it are held).
pub async fn set_enabled(
    conn: &mut PgConnection,
    id: Uuid,
    enabled: bool,
    actor: Uuid,
) -> Result<(), FulfilmentError> {
    let done = sqlx::query!(
        "UPDATE fulfilment_providers SET enabled = $2, updated_at = now() WHERE id = $1",
        id,
        enabled
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(FulfilmentError::NotFound);
    }
    gd_accounts::record(
        conn,
        &AuditEvent::new("provider.switched")
            .actor(Some(actor))
            .subject(id)
            .details(serde_json::json!({ "enabled": enabled })),
    )
    .await?;
    Ok(())
}

/// Every provider, with how many services it lists.
pub async fn providers(conn: &mut PgConnection) -> Result<Vec<ProviderView>, FulfilmentError> {
    Ok(sqlx::query_as!(
        ProviderView,
        r#"SELECT p.id, p.name, p.kind, p.api_url, p.currency, p.eur_per_unit_micros, p.enabled,
                  p.balance_micros, p.balance_checked_at AS "balance_checked_at: DateTime<Utc>",
                  p.services_synced_at AS "services_synced_at: DateTime<Utc>",
                  (SELECT count(*) FROM provider_services s
                   WHERE s.provider_id = p.id AND s.available) AS "services!",
                  p.last_error
           FROM fulfilment_providers p ORDER BY p.name"#
    )
    .fetch_all(conn)
    .await?)
}

/// What a sync found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synced {
    pub services: usize,
    pub withdrawn: u64,
    pub balance_micros: Option<i64>,
}

/// Reads provider `id`'s services and balance and stores them: new and changed services
/// updated, services it no longer lists marked unavailable (their routes hold new lines).
/// A provider that cannot answer keeps what it had, and its error is shown.
pub async fn sync(
    pool: &PgPool,
    http: &reqwest::Client,
    id: Uuid,
) -> Result<Result<Synced, String>, FulfilmentError> {
    let p = sqlx::query!(
        "SELECT kind, api_url, api_key FROM fulfilment_providers WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(FulfilmentError::NotFound)?;
    let Some(provider) = connect(&p.kind, http, &p.api_url, &p.api_key) else {
        return Ok(Err(format!("provider kind {} is unknown", p.kind)));
    };
    let services = match provider.services().await {
        Ok(services) => services,
        Err(e) => {
            let why = e.to_string();
            sqlx::query!(
                "UPDATE fulfilment_providers SET last_error = $2, updated_at = now() WHERE id = $1",
                id,
                why
            )
            .execute(pool)
            .await?;
            return Ok(Err(why));
        }
    };
    let balance = provider.balance().await.ok();
    let mut tx = pool.begin().await?;
    let ids: Vec<String> = services.iter().map(|s| s.service.clone()).collect();
    for s in &services {
        sqlx::query!(
            "INSERT INTO provider_services (provider_id, service, name, kind, category, rate_micros,
                 min_quantity, max_quantity, refill, cancel, dripfeed, available, synced_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, true, now())
             ON CONFLICT (provider_id, service) DO UPDATE SET
                 name = EXCLUDED.name, kind = EXCLUDED.kind, category = EXCLUDED.category,
                 rate_micros = EXCLUDED.rate_micros, min_quantity = EXCLUDED.min_quantity,
                 max_quantity = EXCLUDED.max_quantity, refill = EXCLUDED.refill,
                 cancel = EXCLUDED.cancel, dripfeed = EXCLUDED.dripfeed, available = true,
                 synced_at = now()",
            id,
            s.service,
            s.name,
            s.kind,
            s.category,
            s.rate.micros(),
            s.min,
            s.max,
            s.refill,
            s.cancel,
            s.dripfeed
        )
        .execute(&mut *tx)
        .await?;
    }
    let withdrawn = sqlx::query!(
        "UPDATE provider_services SET available = false
         WHERE provider_id = $1 AND available AND NOT (service = ANY($2))",
        id,
        &ids
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "UPDATE fulfilment_providers SET services_synced_at = now(), last_error = NULL,
             balance_micros = coalesce($2, balance_micros),
             balance_checked_at = CASE WHEN $2::bigint IS NULL THEN balance_checked_at ELSE now() END,
             currency = coalesce($3, currency), updated_at = now()
         WHERE id = $1",
        id,
        balance.as_ref().map(|b| b.balance_micros),
        balance
            .as_ref()
            .map(|b| b.currency.to_ascii_uppercase())
            .filter(|c| c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()))
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(Synced {
        services: services.len(),
        withdrawn,
        balance_micros: balance.map(|b| b.balance_micros),
    }))
}

/// The products a route can serve (services; a bundle is delivered item by item).
pub async fn routable_products(
    conn: &mut PgConnection,
) -> Result<Vec<(Uuid, String)>, FulfilmentError> {
    let rows =
        sqlx::query!("SELECT id, name_de FROM products WHERE kind = 'service' ORDER BY name_de")
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name_de)).collect())
}

/// A provider's service, to route to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    pub provider_id: Uuid,
    pub provider: String,
    pub service: String,
    pub name: String,
    pub category: String,
    pub rate_micros: i64,
    pub min_quantity: i64,
    pub max_quantity: i64,
    pub refill: bool,
    pub dripfeed: bool,
}

/// Every available service of every enabled provider.
pub async fn services(conn: &mut PgConnection) -> Result<Vec<ServiceView>, FulfilmentError> {
    Ok(sqlx::query_as!(
        ServiceView,
        "SELECT s.provider_id, p.name AS provider, s.service, s.name, s.category, s.rate_micros,
                s.min_quantity, s.max_quantity, s.refill, s.dripfeed
         FROM provider_services s JOIN fulfilment_providers p ON p.id = s.provider_id
         WHERE s.available AND p.enabled
         ORDER BY p.name, s.category, s.name"
    )
    .fetch_all(conn)
    .await?)
}

/// A product's route with what each tier leaves after the provider's price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteView {
    pub product_id: Uuid,
    pub product: String,
    pub speed_key: String,
    pub provider_id: Uuid,
    pub provider: String,
    pub service: String,
    pub service_name: String,
    pub available: bool,
    pub guarantee_days: i32,
    /// Per tier: its amount, its gross price, its net price (the offer's own VAT rate taken
    /// out: what the margin guard compares) and the provider's cost, in euro cents.
    pub tiers: Vec<TierCost>,
}

/// What one tier of a routed product costs at the provider, against what it sells for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierCost {
    pub amount: i64,
    pub gross: i64,
    pub net: i64,
    pub cost: i64,
}

impl TierCost {
    /// The margin guard would hold a line of this tier.
    pub fn loss(&self) -> bool {
        self.cost > self.net
    }
}

/// Every route.
pub async fn routes(conn: &mut PgConnection) -> Result<Vec<RouteView>, FulfilmentError> {
    let rows = sqlx::query!(
        r#"SELECT r.product_id, pr.name_de AS product, r.speed_key, r.provider_id,
                  p.name AS provider, r.service, s.name AS service_name, s.available,
                  pr.guarantee_days, s.rate_micros, p.eur_per_unit_micros, pp.offer AS "offer?"
           FROM fulfilment_routes r
           JOIN products pr ON pr.id = r.product_id
           LEFT JOIN product_prices pp ON pp.id = pr.price_id
           JOIN provider_services s ON s.provider_id = r.provider_id AND s.service = r.service
           JOIN fulfilment_providers p ON p.id = r.provider_id
           ORDER BY pr.name_de, r.speed_key"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let tiers = r
                .offer
                .and_then(|o| serde_json::from_value::<gd_catalog::StoredOffer>(o).ok())
                .map(|o| {
                    o.offer
                        .tiers
                        .iter()
                        .map(|t| {
                            let amount = i64::from(t.amount);
                            TierCost {
                                amount,
                                gross: t.price.0,
                                net: gd_pricing::net_of(t.price, o.offer.vat).0,
                                cost: crate::cost_cents(
                                    r.rate_micros,
                                    amount,
                                    r.eur_per_unit_micros,
                                ),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            RouteView {
                product_id: r.product_id,
                product: r.product,
                speed_key: r.speed_key,
                provider_id: r.provider_id,
                provider: r.provider,
                service: r.service,
                service_name: r.service_name,
                available: r.available,
                guarantee_days: r.guarantee_days,
                tiers,
            }
        })
        .collect())
}

/// Routes product `product` (at `speed`, '' for every speed) to a provider's service, with its
/// guarantee window; replaces the route it had.
pub async fn set_route(
    conn: &mut PgConnection,
    product: Uuid,
    speed: &str,
    provider: Uuid,
    service: &str,
    guarantee_days: i32,
    actor: Uuid,
) -> Result<Result<(), Vec<FieldIssue>>, FulfilmentError> {
    let mut issues = Vec::new();
    if !(0..=365).contains(&guarantee_days) {
        issues.push(Problem::with_limit(IssueCode::OutOfRange, 365).on("guarantee_days"));
    }
    if speed.chars().count() > 40 {
        issues.push(Problem::with_limit(IssueCode::TooLong, 40).on("speed"));
    }
    let known = sqlx::query_scalar!(
        "SELECT 1 FROM provider_services WHERE provider_id = $1 AND service = $2 AND available",
        provider,
        service
    )
    .fetch_optional(&mut *conn)
    .await?;
    if known.is_none() {
        issues.push(Problem::new(IssueCode::NotOffered).on("service"));
    }
    let product_known = sqlx::query_scalar!("SELECT 1 FROM products WHERE id = $1", product)
        .fetch_optional(&mut *conn)
        .await?;
    if product_known.is_none() {
        issues.push(Problem::new(IssueCode::NotOffered).on("product"));
    }
    if !issues.is_empty() {
        return Ok(Err(issues));
    }
    sqlx::query!(
        "INSERT INTO fulfilment_routes (product_id, speed_key, provider_id, service)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (product_id, speed_key) DO UPDATE SET
             provider_id = EXCLUDED.provider_id, service = EXCLUDED.service, updated_at = now()",
        product,
        speed,
        provider,
        service
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE products SET guarantee_days = $2 WHERE id = $1",
        product,
        guarantee_days
    )
    .execute(&mut *conn)
    .await?;
    gd_accounts::record(
        conn,
        &AuditEvent::new("fulfilment.routed")
            .actor(Some(actor))
            .subject(product)
            .details(serde_json::json!({
                "speed": speed, "provider": provider, "service": service,
                "guarantee_days": guarantee_days
            })),
    )
    .await?;
    Ok(Ok(()))
}

/// Removes product `product`'s route at `speed`: its lines are delivered by hand again.
pub async fn remove_route(
    conn: &mut PgConnection,
    product: Uuid,
    speed: &str,
    actor: Uuid,
) -> Result<(), FulfilmentError> {
    sqlx::query!(
        "DELETE FROM fulfilment_routes WHERE product_id = $1 AND speed_key = $2",
        product,
        speed
    )
    .execute(&mut *conn)
    .await?;
    gd_accounts::record(
        conn,
        &AuditEvent::new("fulfilment.unrouted")
            .actor(Some(actor))
            .subject(product)
            .details(serde_json::json!({ "speed": speed })),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_micros;

    #[test]
    fn exchange_rates_read_both_decimal_marks() {
        assert_eq!(parse_micros("1"), Some(1_000_000));
        assert_eq!(parse_micros("0,92"), Some(920_000));
        assert_eq!(parse_micros(" 0.923456 "), Some(923_456));
        assert_eq!(parse_micros(".5"), Some(500_000));
        assert_eq!(parse_micros("0"), None);
        assert_eq!(parse_micros("-1"), None);
        assert_eq!(parse_micros("1.2345678"), None);
        assert_eq!(parse_micros("abc"), None);
        assert_eq!(parse_micros(""), None);
    }
}
