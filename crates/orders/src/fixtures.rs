//! Clients and orders as the checkout makes them, through this crate's own functions: for the
//! tests of this crate and of `gd-invoices`, which need an order without a checkout around
//! it. Compiled only with the `fixtures` feature (which those tests' dev-dependencies turn
//! on); not used by the product.

use gd_common::Locale;
use gd_payments::{
    Invoice, PaymentStatus, Session, SessionMode, SessionStatus, Subscription, SubscriptionItem,
    SubscriptionStatus,
};
use gd_pricing::{net_of, Billing as Period, Cents, Quote, RateTotal, Totals, Treatment, VatRate};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::settle::{claim_event, finish_event, Claim, Outcome, ReceivedEvent};
use crate::subscriptions::{apply_invoice, apply_subscription, SubscriptionApplied};
use crate::{BillingInput, NewLine, NewOrder, OrderError, Report};

/// The one line of a fixture order: a seeded product (by slug) for `@growth.desk`, its price
/// with 19 % VAT.
#[derive(Debug, Clone, Copy)]
pub struct Item {
    pub slug: &'static str,
    pub name: &'static str,
    pub period: Period,
    pub tier: &'static str,
    pub description: &'static str,
    pub quantity: u32,
    /// One unit's price with VAT.
    pub unit_gross: Cents,
}

/// The monthly social media management plan (basic): 499,00 € a month, 19 % VAT included.
pub const MONTHLY_PLAN: Item = Item {
    slug: "social-media-betreuung",
    name: "Social-Media-Betreuung",
    period: Period::Monthly,
    tier: "basic",
    description: "8 Beiträge im Monat",
    quantity: 1,
    unit_gross: Cents(49_900),
};

/// Two packages of 5.000 Instagram followers, bought once: 2 × 59,90 €, 19 % VAT included.
pub const FOLLOWERS: Item = Item {
    slug: "instagram-follower",
    name: "Instagram Follower",
    period: Period::OneOff,
    tier: "5k",
    description: "5.000 Follower",
    quantity: 2,
    unit_gross: Cents(5_990),
};

/// A client account with `email`, its address confirmed.
pub async fn user(pool: &PgPool, email: &str) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO users (id, email, email_verified_at) VALUES ($1, $2, now())")
        .bind(id)
        .bind(email)
        .execute(pool)
        .await?;
    Ok(id)
}

/// `user`'s order of `item` as the checkout creates it, pending payment: in German, through
/// the test gateway, to `email`, billed to a consumer in Berlin (the details parsed as the
/// checkout parses them), the line frozen with its 19 % VAT; with `session`, the gateway's
/// checkout session attached.
pub async fn order(
    pool: &PgPool,
    user: Uuid,
    email: &str,
    item: &Item,
    session: Option<&str>,
) -> Result<Uuid, OrderError> {
    let product: Uuid = sqlx::query_scalar("SELECT id FROM products WHERE slug = $1")
        .bind(item.slug)
        .fetch_one(pool)
        .await?;
    let rate = VatRate::STANDARD_DE;
    let total = Cents(item.unit_gross.0 * i64::from(item.quantity));
    let net = net_of(total, rate);
    let vat = Cents(total.0 - net.0);
    let billing = crate::parse_billing(&BillingInput {
        name: "Erika Mustermann".into(),
        street: "Hauptstraße 1".into(),
        postal_code: "10115".into(),
        city: "Berlin".into(),
        country: "DE".into(),
        ..Default::default()
    })
    .map_err(|issues| OrderError::Invalid(format!("fixture billing: {issues:?}")))?;
    let new = NewOrder {
        user_id: user,
        locale: Locale::De,
        email: email.to_owned(),
        billing,
        terms_version: "2026-12-01".into(),
        early_start_consent: None,
        gateway: "test",
        cart_id: None,
        cart_line_ids: vec![],
        lines: vec![NewLine {
            product_id: product,
            slug: item.slug.into(),
            name: item.name.into(),
            period: item.period,
            tier: item.tier.into(),
            addons: vec![],
            speed: None,
            description: item.description.into(),
            target: "@growth.desk".into(),
            quantity: item.quantity,
            unit_gross: item.unit_gross,
            vat_rate_bp: rate.basis_points(),
            net,
            vat,
            total,
        }],
        quote: Quote {
            treatment: Treatment::Standard,
            periods: vec![Totals {
                billing: item.period,
                rates: vec![RateTotal {
                    rate,
                    net,
                    vat,
                    total,
                }],
                net,
                vat,
                total,
            }],
        },
    };
    let mut conn = pool.acquire().await?;
    let created = crate::create(&mut conn, &new).await?;
    if let Some(session) = session {
        crate::attach_session(&mut conn, created.id, session, None).await?;
    }
    Ok(created.id)
}

