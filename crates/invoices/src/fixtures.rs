//! Paid orders as the checkout freezes them, written straight into the database: for the
//! invoice tests and the invoice benchmark (`worker/src/bin/invoice-bench.rs`), which need
//! many orders without a checkout around them. Not used by the product.

use gd_pricing::{net_of, Cents, VatRate};
use sqlx::PgPool;
use uuid::Uuid;

/// Who buys, and under which VAT treatment.
#[derive(Debug, Clone, Copy)]
pub struct Buyer<'a> {
    pub lang: &'a str,
    /// standard, reverse_charge, small_business.
    pub treatment: &'a str,
    pub company: Option<&'a str>,
    pub country: &'a str,
    pub vat_id: Option<&'a str>,
}

/// A German consumer.
pub const CONSUMER: Buyer<'static> = Buyer {
    lang: "de",
    treatment: "standard",
    company: None,
    country: "DE",
    vat_id: None,
};

/// A German business with a VAT id (gets the e-invoice).
pub const GERMAN_BUSINESS: Buyer<'static> = Buyer {
    lang: "de",
    treatment: "standard",
    company: Some("Muster & Söhne GmbH"),
    country: "DE",
    vat_id: Some("DE123456789"),
};

/// A one-off line of a fixture order: its price with VAT at its own rate, as the catalog
/// sets it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub target: &'a str,
    pub quantity: i32,
    /// The line's price with VAT (cents).
    pub gross: i64,
    pub vat_rate_bp: i32,
}

/// The two lines of [`paid_order`]: 3 × 9,99 € likes and a 49,00 € audit, at 19 %.
pub const LIKES_AND_AUDIT: [Item<'static>; 2] = [
    Item {
        slug: "instagram-likes",
        name: "Instagram Likes",
        description: "1.000 Likes · Normal",
        target: "https://www.instagram.com/p/C0ffee123/",
        quantity: 3,
        gross: 2997,
        vat_rate_bp: 1900,
    },
    Item {
        slug: "instagram-audit",
        name: "Profil-Audit & Strategie",
        description: "Ein Gespräch, 60 Minuten",
        target: "",
        quantity: 1,
        gross: 4900,
        vat_rate_bp: 1900,
    },
];

/// A paid order of two one-off lines (3 × 9,99 € likes and a 49,00 € audit, 19 % VAT
/// included), its amounts under the buyer's treatment, paid through the test gateway now.
pub async fn paid_order(pool: &PgPool, b: &Buyer<'_>) -> Result<Uuid, sqlx::Error> {
    paid_order_of(pool, b, &LIKES_AND_AUDIT).await
}

/// A paid order of `items`, their amounts under the buyer's treatment (under reverse charge
/// the net price without VAT; a small business charges the price and no VAT), paid through
/// the test gateway now.
pub async fn paid_order_of(
    pool: &PgPool,
    b: &Buyer<'_>,
    items: &[Item<'_>],
) -> Result<Uuid, sqlx::Error> {
    let user = Uuid::now_v7();
    let email = format!("{user}@example.de");
    sqlx::query("INSERT INTO users (id, email, locale) VALUES ($1, $2, $3)")
        .bind(user)
        .bind(&email)
        .bind(b.lang)
        .execute(pool)
        .await?;
    let order = Uuid::now_v7();
    // (gross, net, vat) per line.
    let amounts: Vec<(i64, i64, i64)> = items
        .iter()
        .map(|i| {
            let rate = u16::try_from(i.vat_rate_bp)
                .ok()
                .and_then(VatRate::from_basis_points)
                .unwrap_or(VatRate::ZERO);
            let net = net_of(Cents(i.gross), rate).0;
            match b.treatment {
                "reverse_charge" => (net, net, 0),
                "small_business" => (i.gross, i.gross, 0),
                _ => (i.gross, net, i.gross - net),
            }
        })
        .collect();
    let net: i64 = amounts.iter().map(|l| l.1).sum();
    let vat: i64 = amounts.iter().map(|l| l.2).sum();
    sqlx::query(
        "INSERT INTO orders (id, user_id, status, lang, mode, treatment, email, buyer_name,
             company, street, postal_code, city, country, vat_id, terms_accepted_at,
             terms_version, net, vat, total, rates, gateway, paid_at, payment_intent_ref)
         VALUES ($1, $2, 'paid', $3, 'payment', $4, $5, 'Erika Mustermann', $6,
             'Hauptstraße 5', '80331', 'München', $7, $8, now(), '2026-12-01', $9, $10, $11,
             '[]', 'test', now(), $12)",
    )
    .bind(order)
    .bind(user)
    .bind(b.lang)
    .bind(b.treatment)
    .bind(&email)
    .bind(b.company)
    .bind(b.country)
    .bind(b.vat_id)
    .bind(net)
    .bind(vat)
    .bind(net + vat)
    .bind(format!("pi_{order}"))
    .execute(pool)
    .await?;
    for (i, (item, (gross, net, vat))) in items.iter().zip(amounts).enumerate() {
        sqlx::query(
            "INSERT INTO order_lines (id, order_id, position, product_slug, product_name,
                 billing, tier_key, description, target, quantity, unit_gross, vat_rate_bp,
                 net, vat, total)
             VALUES ($1, $2, $3, $4, $5, 'one_off', 'basic', $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(Uuid::now_v7())
        .bind(order)
        .bind(i as i32 + 1)
        .bind(item.slug)
        .bind(item.name)
        .bind(item.description)
        .bind(item.target)
        .bind(item.quantity)
        .bind(gross / i64::from(item.quantity.max(1)))
        .bind(item.vat_rate_bp)
        .bind(net)
        .bind(vat)
        .bind(gross)
        .execute(pool)
        .await?;
    }
    Ok(order)
}
