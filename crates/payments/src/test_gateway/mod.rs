//! The built-in test gateway: what stands in for Stripe when no Stripe key is configured.
//!
//! It answers the requests [`crate::Gateway`] makes (`POST /v1/checkout/sessions`,
//! `GET /v1/checkout/sessions/{id}`) with Stripe's object shapes, keeps its sessions in
//! PostgreSQL (so several server processes share them), offers a hosted page where a tester
//! pays, is declined, pays "later" (a delayed method that succeeds or fails afterwards) or lets
//! the session expire, and delivers Stripe-shaped events, signed exactly as Stripe signs them,
//! to our own `/webhooks/stripe` through a job that is retried as Stripe retries. No money
//! moves, and its page says so.
//!
//! Subscriptions, their invoices and renewals, prices and the billing portal are in
//! [`billing`]. The HTTP routes live in the server; this module holds what they do.

pub mod billing;
pub mod refunds;

use std::collections::BTreeMap;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

/// The API version our client sends, echoed in the events.
pub const API_VERSION: &str = "2026-09-30.endive";

/// How long a session stays open, as at Stripe.
const SESSION_HOURS: i64 = 24;

/// The delay of the outcome of a "pay later" payment.
pub const LATER_DELAY_SECS: u64 = 15;

/// An error answer in Stripe's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
    pub param: Option<String>,
}

impl ApiError {
    fn invalid(param: &str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            kind: "invalid_request_error",
            message: message.into(),
            param: Some(param.to_owned()),
        }
    }

    fn not_found(id: &str) -> Self {
        Self::no_such("checkout.session", id)
    }

    pub(crate) fn no_such(kind: &str, id: &str) -> Self {
        Self {
            status: 404,
            kind: "invalid_request_error",
            message: format!("No such {kind}: '{id}'"),
            param: Some("id".to_owned()),
        }
    }

    /// The JSON body Stripe sends with an error.
    pub fn body(&self) -> Value {
        json!({ "error": { "type": self.kind, "message": self.message, "param": self.param } })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayStoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Enqueue(#[from] gd_jobs::EnqueueError),
}

/// What a tester may do on the hosted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// A card that is accepted: the session completes, paid.
    Pay,
    /// A card that is declined: the session stays open, nothing is sent (as at Stripe).
    Decline,
    /// A delayed method (e.g. a bank debit) that succeeds after [`LATER_DELAY_SECS`].
    LaterSucceeds,
    /// A delayed method that fails after [`LATER_DELAY_SECS`].
    LaterFails,
    /// The session runs out now instead of in 24 hours.
    Expire,
}

impl Choice {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pay" => Self::Pay,
            "decline" => Self::Decline,
            "later_succeeds" => Self::LaterSucceeds,
            "later_fails" => Self::LaterFails,
            "expire" => Self::Expire,
            _ => return None,
        })
    }
}

/// A line the hosted page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageLine {
    pub name: String,
    pub amount: i64,
    pub interval: Option<String>,
    /// The price the line was created from (`line_items[i][price]`), if any.
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default = "one")]
    pub quantity: i64,
}

fn one() -> i64 {
    1
}

/// What the hosted page shows of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSession {
    pub id: String,
    pub object: Value,
    pub lines: Vec<PageLine>,
}

impl PageSession {
    pub fn status(&self) -> &str {
        self.object["status"].as_str().unwrap_or("")
    }
    pub fn payment_status(&self) -> &str {
        self.object["payment_status"].as_str().unwrap_or("")
    }
    pub fn amount_total(&self) -> i64 {
        self.object["amount_total"].as_i64().unwrap_or(0)
    }
    pub fn mode(&self) -> &str {
        self.object["mode"].as_str().unwrap_or("")
    }
    pub fn locale(&self) -> &str {
        self.object["locale"].as_str().unwrap_or("de")
    }
    pub fn success_url(&self) -> String {
        self.object["success_url"]
            .as_str()
            .unwrap_or("/")
            .replace("{CHECKOUT_SESSION_ID}", &self.id)
    }
    pub fn cancel_url(&self) -> &str {
        self.object["cancel_url"].as_str().unwrap_or("/")
    }
}

