//! The test gateway's subscriptions: what Stripe Billing is for real ones.
//!
//! A checkout in subscription mode that is paid starts a subscription (with the prices the
//! session was created from, or inline ones for `price_data` lines) and its first, paid
//! invoice. The API answers `POST /v1/prices`, `GET /v1/subscriptions/{id}`,
//! `POST /v1/subscriptions/{id}` (cancel at the period's end, resume, switch price),
//! `GET /v1/invoices/{id}` and `POST /v1/billing_portal/sessions`. Its billing portal page lets
//! the tester do what Stripe's portal and its test clocks do: cancel or resume, change the
//! card (to one that will be declined), and jump to the end of the period, which renews the
//! subscription (a new invoice, paid or failed by the card), retries a failed invoice, or
//! ends a subscription cancelled at the period's end; and what the agency does in Stripe's
//! dashboard, refund the latest payment. Each paid invoice leaves a charge (see
//! [`super::refunds`]). Each change posts the events Stripe posts
//! (`customer.subscription.*`, `invoice.paid`, `invoice.payment_failed`, `charge.refunded`).

use std::collections::BTreeMap;

use chrono::{DateTime, Months, Utc};
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{queue_event, ApiError, GatewayStoreError, PageLine};

/// Stripe's test payment method that is always accepted, and the one always declined.
pub const CARD_ACCEPTED: &str = "pm_card_visa";
pub const CARD_DECLINED: &str = "pm_card_chargeDeclined";

type Answer = Result<Result<Value, ApiError>, GatewayStoreError>;

/// One stored object of `kind`.
pub async fn load_object(
    conn: &mut PgConnection,
    id: &str,
    kind: &str,
) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT object FROM test_gateway_objects WHERE id = $1 AND kind = $2",
        id,
        kind
    )
    .fetch_optional(conn)
    .await
}

async fn lock_object(
    conn: &mut PgConnection,
    id: &str,
    kind: &str,
) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT object FROM test_gateway_objects WHERE id = $1 AND kind = $2 FOR UPDATE",
        id,
        kind
    )
    .fetch_optional(conn)
    .await
}

async fn insert_object(
    conn: &mut PgConnection,
    kind: &str,
    object: &Value,
    idempotency_key: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO test_gateway_objects (id, kind, customer, object, idempotency_key)
         VALUES ($1, $2, $3, $4, $5)",
        object["id"].as_str(),
        kind,
        object["customer"].as_str(),
        object,
        idempotency_key
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn save_object(conn: &mut PgConnection, object: &Value) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE test_gateway_objects SET object = $2, updated_at = now() WHERE id = $1",
        object["id"].as_str(),
        object
    )
    .execute(conn)
    .await?;
    Ok(())
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_test_{}", Uuid::new_v4().simple())
}

/// The end of a period of `interval` that starts at `start` (Unix seconds).
fn period_end(start: i64, interval: &str) -> i64 {
    let months = if interval == "year" { 12 } else { 1 };
    DateTime::<Utc>::from_timestamp(start, 0)
        .and_then(|t| t.checked_add_months(Months::new(months)))
        .map_or(start + 30 * 86_400, |t| t.timestamp())
}

fn price_object(id: &str, name: &str, unit_amount: i64, interval: &str) -> Value {
    json!({
        "id": id,
        "object": "price",
        "active": true,
        "currency": "eur",
        "unit_amount": unit_amount,
        "nickname": name,
        "product": format!("prod_{}", id.trim_start_matches("price_")),
        "recurring": { "interval": interval, "interval_count": 1, "usage_type": "licensed" },
        "type": "recurring",
        "metadata": {},
        "livemode": false,
        "created": Utc::now().timestamp(),
    })
}

