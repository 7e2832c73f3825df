//! What admins change: a product's texts and settings, its price (always a new version), its
//! publication, a bundle's contents and a product's images. Every change is one transaction
//! on the caller's connection with its audit entry and the `catalog_changed` notice (delivered
//! to every server process when the transaction commits).

use gd_common::{form_text, FieldIssue, IssueCode, Localized, Problem};
use gd_pricing::{Addon, Billing, Cents, Offer, Speed, Tier, VatRate};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::{notify_changed, OfferLabels, ProductKind, StoredOffer, Target};

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("invalid input")]
    Invalid(Vec<FieldIssue>),
    #[error("no such product")]
    NotFound,
    #[error("the address is taken")]
    SlugTaken,
    /// Publishing a product that has no price yet.
    #[error("the product has no price")]
    NotPriced,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("audit: {0}")]
    Audit(#[from] gd_accounts::AccountError),
    #[error(transparent)]
    Catalog(#[from] crate::CatalogError),
}

pub const NAME_MAX: usize = 120;
pub const SUMMARY_MAX: usize = 300;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const UNIT_MAX: usize = 40;
pub const KEY_MAX: usize = 40;
pub const LABEL_MAX: usize = 120;
/// Lines of a tier, add-on, speed or bundle list.
pub const LINES_MAX: usize = 30;

/// A product's texts and settings as an admin's form sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductInput {
    pub id: Option<Uuid>,
    pub slug: String,
    pub kind: String,
    /// A category's slug; empty for none.
    pub category: String,
    pub target: String,
    pub name_de: String,
    pub name_en: String,
    pub summary_de: String,
    pub summary_en: String,
    pub description_de: String,
    pub description_en: String,
    pub unit_de: String,
    pub unit_en: String,
    pub position: String,
}

pub use gd_common::parse_slug;

struct CheckedProduct {
    slug: String,
    kind: ProductKind,
    category: Option<String>,
    target: Target,
    texts: [String; 8],
    position: i32,
}

fn check_product(input: &ProductInput) -> Result<CheckedProduct, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let slug = parse_slug(&input.slug).map_err(|p| issues.push(p.on("slug")));
    let kind = ProductKind::parse(input.kind.trim());
    if kind.is_none() {
        issues.push(FieldIssue::new("kind", IssueCode::NotOffered));
    }
    let target = Target::parse(input.target.trim());
    if target.is_none() {
        issues.push(FieldIssue::new("target", IssueCode::NotOffered));
    }
    let category = match input.category.trim() {
        "" => None,
        other => match parse_slug(other) {
            Ok(slug) => Some(slug),
            Err(_) => {
                issues.push(FieldIssue::new("category", IssueCode::NotOffered));
                None
            }
        },
    };
    let position = match input.position.trim() {
        "" => 0,
        p => p
            .parse::<i32>()
            .ok()
            .filter(|p| (-10_000..=10_000).contains(p))
            .unwrap_or_else(|| {
                issues.push(FieldIssue::new("position", IssueCode::InvalidNumber));
                0
            }),
    };
    let texts = [
        form_text(&mut issues, "name_de", &input.name_de, NAME_MAX, true),
        form_text(&mut issues, "name_en", &input.name_en, NAME_MAX, true),
        form_text(
            &mut issues,
            "summary_de",
            &input.summary_de,
            SUMMARY_MAX,
            false,
        ),
        form_text(
            &mut issues,
            "summary_en",
            &input.summary_en,
            SUMMARY_MAX,
            false,
        ),
        form_text(
            &mut issues,
            "description_de",
            &input.description_de,
            DESCRIPTION_MAX,
            false,
        ),
        form_text(
            &mut issues,
            "description_en",
            &input.description_en,
            DESCRIPTION_MAX,
            false,
        ),
        form_text(&mut issues, "unit_de", &input.unit_de, UNIT_MAX, false),
        form_text(&mut issues, "unit_en", &input.unit_en, UNIT_MAX, false),
    ];
    match (slug, kind, target) {
        (Ok(slug), Some(kind), Some(target)) if issues.is_empty() => Ok(CheckedProduct {
            slug,
            kind,
            category,
            target,
            texts,
            position,
        }),
        _ => Err(issues),
    }
}