/// `POST /v1/checkout/sessions`: `body` is the form-encoded request, `page_base` where the
/// hosted pages are (`{public_url}/test-gateway/pay`).
pub async fn create_session(
    conn: &mut PgConnection,
    body: &[u8],
    idempotency_key: Option<&str>,
    page_base: &str,
) -> Result<Result<Value, ApiError>, GatewayStoreError> {
    let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let request_hash = hex::encode(Sha256::digest(body));
    if let Some(key) = idempotency_key {
        let earlier = sqlx::query!(
            "SELECT object, request_hash FROM test_gateway_sessions WHERE idempotency_key = $1",
            key
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(earlier) = earlier {
            // Stripe replays the first answer for the same key, and refuses other parameters.
            return Ok(if earlier.request_hash == request_hash {
                Ok(earlier.object)
            } else {
                Err(ApiError {
                    status: 400,
                    kind: "idempotency_error",
                    message: "Keys for idempotent requests can only be used with the same parameters they were first used with.".into(),
                    param: None,
                })
            });
        }
    }
    let mut prices = BTreeMap::new();
    for (key, id) in &form {
        if key.starts_with("line_items[") && key.ends_with("][price]") {
            match billing::load_object(conn, id, "price").await? {
                Some(price) => {
                    prices.insert(id.clone(), price);
                }
                None => {
                    return Ok(Err(ApiError::invalid(
                        key,
                        format!("No such price: '{id}'"),
                    )))
                }
            }
        }
    }
    let request = match parse_create(&form, &prices) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let id = format!("cs_test_{}", Uuid::new_v4().simple());
    let now = Utc::now().timestamp();
    let amount_total: i64 = request.lines.iter().map(|l| l.amount).sum();
    let object = json!({
        "id": id,
        "object": "checkout.session",
        "mode": request.mode,
        "status": "open",
        "payment_status": "unpaid",
        "client_reference_id": request.client_reference_id,
        "metadata": request.metadata,
        "customer": null,
        "customer_email": request.customer_email,
        "subscription": null,
        "payment_intent": null,
        "invoice": null,
        "amount_subtotal": amount_total,
        "amount_total": amount_total,
        "currency": "eur",
        "locale": request.locale,
        "url": format!("{page_base}/{id}"),
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
        "created": now,
        "expires_at": now + SESSION_HOURS * 3600,
        "livemode": false,
        "automatic_tax": { "enabled": false, "liability": null, "status": null },
        "custom_fields": [],
        "custom_text": {},
        "payment_method_types": ["card"],
        "shipping_options": [],
    });
    let lines = serde_json::to_value(&request.lines).unwrap_or(Value::Null);
    sqlx::query!(
        "INSERT INTO test_gateway_sessions (id, object, line_items, idempotency_key, request_hash)
         VALUES ($1, $2, $3, $4, $5)",
        id,
        object,
        lines,
        idempotency_key,
        request_hash
    )
    .execute(&mut *conn)
    .await?;
    Ok(Ok(object))
}

struct CreateRequest {
    mode: String,
    lines: Vec<PageLine>,
    customer_email: Option<String>,
    client_reference_id: Option<String>,
    metadata: BTreeMap<String, String>,
    success_url: String,
    cancel_url: String,
    locale: String,
}

/// Reads the parameters of a create request as Stripe would, refusing what Stripe refuses
/// (for the parts we use).
fn parse_create(
    form: &BTreeMap<String, String>,
    prices: &BTreeMap<String, Value>,
) -> Result<CreateRequest, ApiError> {
    let mode = form
        .get("mode")
        .cloned()
        .ok_or_else(|| ApiError::invalid("mode", "Missing required param: mode."))?;
    if mode != "payment" && mode != "subscription" {
        return Err(ApiError::invalid("mode", format!("Invalid mode: {mode}")));
    }
    let success_url = form
        .get("success_url")
        .cloned()
        .ok_or_else(|| ApiError::invalid("success_url", "Missing required param: success_url."))?;
    let cancel_url = form.get("cancel_url").cloned().unwrap_or_default();
    let mut lines = Vec::new();
    for i in 0.. {
        let key = |rest: &str| format!("line_items[{i}]{rest}");
        if !form.keys().any(|k| k.starts_with(&key("["))) {
            break;
        }
        let quantity: i64 = match form.get(&key("[quantity]")) {
            None => 1,
            Some(q) => q
                .parse()
                .ok()
                .filter(|q| *q >= 1)
                .ok_or_else(|| ApiError::invalid(&key("[quantity]"), "Invalid integer"))?,
        };
        if let Some(price_id) = form.get(&key("[price]")) {
            let price = prices
                .get(price_id)
                .ok_or_else(|| ApiError::invalid(&key("[price]"), "No such price"))?;
            let interval = price["recurring"]["interval"].as_str().map(str::to_owned);
            if interval.is_some() && mode != "subscription" {
                return Err(ApiError::invalid(
                    &key("[price]"),
                    "You must be in `subscription` mode to use recurring prices.",
                ));
            }
            lines.push(PageLine {
                name: price["nickname"].as_str().unwrap_or("").to_owned(),
                amount: price["unit_amount"]
                    .as_i64()
                    .unwrap_or(0)
                    .saturating_mul(quantity),
                interval,
                price: Some(price_id.clone()),
                quantity,
            });
            continue;
        }
        let param = key("[price_data][unit_amount]");
        let amount: i64 = form
            .get(&param)
            .and_then(|v| v.parse().ok())
            .filter(|a| *a >= 0)
            .ok_or_else(|| ApiError::invalid(&param, "Invalid integer"))?;
        let currency = form.get(&key("[price_data][currency]")).map(String::as_str);
        if currency != Some("eur") {
            return Err(ApiError::invalid(
                &key("[price_data][currency]"),
                "This test gateway takes euros only.",
            ));
        }
        let name = form
            .get(&key("[price_data][product_data][name]"))
            .cloned()
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| {
                ApiError::invalid(
                    &key("[price_data][product_data][name]"),
                    "Missing required param: name.",
                )
            })?;
        let interval = form.get(&key("[price_data][recurring][interval]")).cloned();
        if let Some(i) = &interval {
            if i != "month" && i != "year" {
                return Err(ApiError::invalid(
                    &key("[price_data][recurring][interval]"),
                    "Invalid interval",
                ));
            }
            if mode != "subscription" {
                return Err(ApiError::invalid(
                    &key("[price_data][recurring]"),
                    "You must be in `subscription` mode to use recurring prices.",
                ));
            }
        }
        lines.push(PageLine {
            name,
            amount: amount.saturating_mul(quantity),
            interval,
            price: None,
            quantity,
        });
    }
    if lines.is_empty() {
        return Err(ApiError::invalid(
            "line_items",
            "Missing required param: line_items.",
        ));
    }
    if mode == "subscription" && lines.iter().all(|l| l.interval.is_none()) {
        return Err(ApiError::invalid(
            "line_items",
            "You must provide at least one recurring price in `subscription` mode.",
        ));
    }
    let metadata = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k.to_owned(), v.clone()))
        })
        .collect();
    Ok(CreateRequest {
        mode,
        lines,
        customer_email: form.get("customer_email").cloned(),
        client_reference_id: form.get("client_reference_id").cloned(),
        metadata,
        success_url,
        cancel_url,
        locale: form.get("locale").cloned().unwrap_or_else(|| "de".into()),
    })
}