/// `POST /v1/prices`: a recurring price (the parts we use: currency, unit amount, interval,
/// product name, metadata).
pub async fn create_price(
    conn: &mut PgConnection,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> Answer {
    if let Some(earlier) = replayed(conn, idempotency_key).await? {
        return Ok(Ok(earlier));
    }
    let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    if form.get("currency").map(String::as_str) != Some("eur") {
        return Ok(Err(ApiError::invalid(
            "currency",
            "This test gateway takes euros only.",
        )));
    }
    let Some(amount) = form
        .get("unit_amount")
        .and_then(|a| a.parse::<i64>().ok())
        .filter(|a| *a >= 0)
    else {
        return Ok(Err(ApiError::invalid("unit_amount", "Invalid integer")));
    };
    let interval = form
        .get("recurring[interval]")
        .map(String::as_str)
        .unwrap_or("");
    if interval != "month" && interval != "year" {
        return Ok(Err(ApiError::invalid(
            "recurring[interval]",
            "This test gateway creates monthly and yearly prices only.",
        )));
    }
    let Some(name) = form
        .get("product_data[name]")
        .filter(|n| !n.trim().is_empty())
    else {
        return Ok(Err(ApiError::invalid(
            "product_data[name]",
            "Missing required param: product_data[name].",
        )));
    };
    let mut price = price_object(&new_id("price"), name, amount, interval);
    price["metadata"] = json!(metadata(&form));
    insert_object(conn, "price", &price, idempotency_key).await?;
    Ok(Ok(price))
}

/// The object a create with the same Idempotency-Key made before, which Stripe answers again.
pub(crate) async fn replayed(
    conn: &mut PgConnection,
    idempotency_key: Option<&str>,
) -> Result<Option<Value>, sqlx::Error> {
    let Some(key) = idempotency_key else {
        return Ok(None);
    };
    sqlx::query_scalar!(
        "SELECT object FROM test_gateway_objects WHERE idempotency_key = $1",
        key
    )
    .fetch_optional(conn)
    .await
}

pub(crate) fn metadata(form: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    form.iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k.to_owned(), v.clone()))
        })
        .collect()
}

/// `GET /v1/{subscriptions,invoices,prices}/{id}`.
pub async fn retrieve(conn: &mut PgConnection, kind: &str, id: &str) -> Answer {
    Ok(load_object(conn, id, kind)
        .await?
        .ok_or_else(|| ApiError::no_such(kind, id)))
}

/// Starts the subscription of a paid checkout `session` (in the caller's transaction), with
/// its first invoice, paid; queues `customer.subscription.created` and `invoice.paid`.
/// Answers the subscription's and the invoice's ids.
pub(crate) async fn start_subscription(
    conn: &mut PgConnection,
    session: &Value,
    lines: &[PageLine],
    suffix: &str,
) -> Result<(String, String), GatewayStoreError> {
    let now = Utc::now().timestamp();
    let sub_id = format!("sub_test_{suffix}");
    let invoice_id = format!("in_test_{suffix}");
    let customer = session["customer"].clone();
    let mut items = Vec::new();
    let mut end = now;
    for line in lines {
        let Some(interval) = line.interval.as_deref() else {
            continue;
        };
        let quantity = line.quantity.max(1);
        let price = match &line.price {
            Some(id) => load_object(conn, id, "price").await?,
            None => None,
        };
        let price = match price {
            Some(p) => p,
            None => {
                // A `price_data` line: Stripe makes an inline price for it.
                let p = price_object(
                    &new_id("price"),
                    &line.name,
                    line.amount / quantity,
                    interval,
                );
                insert_object(conn, "price", &p, None).await?;
                p
            }
        };
        end = period_end(now, interval);
        items.push(json!({
            "id": new_id("si"),
            "object": "subscription_item",
            "subscription": sub_id,
            "price": price,
            "quantity": quantity,
            "current_period_start": now,
            "current_period_end": end,
        }));
    }
    let subscription = json!({
        "id": sub_id,
        "object": "subscription",
        "status": "active",
        "customer": customer,
        "cancel_at_period_end": false,
        "canceled_at": null,
        "ended_at": null,
        "cancel_at": null,
        "collection_method": "charge_automatically",
        "currency": "eur",
        "created": now,
        "start_date": now,
        "default_payment_method": CARD_ACCEPTED,
        "latest_invoice": invoice_id,
        "metadata": session["metadata"],
        "items": { "object": "list", "data": items, "has_more": false,
                   "url": format!("/v1/subscription_items?subscription={sub_id}") },
        "livemode": false,
    });
    let amount = session["amount_total"].as_i64().unwrap_or(0);
    let invoice = invoice_object(
        &invoice_id,
        &subscription,
        "subscription_create",
        amount,
        (now, end),
        (now, now),
        true,
    );
    insert_object(conn, "subscription", &subscription, None).await?;
    insert_object(conn, "invoice", &invoice, None).await?;
    super::refunds::record_invoice_charge(conn, &invoice).await?;
    queue_event(
        conn,
        None,
        "customer.subscription.created",
        &subscription,
        0,
    )
    .await?;
    queue_event(conn, None, "invoice.paid", &invoice, 0).await?;
    Ok((sub_id, invoice_id))
}