/// Subscription `id` of [`MONTHLY_PLAN`] order `order` for gateway customer `customer`, as
/// the gateway reports it: active, in its first month.
pub fn monthly_subscription(id: &str, order: Uuid, customer: &str) -> Subscription {
    Subscription {
        id: id.to_owned(),
        status: SubscriptionStatus::Active,
        customer: customer.to_owned(),
        cancel_at_period_end: false,
        current_period_start: Some(1_801_353_600),
        current_period_end: Some(1_803_772_800),
        canceled_at: None,
        ended_at: None,
        order_id: Some(order.to_string()),
        items: vec![SubscriptionItem {
            id: format!("si_{id}"),
            price: format!("price_{id}"),
            product: None,
            unit_amount: MONTHLY_PLAN.unit_gross.0,
            quantity: 1,
            interval: Some("month".into()),
            current_period_start: None,
            current_period_end: None,
        }],
    }
}

/// The checkout of subscription order `order` paid: its session `session` complete and paid
/// by `sub`'s customer (the first charge of `sub`'s items), applied as the webhook applies
/// `checkout.session.completed` (event "evt_checkout"). The order is paid, with its first
/// payment; the subscription and its invoice come with their own events.
pub async fn subscription_checkout_paid(
    pool: &PgPool,
    order: Uuid,
    session: &str,
    sub: &Subscription,
) -> Result<(), OrderError> {
    let paid = Session {
        id: session.to_owned(),
        mode: SessionMode::Subscription,
        status: SessionStatus::Complete,
        payment_status: PaymentStatus::Paid,
        client_reference_id: Some(order.to_string()),
        customer: Some(sub.customer.clone()),
        subscription: Some(sub.id.clone()),
        payment_intent: None,
        amount_total: Some(sub.items.iter().map(|i| i.unit_amount * i.quantity).sum()),
        currency: Some("eur".into()),
        url: None,
    };
    let mut tx = pool.begin().await?;
    crate::apply_session(&mut tx, &paid, Report::Current, "evt_checkout").await?;
    tx.commit().await?;
    Ok(())
}

/// Subscription `sub`, then its invoice `inv`, applied on `conn` as the webhook applies an
/// invoice's event (`source`: the event's id) from the test gateway. The subscription's
/// order, or None when no order of ours started it.
pub async fn apply_subscription_invoice(
    conn: &mut PgConnection,
    sub: &Subscription,
    inv: &Invoice,
    source: &str,
) -> Result<Option<Uuid>, OrderError> {
    let SubscriptionApplied::Applied {
        subscription,
        order,
    } = apply_subscription(conn, "test", sub, source).await?
    else {
        return Ok(None);
    };
    apply_invoice(conn, "test", subscription, inv, source).await?;
    Ok(Some(order))
}

/// Event `id` of kind `kind` as the webhook receives it from the test gateway, with its
/// `payload` (created at 0).
pub fn test_event<'a>(
    id: &'a str,
    kind: &'a str,
    payload: &'a serde_json::Value,
) -> ReceivedEvent<'a> {
    ReceivedEvent {
        id,
        gateway: "test",
        kind,
        created: 0,
        payload,
    }
}

/// Invoice event `event_id` of kind `kind` (`invoice.paid`, `invoice.payment_failed`) from the
/// test gateway, taken as the webhook takes it, in one transaction: claimed by its id, then
/// (the first time only) subscription `sub` and its invoice `inv` applied and the event
/// finished. An order of ours must have started `sub`.
pub async fn deliver_invoice_event(
    pool: &PgPool,
    event_id: &str,
    kind: &str,
    sub: &Subscription,
    inv: &Invoice,
) -> Result<(), OrderError> {
    let payload = serde_json::json!({ "id": event_id, "type": kind });
    let mut tx = pool.begin().await?;
    if claim_event(&mut tx, &test_event(event_id, kind, &payload)).await? == Claim::New {
        let order = apply_subscription_invoice(&mut tx, sub, inv, event_id)
            .await?
            .ok_or(OrderError::NotFound)?;
        finish_event(&mut tx, event_id, Outcome::Handled, Some(order)).await?;
    }
    tx.commit().await?;
    Ok(())
}