/// `GET /v1/checkout/sessions/{id}`.
pub async fn retrieve(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Result<Value, ApiError>, GatewayStoreError> {
    Ok(load(conn, id)
        .await?
        .map(|s| s.object)
        .ok_or_else(|| ApiError::not_found(id)))
}

/// The session for the hosted page.
pub async fn load(conn: &mut PgConnection, id: &str) -> Result<Option<PageSession>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, object, line_items FROM test_gateway_sessions WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| PageSession {
        id: r.id,
        object: r.object,
        lines: serde_json::from_value(r.line_items).unwrap_or_default(),
    }))
}

/// What a choice on the hosted page did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Where to send the tester: the shop's success page.
    Completed,
    /// The card was declined; the page says so and the tester may try again.
    Declined,
    Expired,
    /// The session was no longer open (paid in another tab, expired).
    NotOpen,
    /// Not offered for this session (a delayed method for a subscription).
    NotOffered,
}

/// Applies the tester's `choice` to session `id`, and queues the events it causes, in the
/// caller's transaction.
pub async fn settle(
    conn: &mut PgConnection,
    id: &str,
    choice: Choice,
) -> Result<Option<Settled>, GatewayStoreError> {
    let row = sqlx::query!(
        "SELECT object, line_items FROM test_gateway_sessions WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut object = row.object;
    if object["status"] != "open" {
        return Ok(Some(Settled::NotOpen));
    }
    let suffix = Uuid::new_v4().simple().to_string();
    let subscription = object["mode"] == "subscription";
    let mut later: Option<(bool, Value)> = None;
    if subscription && matches!(choice, Choice::LaterSucceeds | Choice::LaterFails) {
        // Delayed methods are offered for one-off payments only (the page does not show them).
        return Ok(Some(Settled::NotOffered));
    }
    let settled = match choice {
        Choice::Decline => return Ok(Some(Settled::Declined)),
        Choice::Expire => {
            object["status"] = json!("expired");
            object["url"] = Value::Null;
            Settled::Expired
        }
        Choice::Pay | Choice::LaterSucceeds | Choice::LaterFails => {
            object["status"] = json!("complete");
            object["url"] = Value::Null;
            object["customer"] = json!(format!("cus_test_{suffix}"));
            if subscription {
                let lines: Vec<PageLine> =
                    serde_json::from_value(row.line_items).unwrap_or_default();
                let (sub, invoice) =
                    billing::start_subscription(conn, &object, &lines, &suffix).await?;
                object["subscription"] = json!(sub);
                object["invoice"] = json!(invoice);
            } else {
                object["payment_intent"] = json!(format!("pi_test_{suffix}"));
            }
            object["payment_status"] = json!(if choice == Choice::Pay {
                "paid"
            } else {
                "unpaid"
            });
            if choice != Choice::Pay {
                let succeeds = choice == Choice::LaterSucceeds;
                let mut after = object.clone();
                after["payment_status"] = json!(if succeeds { "paid" } else { "unpaid" });
                later = Some((succeeds, after));
            }
            Settled::Completed
        }
    };
    sqlx::query!(
        "UPDATE test_gateway_sessions SET object = $2, updated_at = now() WHERE id = $1",
        id,
        object
    )
    .execute(&mut *conn)
    .await?;
    if choice == Choice::Pay && !subscription {
        refunds::record_charge(conn, &object).await?;
    }
    let kind = if settled == Settled::Expired {
        "checkout.session.expired"
    } else {
        "checkout.session.completed"
    };
    queue_event(conn, Some(id), kind, &object, 0).await?;
    if let Some((succeeds, after)) = later {
        let kind = if succeeds {
            "checkout.session.async_payment_succeeded"
        } else {
            "checkout.session.async_payment_failed"
        };
        // The session stays complete and unpaid until the outcome is delivered: a bank
        // debit's money arrives later (see [`deliver`]).
        queue_event(conn, Some(id), kind, &after, LATER_DELAY_SECS).await?;
    }
    Ok(Some(settled))
}

/// Stores an event (about a session, if `session_id`) and queues its delivery after
/// `delay_secs`.
pub(crate) async fn queue_event(
    conn: &mut PgConnection,
    session_id: Option<&str>,
    kind: &str,
    object: &Value,
    delay_secs: u64,
) -> Result<(), GatewayStoreError> {
    let id = format!("evt_test_{}", Uuid::new_v4().simple());
    let event = json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": Utc::now().timestamp() + i64::try_from(delay_secs).unwrap_or(0),
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
        "data": { "object": object },
    });
    let payload = event.to_string();
    sqlx::query!(
        "INSERT INTO test_gateway_events (id, type, payload, session_id) VALUES ($1, $2, $3, $4)",
        id,
        kind,
        payload,
        session_id
    )
    .execute(&mut *conn)
    .await?;
    let job_id = gd_jobs::enqueue(&mut *conn, &DeliverEvent { event_id: id }).await?;
    if delay_secs > 0 {
        gd_jobs::queue::retry_later(
            &mut *conn,
            &job_id,
            std::time::Duration::from_secs(delay_secs),
        )
        .await?;
    }
    Ok(())
}