fn invoice_object(
    id: &str,
    subscription: &Value,
    reason: &str,
    amount: i64,
    service: (i64, i64),
    collected: (i64, i64),
    paid: bool,
) -> Value {
    let now = Utc::now().timestamp();
    json!({
        "id": id,
        "object": "invoice",
        "customer": subscription["customer"],
        "status": if paid { "paid" } else { "open" },
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "currency": "eur",
        "amount_due": amount,
        "amount_paid": if paid { amount } else { 0 },
        "amount_remaining": if paid { 0 } else { amount },
        "attempt_count": 1,
        "attempted": true,
        "period_start": collected.0,
        "period_end": collected.1,
        "lines": { "object": "list", "has_more": false,
                   "data": [{ "object": "line_item", "amount": amount,
                              "period": { "start": service.0, "end": service.1 } }] },
        "parent": { "type": "subscription_details",
                    "subscription_details": { "subscription": subscription["id"],
                                              "metadata": subscription["metadata"] } },
        "status_transitions": { "paid_at": if paid { json!(now) } else { Value::Null } },
        "created": now,
        "livemode": false,
    })
}

fn is_over(subscription: &Value) -> bool {
    matches!(
        subscription["status"].as_str(),
        Some("canceled" | "incomplete_expired")
    )
}

/// `POST /v1/subscriptions/{id}`: `cancel_at_period_end`, or `items[0][id]` with
/// `items[0][price]` (a plan switch; the difference would be prorated on the next invoice).
pub async fn update_subscription(conn: &mut PgConnection, id: &str, body: &[u8]) -> Answer {
    let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let Some(mut sub) = lock_object(conn, id, "subscription").await? else {
        return Ok(Err(ApiError::no_such("subscription", id)));
    };
    if is_over(&sub) {
        return Ok(Err(ApiError::invalid(
            "id",
            "A canceled subscription can only update its cancellation_details and metadata.",
        )));
    }
    if let Some(flag) = form.get("cancel_at_period_end") {
        let Ok(flag) = flag.parse::<bool>() else {
            return Ok(Err(ApiError::invalid(
                "cancel_at_period_end",
                "Invalid boolean",
            )));
        };
        sub["cancel_at_period_end"] = json!(flag);
        sub["canceled_at"] = if flag {
            json!(Utc::now().timestamp())
        } else {
            Value::Null
        };
    }
    if let Some(item_id) = form.get("items[0][id]") {
        let Some(price_id) = form.get("items[0][price]") else {
            return Ok(Err(ApiError::invalid(
                "items[0][price]",
                "Missing required param: items[0][price].",
            )));
        };
        let Some(price) = load_object(conn, price_id, "price").await? else {
            return Ok(Err(ApiError::invalid(
                "items[0][price]",
                format!("No such price: '{price_id}'"),
            )));
        };
        let Some(items) = sub["items"]["data"].as_array_mut() else {
            return Ok(Err(ApiError::no_such("subscription_item", item_id)));
        };
        let Some(item) = items.iter_mut().find(|i| i["id"] == item_id.as_str()) else {
            return Ok(Err(ApiError::invalid(
                "items[0][id]",
                format!("No such subscription item: '{item_id}'"),
            )));
        };
        if item["price"]["recurring"]["interval"] != price["recurring"]["interval"] {
            return Ok(Err(ApiError::invalid(
                "items[0][price]",
                "The new price must have the same billing interval.",
            )));
        }
        item["price"] = price;
    }
    save_object(conn, &sub).await?;
    queue_event(conn, None, "customer.subscription.updated", &sub, 0).await?;
    Ok(Ok(sub))
}