/// Ends a change: its audit entry, the notice every server's catalog reloads on (delivered
/// when the transaction commits), and the commit.
pub(crate) async fn commit_change(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    action: &'static str,
    actor: Uuid,
    details: serde_json::Value,
) -> Result<(), EditError> {
    gd_accounts::record(
        &mut tx,
        &gd_accounts::AuditEvent::new(action)
            .actor(Some(actor))
            .details(details),
    )
    .await?;
    notify_changed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a product (a draft without price) or changes one's texts and settings. Answers its
/// id.
pub async fn save_product(
    conn: &mut PgConnection,
    actor: Uuid,
    input: &ProductInput,
) -> Result<Uuid, EditError> {
    let p = check_product(input).map_err(EditError::Invalid)?;
    let [name_de, name_en, summary_de, summary_en, description_de, description_en, unit_de, unit_en] =
        p.texts;
    let mut tx = conn.begin().await?;
    let category_id = match &p.category {
        None => None,
        Some(slug) => Some(
            sqlx::query_scalar!("SELECT id FROM categories WHERE slug = $1", slug)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    EditError::Invalid(vec![FieldIssue::new("category", IssueCode::NotOffered)])
                })?,
        ),
    };
    let taken = |e: sqlx::Error| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => EditError::SlugTaken,
        _ => EditError::Database(e),
    };
    if let Some(id) = input.id {
        // A service in a bundle stays a service; a bundle with contents stays a bundle.
        let uses = sqlx::query!(
            r#"SELECT EXISTS (SELECT 1 FROM bundle_items WHERE item_id = $1) AS "in_bundle!",
                      EXISTS (SELECT 1 FROM bundle_items WHERE bundle_id = $1) AS "has_items!""#,
            id
        )
        .fetch_one(&mut *tx)
        .await?;
        let refused = match p.kind {
            ProductKind::Bundle => uses.in_bundle,
            ProductKind::Service => uses.has_items,
        };
        if refused {
            return Err(EditError::Invalid(vec![FieldIssue::new(
                "kind",
                IssueCode::InUse,
            )]));
        }
    }
    let id = match input.id {
        None => {
            let id = Uuid::now_v7();
            sqlx::query!(
                "INSERT INTO products (id, slug, kind, category_id, target, name_de, name_en,
                                       summary_de, summary_en, description_de, description_en,
                                       unit_de, unit_en, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                id,
                p.slug,
                p.kind.as_str(),
                category_id,
                p.target.as_str(),
                name_de,
                name_en,
                summary_de,
                summary_en,
                description_de,
                description_en,
                unit_de,
                unit_en,
                p.position
            )
            .execute(&mut *tx)
            .await
            .map_err(taken)?;
            id
        }
        Some(id) => {
            let changed = sqlx::query!(
                "UPDATE products SET slug = $2, kind = $3, category_id = $4, target = $5,
                        name_de = $6, name_en = $7, summary_de = $8, summary_en = $9,
                        description_de = $10, description_en = $11, unit_de = $12,
                        unit_en = $13, position = $14, updated_at = now()
                 WHERE id = $1",
                id,
                p.slug,
                p.kind.as_str(),
                category_id,
                p.target.as_str(),
                name_de,
                name_en,
                summary_de,
                summary_en,
                description_de,
                description_en,
                unit_de,
                unit_en,
                p.position
            )
            .execute(&mut *tx)
            .await
            .map_err(taken)?
            .rows_affected();
            if changed == 0 {
                return Err(EditError::NotFound);
            }
            id
        }
    };
    commit_change(
        tx,
        "product.save",
        actor,
        serde_json::json!({
            "product": id,
            "slug": p.slug,
            "kind": p.kind.as_str(),
            "new": input.id.is_none(),
        }),
    )
    .await?;
    Ok(id)
}