/// Delivers one test-gateway event to the webhook ([`deliver`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverEvent {
    pub event_id: String,
}

impl gd_jobs::Job for DeliverEvent {
    const QUEUE: &'static str = "growthdesk::test_gateway_delivery";
    /// Stripe retries for three days; a local tester needs far less.
    const MAX_ATTEMPTS: i32 = 12;
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("no such test gateway event: {0}")]
    Unknown(String),
    #[error("the webhook answered {0}")]
    Refused(u16),
    #[error("the webhook cannot be reached: {0}")]
    Unreachable(String),
}

/// Posts event `event_id` to `webhook_url`, signed with `secret` at this moment (as Stripe
/// signs each attempt anew), and records the attempt. An answer other than 2xx is an error,
/// so the job is retried. No connection is held while the webhook is called: the webhook's
/// handler needs connections of the same pool.
pub async fn deliver(
    pool: &sqlx::PgPool,
    http: &reqwest::Client,
    webhook_url: &str,
    secret: &str,
    event_id: &str,
) -> Result<(), DeliveryError> {
    let mut conn = pool.acquire().await?;
    let row = sqlx::query!(
        "SELECT payload, type AS kind, session_id, delivered_at FROM test_gateway_events WHERE id = $1",
        event_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| DeliveryError::Unknown(event_id.to_owned()))?;
    if row.delivered_at.is_some() {
        return Ok(());
    }
    if row.kind == "checkout.session.async_payment_succeeded" {
        // The delayed payment arrives now: from here on the API answers "paid".
        let paid = sqlx::query_scalar!(
            r#"UPDATE test_gateway_sessions
               SET object = jsonb_set(object, '{payment_status}', '"paid"'), updated_at = now()
               WHERE id = $1 RETURNING object"#,
            row.session_id
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(session) = paid {
            refunds::record_charge(&mut conn, &session).await?;
        }
    }
    drop(conn);
    let header = crate::signature::sign(secret, Utc::now().timestamp(), row.payload.as_bytes());
    let outcome = http
        .post(webhook_url)
        .header("content-type", "application/json")
        .header("stripe-signature", header)
        .body(row.payload)
        .send()
        .await;
    let (status, error) = match &outcome {
        Ok(res) => (Some(i32::from(res.status().as_u16())), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let delivered = matches!(&outcome, Ok(res) if res.status().is_success());
    sqlx::query!(
        "UPDATE test_gateway_events SET attempts = attempts + 1, last_status = $2, last_error = $3,
             delivered_at = CASE WHEN $4 THEN now() ELSE delivered_at END
         WHERE id = $1",
        event_id,
        status,
        error,
        delivered
    )
    .execute(pool)
    .await?;
    match outcome {
        Ok(res) if res.status().is_success() => Ok(()),
        Ok(res) => Err(DeliveryError::Refused(res.status().as_u16())),
        Err(e) => Err(DeliveryError::Unreachable(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_create_request_is_read_as_stripe_reads_it() {
        let f = form(&[
            ("mode", "subscription"),
            (
                "success_url",
                "http://x/ok?session_id={CHECKOUT_SESSION_ID}",
            ),
            ("cancel_url", "http://x/cart"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", "4900"),
            (
                "line_items[0][price_data][product_data][name]",
                "Management",
            ),
            ("line_items[0][price_data][recurring][interval]", "month"),
            ("line_items[0][quantity]", "1"),
            ("line_items[1][price_data][currency]", "eur"),
            ("line_items[1][price_data][unit_amount]", "1000"),
            ("line_items[1][price_data][product_data][name]", "Setup"),
            ("line_items[1][quantity]", "2"),
            ("metadata[order_id]", "o1"),
        ]);
        let r = parse_create(&f, &BTreeMap::new()).expect("valid");
        assert_eq!(r.lines.len(), 2);
        assert_eq!(r.lines[1].amount, 2000);
        assert_eq!(r.metadata.get("order_id").map(String::as_str), Some("o1"));
    }

    #[test]
    fn what_stripe_refuses_is_refused_with_the_parameter_named() {
        let base = [
            ("mode", "payment"),
            ("success_url", "http://x/ok"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", "100"),
            ("line_items[0][price_data][product_data][name]", "A"),
            ("line_items[0][price_data][recurring][interval]", "month"),
        ];
        let e = parse_create(&form(&base), &BTreeMap::new())
            .err()
            .expect("recurring in payment mode");
        assert_eq!(
            e.param.as_deref(),
            Some("line_items[0][price_data][recurring]")
        );
        let e = parse_create(&form(&base[..2]), &BTreeMap::new())
            .err()
            .expect("no lines");
        assert_eq!(e.param.as_deref(), Some("line_items"));
        let mut negative = base[..5].to_vec();
        negative[3] = ("line_items[0][price_data][unit_amount]", "-1");
        let e = parse_create(&form(&negative), &BTreeMap::new())
            .err()
            .expect("negative amount");
        assert_eq!(
            e.param.as_deref(),
            Some("line_items[0][price_data][unit_amount]")
        );
    }
}