/// `POST /v1/billing_portal/sessions`: a portal page for a customer of ours.
pub async fn create_portal_session(
    conn: &mut PgConnection,
    body: &[u8],
    page_base: &str,
) -> Answer {
    let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let Some(customer) = form.get("customer") else {
        return Ok(Err(ApiError::invalid(
            "customer",
            "Missing required param: customer.",
        )));
    };
    let known = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM test_gateway_objects WHERE customer = $1 AND kind = 'subscription'",
        customer
    )
    .fetch_one(&mut *conn)
    .await?;
    if known == 0 {
        return Ok(Err(ApiError::no_such("customer", customer)));
    }
    let id = new_id("bps");
    let session = json!({
        "id": id,
        "object": "billing_portal.session",
        "customer": customer,
        "return_url": form.get("return_url"),
        "locale": form.get("locale").map_or("de", String::as_str),
        "url": format!("{page_base}/{id}"),
        "created": Utc::now().timestamp(),
        "livemode": false,
    });
    insert_object(conn, "portal_session", &session, None).await?;
    Ok(Ok(session))
}

/// What the billing portal page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Portal {
    pub id: String,
    pub locale: String,
    pub return_url: Option<String>,
    /// The customer's subscriptions, newest first.
    pub subscriptions: Vec<Value>,
}

pub async fn portal(conn: &mut PgConnection, id: &str) -> Result<Option<Portal>, sqlx::Error> {
    let Some(session) = load_object(conn, id, "portal_session").await? else {
        return Ok(None);
    };
    let subscriptions = sqlx::query_scalar!(
        "SELECT object FROM test_gateway_objects WHERE customer = $1 AND kind = 'subscription'
         ORDER BY created_at DESC",
        session["customer"].as_str()
    )
    .fetch_all(conn)
    .await?;
    Ok(Some(Portal {
        id: id.to_owned(),
        locale: session["locale"].as_str().unwrap_or("de").to_owned(),
        return_url: session["return_url"].as_str().map(str::to_owned),
        subscriptions,
    }))
}

/// What a tester may do on the billing portal page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalAction {
    CancelAtPeriodEnd,
    Resume,
    /// The card on file becomes one that is accepted.
    CardAccepted,
    /// The card on file becomes one that is declined (the next charge fails).
    CardDeclined,
    /// The test clock jumps to the end of the period: renew, retry or end.
    EndOfPeriod,
    /// What the agency does in Stripe's dashboard: all that is left of the subscription's
    /// latest payment goes back (`charge.refunded`).
    RefundLatest,
}

impl PortalAction {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "cancel" => Self::CancelAtPeriodEnd,
            "resume" => Self::Resume,
            "card_accepted" => Self::CardAccepted,
            "card_declined" => Self::CardDeclined,
            "end_of_period" => Self::EndOfPeriod,
            "refund_latest" => Self::RefundLatest,
            _ => return None,
        })
    }
}

/// Applies `action` to subscription `sub_id`, shown on portal page `portal_id` (in the
/// caller's transaction). `None` when the subscription is not one of the portal's customer's.
pub async fn portal_action(
    conn: &mut PgConnection,
    portal_id: &str,
    sub_id: &str,
    action: PortalAction,
) -> Result<Option<()>, GatewayStoreError> {
    let Some(session) = load_object(conn, portal_id, "portal_session").await? else {
        return Ok(None);
    };
    let Some(mut sub) = lock_object(conn, sub_id, "subscription").await? else {
        return Ok(None);
    };
    if sub["customer"] != session["customer"] {
        return Ok(None);
    }
    if action == PortalAction::RefundLatest {
        // Money is refunded whether the subscription goes on or has ended (nothing to
        // refund is a no-op, as the dashboard would not offer it).
        super::refunds::refund_latest(conn, sub_id).await?;
        return Ok(Some(()));
    }
    if is_over(&sub) {
        return Ok(Some(()));
    }
    match action {
        PortalAction::CancelAtPeriodEnd | PortalAction::Resume => {
            let cancel = action == PortalAction::CancelAtPeriodEnd;
            sub["cancel_at_period_end"] = json!(cancel);
            sub["canceled_at"] = if cancel {
                json!(Utc::now().timestamp())
            } else {
                Value::Null
            };
            save_object(conn, &sub).await?;
            queue_event(conn, None, "customer.subscription.updated", &sub, 0).await?;
        }
        PortalAction::CardAccepted | PortalAction::CardDeclined => {
            sub["default_payment_method"] = json!(if action == PortalAction::CardAccepted {
                CARD_ACCEPTED
            } else {
                CARD_DECLINED
            });
            save_object(conn, &sub).await?;
        }
        PortalAction::EndOfPeriod => end_of_period(conn, sub).await?,
        PortalAction::RefundLatest => {}
    }
    Ok(Some(()))
}

