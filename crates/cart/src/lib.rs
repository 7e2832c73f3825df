//! Carts. A signed-in user has one cart; a guest gets one when they first add something (the
//! web layer keeps its id in the guest's session), and at sign-in its lines move to the
//! user's cart ([`merge`]). A line holds the full configuration (product, tier, add-ons,
//! speed, quantity, target) and what one item cost when it was added.
//!
//! The price is never stored as the truth: [`price`] prices every line from the catalog's
//! current price with the one pricing function, says which lines changed price or are no
//! longer sold, and totals what is left. Knows nothing of Leptos, axum or apalis.

use gd_catalog::{Catalog, Product, Target};
use gd_common::{FieldIssue, InstagramHandle, IssueCode, PostUrl};
use gd_pricing::{price_line, Cents, LinePrice, Quote, Selection, Treatment};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// The most lines a cart may hold.
pub const MAX_LINES: usize = 50;

/// What a shopper asks to add.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    pub product: String,
    pub tier: String,
    pub addons: Vec<String>,
    pub speed: Option<String>,
    pub quantity: u32,
    /// The handle or post link as typed.
    pub target: String,
}

/// A line as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: Uuid,
    pub product_id: Uuid,
    pub selection: Selection,
    pub target: String,
    /// One item's price when it was added or last changed.
    pub unit_gross: Cents,
}

/// Why a cart change was refused.
#[derive(Debug, thiserror::Error)]
pub enum CartError {
    /// The product is unknown or not on sale (any more).
    #[error("the product is not on sale")]
    Unavailable,
    /// The configuration or the target is not valid for the product.
    #[error("invalid line")]
    Invalid(Vec<FieldIssue>),
    /// No such line in this cart.
    #[error("no such cart line")]
    NotFound,
    #[error("the cart is full ({MAX_LINES} lines)")]
    Full,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The product's target, parsed from what the shopper typed (normalized form).
pub fn parse_target(target: Target, typed: &str) -> Result<String, FieldIssue> {
    match target {
        Target::Handle => InstagramHandle::parse(typed)
            .map(|h| h.to_string())
            .map_err(|p| p.on("target")),
        Target::Post => PostUrl::parse(typed)
            .map(|p| p.url())
            .map_err(|p| p.on("target")),
        Target::None => Ok(String::new()),
    }
}

/// Checks `input` against the catalog: the product on sale, a valid configuration, a valid
/// target. Returns the product and the priced line.
pub fn check<'a>(
    catalog: &'a Catalog,
    input: &LineInput,
) -> Result<(&'a Product, Selection, String, LinePrice), CartError> {
    let product = catalog
        .product(input.product.trim())
        .ok_or(CartError::Unavailable)?;
    let offer = &product.price.as_ref().ok_or(CartError::Unavailable)?.offer;
    let selection = Selection {
        tier: input.tier.trim().to_owned(),
        // One configuration, whatever order its add-ons were ticked in.
        addons: {
            let mut addons: Vec<String> =
                input.addons.iter().map(|a| a.trim().to_owned()).collect();
            addons.sort();
            addons
        },
        speed: input
            .speed
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        quantity: input.quantity,
    };
    let mut issues = Vec::new();
    let priced = price_line(offer, &selection).map_err(|e| {
        use gd_pricing::PriceError as P;
        let (field, code) = match e {
            P::QuantityOutOfRange { .. } => ("quantity", IssueCode::OutOfRange),
            P::UnknownAddon(_) | P::DuplicateAddon(_) => ("addons", IssueCode::NotOffered),
            P::UnknownSpeed(_) => ("speed", IssueCode::NotOffered),
            _ => ("tier", IssueCode::NotOffered),
        };
        FieldIssue::new(field, code)
    });
    let target = parse_target(product.target, &input.target);
    if let Err(issue) = &priced {
        issues.push(issue.clone());
    }
    if let Err(issue) = &target {
        issues.push(issue.clone());
    }
    match (priced, target) {
        (Ok(line), Ok(target)) => Ok((product, selection, target, line)),
        _ => Err(CartError::Invalid(issues)),
    }
}

