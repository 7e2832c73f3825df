//! Paid orders as the checkout freezes them, written straight into the database: for the
//! invoice tests and the invoice benchmark (`worker/src/bin/invoice-bench.rs`), which need
//! many orders without a checkout around them. Not used by the product.

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

/// A paid order of two one-off lines (3 × 9,99 € likes and a 49,00 € audit, 19 % VAT
/// included), its amounts under the buyer's treatment, paid through the test gateway now.
pub async fn paid_order(pool: &PgPool, b: &Buyer<'_>) -> Result<Uuid, sqlx::Error> {
    let user = Uuid::now_v7();
    let email = format!("{user}@example.de");
    sqlx::query("INSERT INTO users (id, email, locale) VALUES ($1, $2, $3)")
        .bind(user)
        .bind(&email)
        .bind(b.lang)
        .execute(pool)
        .await?;
    let order = Uuid::now_v7();
    // (gross, net, vat, quantity) per line.
    let lines: [(i64, i64, i64, i32); 2] = match b.treatment {
        "reverse_charge" => [(2518, 2518, 0, 3), (4118, 4118, 0, 1)],
        "small_business" => [(2997, 2997, 0, 3), (4900, 4900, 0, 1)],
        _ => [(2997, 2518, 479, 3), (4900, 4118, 782, 1)],
    };
    let net: i64 = lines.iter().map(|l| l.1).sum();
    let vat: i64 = lines.iter().map(|l| l.2).sum();
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
    let names = [
        (
            "instagram-likes",
            "Instagram Likes",
            "1.000 Likes · Normal",
            "https://www.instagram.com/p/C0ffee123/",
        ),
        (
            "instagram-audit",
            "Profil-Audit & Strategie",
            "Ein Gespräch, 60 Minuten",
            "",
        ),
    ];
    for (i, ((gross, net, vat, quantity), (slug, name, description, target))) in
        lines.into_iter().zip(names).enumerate()
    {
        sqlx::query(
            "INSERT INTO order_lines (id, order_id, position, product_slug, product_name,
                 billing, tier_key, description, target, quantity, unit_gross, vat_rate_bp,
                 net, vat, total)
             VALUES ($1, $2, $3, $4, $5, 'one_off', 'basic', $6, $7, $8, $9, 1900, $10, $11, $12)",
        )
        .bind(Uuid::now_v7())
        .bind(order)
        .bind(i as i32 + 1)
        .bind(slug)
        .bind(name)
        .bind(description)
        .bind(target)
        .bind(quantity)
        .bind(gross / i64::from(quantity))
        .bind(net)
        .bind(vat)
        .bind(gross)
        .execute(pool)
        .await?;
    }
    Ok(order)
}