/// The test clock reaches the end of `sub`'s period: a past-due subscription's open invoice
/// is tried again; one cancelled at the period's end ends; otherwise a new period starts
/// with a new invoice, paid or failed by the card on file.
async fn end_of_period(conn: &mut PgConnection, mut sub: Value) -> Result<(), GatewayStoreError> {
    let now = Utc::now().timestamp();
    let card_ok = sub["default_payment_method"] != CARD_DECLINED;
    if sub["status"] == "past_due" {
        if let Some(open_id) = sub["latest_invoice"].as_str().map(str::to_owned) {
            if let Some(mut invoice) = lock_object(conn, &open_id, "invoice").await? {
                if invoice["status"] == "open" {
                    invoice["attempt_count"] =
                        json!(invoice["attempt_count"].as_i64().unwrap_or(0) + 1);
                    if card_ok {
                        invoice["status"] = json!("paid");
                        invoice["amount_paid"] = invoice["amount_due"].clone();
                        invoice["amount_remaining"] = json!(0);
                        invoice["status_transitions"]["paid_at"] = json!(now);
                        sub["status"] = json!("active");
                        save_object(conn, &invoice).await?;
                        save_object(conn, &sub).await?;
                        super::refunds::record_invoice_charge(conn, &invoice).await?;
                        queue_event(conn, None, "invoice.paid", &invoice, 0).await?;
                        queue_event(conn, None, "customer.subscription.updated", &sub, 0).await?;
                    } else {
                        save_object(conn, &invoice).await?;
                        queue_event(conn, None, "invoice.payment_failed", &invoice, 0).await?;
                    }
                    return Ok(());
                }
            }
        }
    }
    if sub["cancel_at_period_end"] == true {
        sub["status"] = json!("canceled");
        sub["ended_at"] = json!(now);
        if sub["canceled_at"].is_null() {
            sub["canceled_at"] = json!(now);
        }
        save_object(conn, &sub).await?;
        queue_event(conn, None, "customer.subscription.deleted", &sub, 0).await?;
        return Ok(());
    }
    let mut amount = 0;
    let mut previous = (now, now);
    let mut next = (now, now);
    if let Some(items) = sub["items"]["data"].as_array_mut() {
        for item in items {
            let start = item["current_period_end"].as_i64().unwrap_or(now);
            let interval = item["price"]["recurring"]["interval"]
                .as_str()
                .unwrap_or("month")
                .to_owned();
            previous = (item["current_period_start"].as_i64().unwrap_or(now), start);
            next = (start, period_end(start, &interval));
            item["current_period_start"] = json!(next.0);
            item["current_period_end"] = json!(next.1);
            amount += item["price"]["unit_amount"].as_i64().unwrap_or(0)
                * item["quantity"].as_i64().unwrap_or(1);
        }
    }
    let invoice = invoice_object(
        &new_id("in"),
        &sub,
        "subscription_cycle",
        amount,
        next,
        previous,
        card_ok,
    );
    sub["latest_invoice"] = invoice["id"].clone();
    sub["status"] = json!(if card_ok { "active" } else { "past_due" });
    insert_object(conn, "invoice", &invoice, None).await?;
    save_object(conn, &sub).await?;
    super::refunds::record_invoice_charge(conn, &invoice).await?;
    let kind = if card_ok {
        "invoice.paid"
    } else {
        "invoice.payment_failed"
    };
    queue_event(conn, None, kind, &invoice, 0).await?;
    queue_event(conn, None, "customer.subscription.updated", &sub, 0).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_end_a_calendar_month_or_year_later() {
        // 2027-01-31 → 2027-02-28: the month's last day, as Stripe bills.
        let jan31 = 1_801_353_600;
        assert_eq!(period_end(jan31, "month"), 1_803_772_800);
        assert_eq!(period_end(jan31, "year"), 1_832_889_600);
    }
}