/// A new cart, a guest's (`user` None) or a user's.
pub async fn create(conn: &mut PgConnection, user: Option<Uuid>) -> Result<Uuid, CartError> {
    let id = Uuid::now_v7();
    sqlx::query!("INSERT INTO carts (id, user_id) VALUES ($1, $2)", id, user)
        .execute(conn)
        .await?;
    Ok(id)
}

/// The user's cart, made when they have none.
pub async fn of_user(conn: &mut PgConnection, user: Uuid) -> Result<Uuid, CartError> {
    let id = Uuid::now_v7();
    // Two requests at once both end with the one cart.
    Ok(sqlx::query_scalar!(
        r#"INSERT INTO carts (id, user_id) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id
           RETURNING id"#,
        id,
        user
    )
    .fetch_one(conn)
    .await?)
}

/// The user's cart, if they have one.
pub async fn find_of_user(conn: &mut PgConnection, user: Uuid) -> Result<Option<Uuid>, CartError> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM carts WHERE user_id = $1", user)
            .fetch_optional(conn)
            .await?,
    )
}

/// Whether a guest cart still exists (it may have been merged or swept away).
pub async fn guest_exists(conn: &mut PgConnection, cart: Uuid) -> Result<bool, CartError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM carts WHERE id = $1 AND user_id IS NULL) AS "found!""#,
        cart
    )
    .fetch_one(conn)
    .await?)
}

