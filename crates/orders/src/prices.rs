//! Our recurring plans as prices at the payment gateway. Stripe's subscriptions are made of
//! prices, and a plan switch moves a subscription from one price to another, so every plan
//! (product, tier, add-ons, speed, interval, amount, name) is created there once and its id
//! kept here ([`known_price`], [`remember_price`]); the checkout and plan switches reuse it.

use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::OrderError;

/// The digest that names a plan's price: everything that makes the price what it is.
#[allow(clippy::too_many_arguments)]
pub fn price_key(
    slug: &str,
    tier: &str,
    addons: &[String],
    speed: Option<&str>,
    interval: &str,
    amount: i64,
    name: &str,
) -> String {
    let mut addons = addons.to_vec();
    addons.sort();
    let text = format!(
        "{slug}\u{1f}{tier}\u{1f}{}\u{1f}{}\u{1f}{interval}\u{1f}{amount}\u{1f}{name}",
        addons.join(","),
        speed.unwrap_or("")
    );
    hex::encode(&Sha256::digest(text.as_bytes())[..16])
}

/// The gateway's price for plan `key`, if it was created before.
pub async fn known_price(
    conn: &mut PgConnection,
    gateway: &str,
    key: &str,
) -> Result<Option<String>, OrderError> {
    Ok(sqlx::query_scalar!(
        "SELECT price_ref FROM gateway_prices WHERE gateway = $1 AND key = $2",
        gateway,
        key
    )
    .fetch_optional(conn)
    .await?)
}

/// Keeps the price the gateway created for plan `key`; when another request kept one first
/// (two checkouts at once), answers that one.
#[allow(clippy::too_many_arguments)]
pub async fn remember_price(
    conn: &mut PgConnection,
    gateway: &str,
    key: &str,
    price_ref: &str,
    amount: i64,
    interval: &str,
    name: &str,
) -> Result<String, OrderError> {
    sqlx::query!(
        "INSERT INTO gateway_prices (gateway, key, price_ref, amount, interval, name)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (gateway, key) DO NOTHING",
        gateway,
        key,
        price_ref,
        amount,
        interval,
        name
    )
    .execute(&mut *conn)
    .await?;
    Ok(known_price(conn, gateway, key)
        .await?
        .unwrap_or_else(|| price_ref.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_key_changes_with_what_makes_the_price_and_not_with_addon_order() {
        let a = price_key(
            "m",
            "pro",
            &["x".into(), "y".into()],
            None,
            "month",
            4900,
            "M",
        );
        let b = price_key(
            "m",
            "pro",
            &["y".into(), "x".into()],
            None,
            "month",
            4900,
            "M",
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        assert_ne!(a, price_key("m", "pro", &[], None, "month", 4900, "M"));
        assert_ne!(
            a,
            price_key(
                "m",
                "pro",
                &["x".into(), "y".into()],
                None,
                "year",
                4900,
                "M"
            )
        );
        assert_ne!(
            a,
            price_key(
                "m",
                "pro",
                &["x".into(), "y".into()],
                None,
                "month",
                4901,
                "M"
            )
        );
    }
}