/// Puts a product on sale or takes it off. Only a product with a price can be published.
pub async fn set_published(
    conn: &mut PgConnection,
    actor: Uuid,
    id: Uuid,
    published: bool,
) -> Result<(), EditError> {
    let mut tx = conn.begin().await?;
    let row = sqlx::query!(
        "SELECT slug, price_id FROM products WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(EditError::NotFound)?;
    if published && row.price_id.is_none() {
        return Err(EditError::NotPriced);
    }
    sqlx::query!(
        "UPDATE products SET published = $2, updated_at = now() WHERE id = $1",
        id,
        published
    )
    .execute(&mut *tx)
    .await?;
    commit_change(
        tx,
        "product.publish",
        actor,
        serde_json::json!({ "product": id, "slug": row.slug, "published": published }),
    )
    .await?;
    Ok(())
}

/// A price as an admin's form sends it: the VAT rate in percent, the billing, and three lists,
/// one entry per line, fields separated by `|`:
/// - tiers: `key | amount | price` (`1k | 1000 | 14,90`)
/// - add-ons: `key | price | label (de) | label (en)`
/// - speeds: `key | surcharge | label (de) | label (en)`; the first is the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceInput {
    pub vat: String,
    pub billing: String,
    pub tiers: String,
    pub addons: String,
    pub speeds: String,
}

fn lines(field: &str, value: &str, issues: &mut Vec<FieldIssue>) -> Vec<(usize, Vec<String>)> {
    let found: Vec<(usize, Vec<String>)> = value
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.split('|').map(|f| f.trim().to_owned()).collect()))
        .collect();
    if found.len() > LINES_MAX {
        issues.push(Problem::with_limit(IssueCode::TooMany, LINES_MAX).on(field));
    }
    found
}

fn key(s: &str) -> Option<String> {
    (!s.is_empty()
        && s.len() <= KEY_MAX
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')))
    .then(|| s.to_owned())
}

fn label(s: &str) -> Option<String> {
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    (!s.is_empty() && s.chars().count() <= LABEL_MAX).then_some(s)
}

/// Reads a price form into what is stored. Every problem is reported, line by line.
pub fn parse_price(input: &PriceInput) -> Result<StoredOffer, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let vat = parse_vat(&input.vat);
    if vat.is_none() {
        issues.push(FieldIssue::new("vat", IssueCode::InvalidNumber));
    }
    let billing = Billing::parse(input.billing.trim());
    if billing.is_none() {
        issues.push(FieldIssue::new("billing", IssueCode::NotOffered));
    }
    let bad = |field: &str, line: usize| Problem::with_limit(IssueCode::BadLine, line).on(field);

    let mut tiers = Vec::new();
    for (n, f) in lines("tiers", &input.tiers, &mut issues) {
        match f.as_slice() {
            [k, amount, price] => match (
                key(k),
                amount.replace(['.', ' '], "").parse::<u32>().ok(),
                Cents::parse_euros(price).ok(),
            ) {
                (Some(key), Some(amount), Some(price)) if amount > 0 => {
                    tiers.push(Tier { key, amount, price })
                }
                _ => issues.push(bad("tiers", n)),
            },
            _ => issues.push(bad("tiers", n)),
        }
    }
    if tiers.is_empty() && !issues.iter().any(|i| i.field == "tiers") {
        issues.push(FieldIssue::new("tiers", IssueCode::Required));
    }

    let mut labels = OfferLabels::default();
    let mut addons = Vec::new();
    for (n, f) in lines("addons", &input.addons, &mut issues) {
        match f.as_slice() {
            [k, price, de, en] => {
                match (key(k), Cents::parse_euros(price).ok(), label(de), label(en)) {
                    (Some(key), Some(price), Some(de), Some(en)) => {
                        labels.addons.insert(key.clone(), Localized::new(de, en));
                        addons.push(Addon { key, price });
                    }
                    _ => issues.push(bad("addons", n)),
                }
            }
            _ => issues.push(bad("addons", n)),
        }
    }
    let mut speeds = Vec::new();
    for (n, f) in lines("speeds", &input.speeds, &mut issues) {
        match f.as_slice() {
            [k, surcharge, de, en] => {
                match (
                    key(k),
                    Cents::parse_euros(surcharge).ok(),
                    label(de),
                    label(en),
                ) {
                    (Some(key), Some(surcharge), Some(de), Some(en)) => {
                        labels.speeds.insert(key.clone(), Localized::new(de, en));
                        speeds.push(Speed { key, surcharge });
                    }
                    _ => issues.push(bad("speeds", n)),
                }
            }
            _ => issues.push(bad("speeds", n)),
        }
    }
    let (Some(vat), Some(billing)) = (vat, billing) else {
        return Err(issues);
    };
    if !issues.is_empty() {
        return Err(issues);
    }
    let offer = Offer {
        vat,
        billing,
        tiers,
        addons,
        speeds,
    };
    if offer.problem().is_some() {
        return Err(vec![FieldIssue::new("tiers", IssueCode::InvalidOffer)]);
    }
    Ok(StoredOffer { offer, labels })
}