/// Adds a checked line (see [`check`]); the same configuration again adds to its quantity.
pub async fn add(
    conn: &mut PgConnection,
    cart: Uuid,
    catalog: &Catalog,
    input: &LineInput,
) -> Result<Uuid, CartError> {
    let (product, selection, target, priced) = check(catalog, input)?;
    let mut tx = conn.begin().await?;
    // Locks the cart: concurrent adds count lines one after the other.
    sqlx::query!("SELECT id FROM carts WHERE id = $1 FOR UPDATE", cart)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(CartError::NotFound)?;
    let lines = load(&mut tx, cart).await?;
    let same = lines.iter().find(|l| {
        l.product_id == product.id
            && l.selection.tier == selection.tier
            && l.selection.addons == selection.addons
            && l.selection.speed == selection.speed
            && l.target == target
    });
    let id = match same {
        Some(line) => {
            let quantity = line.selection.quantity + selection.quantity;
            let merged = Selection {
                quantity,
                ..selection.clone()
            };
            let offer = &product.price.as_ref().ok_or(CartError::Unavailable)?.offer;
            let priced = price_line(offer, &merged).map_err(|_| {
                CartError::Invalid(vec![FieldIssue::new("quantity", IssueCode::OutOfRange)])
            })?;
            update_line(&mut tx, line.id, quantity, priced.unit_gross).await?;
            line.id
        }
        None => {
            if lines.len() >= MAX_LINES {
                return Err(CartError::Full);
            }
            let id = Uuid::now_v7();
            sqlx::query!(
                "INSERT INTO cart_lines (id, cart_id, product_id, tier_key, addons, speed_key,
                                         quantity, target, unit_gross)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                id,
                cart,
                product.id,
                selection.tier,
                &selection.addons,
                selection.speed,
                selection.quantity as i32,
                target,
                priced.unit_gross.0
            )
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    touch(&mut tx, cart).await?;
    tx.commit().await?;
    Ok(id)
}

async fn update_line(
    conn: &mut PgConnection,
    line: Uuid,
    quantity: u32,
    unit_gross: Cents,
) -> Result<(), CartError> {
    sqlx::query!(
        "UPDATE cart_lines SET quantity = $2, unit_gross = $3 WHERE id = $1",
        line,
        quantity as i32,
        unit_gross.0
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn touch(conn: &mut PgConnection, cart: Uuid) -> Result<(), CartError> {
    sqlx::query!("UPDATE carts SET updated_at = now() WHERE id = $1", cart)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets a line's quantity (1 to [`gd_pricing::MAX_QUANTITY`]) and takes its current price
/// as the one the shopper has now seen.
pub async fn set_quantity(
    conn: &mut PgConnection,
    cart: Uuid,
    catalog: &Catalog,
    line: Uuid,
    quantity: u32,
) -> Result<(), CartError> {
    let mut tx = conn.begin().await?;
    sqlx::query!("SELECT id FROM carts WHERE id = $1 FOR UPDATE", cart)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(CartError::NotFound)?;
    let found = load(&mut tx, cart)
        .await?
        .into_iter()
        .find(|l| l.id == line)
        .ok_or(CartError::NotFound)?;
    let product = catalog
        .product_by_id(found.product_id)
        .filter(|p| p.on_sale())
        .ok_or(CartError::Unavailable)?;
    let offer = &product.price.as_ref().ok_or(CartError::Unavailable)?.offer;
    let selection = Selection {
        quantity,
        ..found.selection
    };
    let priced = price_line(offer, &selection).map_err(|e| match e {
        gd_pricing::PriceError::QuantityOutOfRange { .. } => {
            CartError::Invalid(vec![FieldIssue::new("quantity", IssueCode::OutOfRange)])
        }
        // The configuration is no longer offered: the line can only be removed.
        _ => CartError::Unavailable,
    })?;
    update_line(&mut tx, line, quantity, priced.unit_gross).await?;
    touch(&mut tx, cart).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a line of this cart.
pub async fn remove(conn: &mut PgConnection, cart: Uuid, line: Uuid) -> Result<(), CartError> {
    let deleted = sqlx::query!(
        "DELETE FROM cart_lines WHERE id = $1 AND cart_id = $2",
        line,
        cart
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if deleted == 0 {
        return Err(CartError::NotFound);
    }
    touch(conn, cart).await
}

/// The cart's lines, oldest first.
pub async fn load(conn: &mut PgConnection, cart: Uuid) -> Result<Vec<Line>, CartError> {
    let rows = sqlx::query!(
        "SELECT id, product_id, tier_key, addons, speed_key, quantity, target, unit_gross
         FROM cart_lines WHERE cart_id = $1 ORDER BY created_at, id",
        cart
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Line {
            id: r.id,
            product_id: r.product_id,
            selection: Selection {
                tier: r.tier_key,
                addons: r.addons,
                speed: r.speed_key,
                quantity: u32::try_from(r.quantity).unwrap_or(1),
            },
            target: r.target,
            unit_gross: Cents(r.unit_gross),
        })
        .collect())
}

/// Moves the guest cart's lines into the user's cart (up to [`MAX_LINES`]; the same
/// configuration adds up) and deletes the guest cart. Returns the user's cart.
pub async fn merge(conn: &mut PgConnection, guest: Uuid, user: Uuid) -> Result<Uuid, CartError> {
    let mut tx = conn.begin().await?;
    let target = of_user(&mut tx, user).await?;
    if target == guest {
        return Ok(target);
    }
    sqlx::query!("SELECT id FROM carts WHERE id = $1 FOR UPDATE", target)
        .fetch_one(&mut *tx)
        .await?;
    let mut mine = load(&mut tx, target).await?;
    for line in load(&mut tx, guest).await? {
        let room = mine.len() < MAX_LINES;
        let same = mine.iter_mut().find(|l| {
            l.product_id == line.product_id
                && l.selection.tier == line.selection.tier
                && l.selection.addons == line.selection.addons
                && l.selection.speed == line.selection.speed
                && l.target == line.target
        });
        match same {
            Some(existing) => {
                let quantity = (existing.selection.quantity + line.selection.quantity)
                    .min(gd_pricing::MAX_QUANTITY);
                existing.selection.quantity = quantity;
                update_line(&mut tx, existing.id, quantity, existing.unit_gross).await?;
            }
            None if room => {
                sqlx::query!(
                    "UPDATE cart_lines SET cart_id = $2 WHERE id = $1",
                    line.id,
                    target
                )
                .execute(&mut *tx)
                .await?;
                mine.push(line);
            }
            // A full cart keeps what it has; the rest goes with the guest cart.
            None => {}
        }
    }
    sqlx::query!("DELETE FROM carts WHERE id = $1 AND user_id IS NULL", guest)
        .execute(&mut *tx)
        .await?;
    touch(&mut tx, target).await?;
    tx.commit().await?;
    Ok(target)
}

/// Deletes guest carts untouched for `days` days; returns how many.
pub async fn delete_stale_guest_carts(
    conn: &mut PgConnection,
    days: u32,
) -> Result<u64, CartError> {
    // Longer than a century means "keep them".
    let days = i32::try_from(days.min(36_500)).unwrap_or(36_500);
    Ok(sqlx::query!(
        "DELETE FROM carts WHERE user_id IS NULL AND updated_at < now() - make_interval(days => $1)",
        days
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// What happened to a line since it was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    /// The product is no longer sold, or this configuration no longer offered: the line is
    /// left out of the totals and can only be removed.
    Unavailable,
    /// One item now costs `now` instead of `was`.
    PriceChanged { was: Cents, now: Cents },
}

/// A line with its current price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine<'a> {
    pub line: Line,
    pub product: Option<&'a Product>,
    /// `None` when unavailable.
    pub price: Option<LinePrice>,
    pub notice: Option<Notice>,
}

/// Prices every line from the catalog's current prices and totals the available ones.
pub fn price(
    catalog: &Catalog,
    lines: Vec<Line>,
    treatment: Treatment,
) -> Result<(Vec<PricedLine<'_>>, Quote), gd_pricing::PriceError> {
    let priced: Vec<PricedLine<'_>> = lines
        .into_iter()
        .map(|line| {
            let product = catalog.product_by_id(line.product_id);
            let price = product
                .filter(|p| p.on_sale())
                .and_then(|p| p.price.as_ref())
                .and_then(|v| price_line(&v.offer, &line.selection).ok());
            let notice = match &price {
                None => Some(Notice::Unavailable),
                Some(p) if p.unit_gross != line.unit_gross => Some(Notice::PriceChanged {
                    was: line.unit_gross,
                    now: p.unit_gross,
                }),
                Some(_) => None,
            };
            PricedLine {
                line,
                product,
                price,
                notice,
            }
        })
        .collect();
    let available: Vec<LinePrice> = priced.iter().filter_map(|l| l.price.clone()).collect();
    let quote = gd_pricing::quote(&available, treatment)?;
    Ok((priced, quote))
}

/// How many items the user's cart holds (0 without a cart).
pub async fn count_of_user(conn: &mut PgConnection, user: Uuid) -> Result<u32, CartError> {
    let n = sqlx::query_scalar!(
        r#"SELECT COALESCE(sum(l.quantity), 0)::int AS "n!"
           FROM cart_lines l JOIN carts c ON c.id = l.cart_id WHERE c.user_id = $1"#,
        user
    )
    .fetch_one(conn)
    .await?;
    Ok(u32::try_from(n).unwrap_or(0))
}

/// How many items the cart holds (the sum of its quantities).
pub async fn count_items(conn: &mut PgConnection, cart: Uuid) -> Result<u32, CartError> {
    let n = sqlx::query_scalar!(
        r#"SELECT COALESCE(sum(quantity), 0)::int AS "n!" FROM cart_lines WHERE cart_id = $1"#,
        cart
    )
    .fetch_one(conn)
    .await?;
    Ok(u32::try_from(n).unwrap_or(0))
}

/// The configuration in words, in `locale`: the tier ("5.000 Follower", for services), the
/// add-ons and the speed by their labels. Shown in the cart and frozen into orders.
pub fn describe(product: &Product, selection: &Selection, locale: gd_common::Locale) -> String {
    let Some(price) = product.price.as_ref() else {
        return String::new();
    };
    let mut parts = Vec::new();
    if let Some(tier) = price.offer.tiers.iter().find(|t| t.key == selection.tier) {
        if product.kind == gd_catalog::ProductKind::Service {
            parts.push(format!(
                "{} {}",
                group_digits(tier.amount, locale),
                product.unit.get(locale)
            ));
        }
    }
    for key in &selection.addons {
        parts.push(
            price
                .labels
                .addons
                .get(key)
                .map_or_else(|| key.clone(), |l| l.get(locale).to_owned()),
        );
    }
    if let Some(key) = &selection.speed {
        parts.push(
            price
                .labels
                .speeds
                .get(key)
                .map_or_else(|| key.clone(), |l| l.get(locale).to_owned()),
        );
    }
    parts.join(" · ")
}

/// `5000` as `5.000` (German) or `5,000` (English).
fn group_digits(n: u32, locale: gd_common::Locale) -> String {
    let digits = n.to_string();
    let sep = match locale {
        gd_common::Locale::De => '.',
        gd_common::Locale::En => ',',
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}