/// `19`, `19,0`, `7.5` percent → a rate (0 to 100 %, in basis points).
fn parse_vat(s: &str) -> Option<VatRate> {
    let s = s.trim().trim_end_matches('%').trim();
    let (whole, frac) = s.split_once([',', '.']).unwrap_or((s, ""));
    if whole.is_empty() || whole.len() > 3 || frac.len() > 2 {
        return None;
    }
    let whole: u16 = whole.parse().ok()?;
    let frac: u16 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u16>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    VatRate::from_basis_points(whole.checked_mul(100)?.checked_add(frac)?)
}

/// What the price form shows for a stored price (the inverse of [`parse_price`]).
pub fn price_form(stored: &StoredOffer) -> PriceInput {
    // German decimal comma, no grouping, no sign (stored prices are never negative).
    let euros = |c: Cents| format!("{},{:02}", c.0 / 100, (c.0 % 100).abs());
    let label = |map: &std::collections::BTreeMap<String, Localized>, key: &str| {
        map.get(key)
            .map(|l| (l.de.clone(), l.en.clone()))
            .unwrap_or_else(|| (key.to_owned(), key.to_owned()))
    };
    let o = &stored.offer;
    PriceInput {
        vat: o.vat.percent(true),
        billing: o.billing.as_str().to_owned(),
        tiers: o
            .tiers
            .iter()
            .map(|t| format!("{} | {} | {}", t.key, t.amount, euros(t.price)))
            .collect::<Vec<_>>()
            .join("\n"),
        addons: o
            .addons
            .iter()
            .map(|a| {
                let (de, en) = label(&stored.labels.addons, &a.key);
                format!("{} | {} | {de} | {en}", a.key, euros(a.price))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        speeds: o
            .speeds
            .iter()
            .map(|s| {
                let (de, en) = label(&stored.labels.speeds, &s.key);
                format!("{} | {} | {de} | {en}", s.key, euros(s.surcharge))
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Gives a product a new price version and makes it the current one. Carts keep the version
/// they were priced with (and tell the shopper about the change); orders never change.
pub async fn set_price(
    conn: &mut PgConnection,
    actor: Uuid,
    product: Uuid,
    stored: &StoredOffer,
) -> Result<Uuid, EditError> {
    let offer = serde_json::to_value(stored).map_err(|e| {
        EditError::Catalog(crate::CatalogError::Corrupt {
            product,
            problem: e.to_string(),
        })
    })?;
    let mut tx = conn.begin().await?;
    let slug = sqlx::query_scalar!(
        "SELECT slug FROM products WHERE id = $1 FOR UPDATE",
        product
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(EditError::NotFound)?;
    // Every tier a bundle holds must stay, or the bundle would lose a part it is sold with.
    let used = sqlx::query_scalar!(
        "SELECT DISTINCT tier_key FROM bundle_items WHERE item_id = $1",
        product
    )
    .fetch_all(&mut *tx)
    .await?;
    if used
        .iter()
        .any(|key| !stored.offer.tiers.iter().any(|t| &t.key == key))
    {
        return Err(EditError::Invalid(vec![FieldIssue::new(
            "tiers",
            IssueCode::InUse,
        )]));
    }
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO product_prices (id, product_id, offer, created_by) VALUES ($1, $2, $3, $4)",
        id,
        product,
        offer,
        actor
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE products SET price_id = $2, updated_at = now() WHERE id = $1",
        product,
        id
    )
    .execute(&mut *tx)
    .await?;
    commit_change(
        tx,
        "product.price",
        actor,
        serde_json::json!({ "product": product, "slug": slug, "price": id, "offer": offer }),
    )
    .await?;
    Ok(id)
}

/// One earlier or current price of a product, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceHistoryEntry {
    pub id: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub created_by: Option<String>,
    pub current: bool,
    pub offer: Option<StoredOffer>,
}

pub async fn price_history(
    conn: &mut PgConnection,
    product: Uuid,
) -> Result<Vec<PriceHistoryEntry>, EditError> {
    let rows = sqlx::query!(
        r#"SELECT pp.id, pp.offer, pp.created_at AS "created_at: chrono::DateTime<chrono::Utc>",
                  u.email AS "email?", (p.price_id = pp.id) AS "current!"
           FROM product_prices pp
           JOIN products p ON p.id = pp.product_id
           LEFT JOIN users u ON u.id = pp.created_by
           WHERE pp.product_id = $1
           ORDER BY pp.created_at DESC, pp.id DESC
           LIMIT 50"#,
        product
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PriceHistoryEntry {
            id: r.id,
            created_at: r.created_at,
            created_by: r.email,
            current: r.current,
            offer: serde_json::from_value(r.offer).ok(),
        })
        .collect())
}

/// A bundle's contents as an admin's form sends them: one product per line,
/// `product-slug | tier key | quantity`.
pub fn parse_bundle_items(value: &str) -> Result<Vec<(String, String, i32)>, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let mut items = Vec::new();
    for (n, f) in lines("items", value, &mut issues) {
        let parsed = match f.as_slice() {
            [slug, tier, quantity] => match (
                parse_slug(slug).ok(),
                key(tier),
                quantity
                    .parse::<i32>()
                    .ok()
                    .filter(|q| (1..=100).contains(q)),
            ) {
                (Some(slug), Some(tier), Some(q)) => Some((slug, tier, q)),
                _ => None,
            },
            _ => None,
        };
        match parsed {
            Some(item) => items.push(item),
            None => issues.push(Problem::with_limit(IssueCode::BadLine, n).on("items")),
        }
    }
    if issues.is_empty() {
        Ok(items)
    } else {
        Err(issues)
    }
}

/// Replaces a bundle's contents. Each line names a service and one of its current tiers.
pub async fn set_bundle_items(
    conn: &mut PgConnection,
    actor: Uuid,
    bundle: Uuid,
    items: &[(String, String, i32)],
) -> Result<(), EditError> {
    let mut tx = conn.begin().await?;
    let kind = sqlx::query_scalar!("SELECT kind FROM products WHERE id = $1 FOR UPDATE", bundle)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(EditError::NotFound)?;
    if kind != ProductKind::Bundle.as_str() {
        return Err(EditError::Invalid(vec![FieldIssue::new(
            "items",
            IssueCode::NotOffered,
        )]));
    }
    sqlx::query!("DELETE FROM bundle_items WHERE bundle_id = $1", bundle)
        .execute(&mut *tx)
        .await?;
    let mut issues = Vec::new();
    for (position, (slug, tier, quantity)) in items.iter().enumerate() {
        let line = position + 1;
        let item = sqlx::query!(
            r#"SELECT p.id, p.kind, pp.offer AS "offer?"
               FROM products p LEFT JOIN product_prices pp ON pp.id = p.price_id
               WHERE p.slug = $1"#,
            slug
        )
        .fetch_optional(&mut *tx)
        .await?;
        let tier_exists = |offer: &Option<serde_json::Value>| {
            offer
                .as_ref()
                .and_then(|o| serde_json::from_value::<StoredOffer>(o.clone()).ok())
                .is_some_and(|s| s.offer.tiers.iter().any(|t| &t.key == tier))
        };
        match item {
            Some(item)
                if item.id != bundle
                    && item.kind == ProductKind::Service.as_str()
                    && tier_exists(&item.offer) =>
            {
                let inserted = sqlx::query!(
                    "INSERT INTO bundle_items (bundle_id, item_id, tier_key, quantity, position)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    bundle,
                    item.id,
                    tier,
                    quantity,
                    i32::try_from(position).unwrap_or(i32::MAX)
                )
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    issues.push(Problem::with_limit(IssueCode::BadLine, line).on("items"));
                }
            }
            _ => issues.push(Problem::with_limit(IssueCode::BadLine, line).on("items")),
        }
    }
    if !issues.is_empty() {
        return Err(EditError::Invalid(issues));
    }
    commit_change(
        tx,
        "product.bundle",
        actor,
        serde_json::json!({ "product": bundle, "items": items }),
    )
    .await?;
    Ok(())
}
