//! The test gateway's charges and refunds: a paid one-off payment and every paid invoice of
//! a subscription (its first payment and each renewal) leave a charge with its payment
//! intent, as at Stripe. `POST /v1/refunds` sends (part of) one back, refusing more than is
//! left, and posts `charge.refunded`; `GET /v1/refunds?charge=…` lists a charge's refunds;
//! `GET /v1/invoice_payments?payment[payment_intent]=…` names the invoice a payment intent
//! paid. A subscription's payments are refunded in Stripe's dashboard: here the billing
//! portal page offers it as a tester's tool ([`refund_latest`]).

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::billing::{load_object, metadata, replayed};
use super::{queue_event, ApiError, GatewayStoreError};

type Answer = Result<Result<Value, ApiError>, GatewayStoreError>;

/// Records the charge of a paid one-off session (its payment intent's money).
pub(crate) async fn record_charge(
    conn: &mut PgConnection,
    session: &Value,
) -> Result<(), sqlx::Error> {
    let Some(intent) = session["payment_intent"].as_str() else {
        return Ok(());
    };
    insert_charge(
        conn,
        intent,
        &session["amount_total"],
        &session["customer"],
        &session["metadata"],
        None,
    )
    .await
}

/// Records the charge of a paid subscription invoice: its payment intent is named after the
/// invoice (`in_test_x` is paid by `pi_test_x`, charge `ch_test_x`).
pub(crate) async fn record_invoice_charge(
    conn: &mut PgConnection,
    invoice: &Value,
) -> Result<(), sqlx::Error> {
    let (Some(id), true) = (invoice["id"].as_str(), invoice["status"] == "paid") else {
        return Ok(());
    };
    if invoice["amount_paid"].as_i64().unwrap_or(0) <= 0 {
        return Ok(());
    }
    let intent = format!("pi_{}", id.trim_start_matches("in_"));
    insert_charge(
        conn,
        &intent,
        &invoice["amount_paid"],
        &invoice["customer"],
        &invoice["parent"]["subscription_details"]["metadata"],
        Some(id),
    )
    .await
}

async fn insert_charge(
    conn: &mut PgConnection,
    intent: &str,
    amount: &Value,
    customer: &Value,
    metadata: &Value,
    invoice: Option<&str>,
) -> Result<(), sqlx::Error> {
    let id = format!("ch_{}", intent.trim_start_matches("pi_"));
    let charge = json!({
        "id": id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "refunded": false,
        "captured": true,
        "paid": true,
        "status": "succeeded",
        "currency": "eur",
        "customer": customer,
        "payment_intent": intent,
        // Stripe's older API versions name the invoice here; the invoice payments do now.
        "invoice": invoice,
        "metadata": metadata,
        "created": Utc::now().timestamp(),
        "livemode": false,
    });
    sqlx::query!(
        "INSERT INTO test_gateway_objects (id, kind, customer, object) VALUES ($1, 'charge', $2, $3)
         ON CONFLICT (id) DO NOTHING",
        id,
        customer.as_str(),
        charge
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `POST /v1/refunds` with `payment_intent` (or `charge`) and an optional `amount` (all that
/// is left when absent).
pub async fn create_refund(
    conn: &mut PgConnection,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> Answer {
    if let Some(earlier) = replayed(conn, idempotency_key).await? {
        return Ok(Ok(earlier));
    }
    let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let (param, charge) = match (form.get("payment_intent"), form.get("charge")) {
        (Some(intent), _) => (
            "payment_intent",
            sqlx::query_scalar!(
                "SELECT object FROM test_gateway_objects
                 WHERE kind = 'charge' AND object->>'payment_intent' = $1 FOR UPDATE",
                intent
            )
            .fetch_optional(&mut *conn)
            .await?,
        ),
        (None, Some(charge)) => (
            "charge",
            sqlx::query_scalar!(
                "SELECT object FROM test_gateway_objects WHERE kind = 'charge' AND id = $1
                 FOR UPDATE",
                charge
            )
            .fetch_optional(&mut *conn)
            .await?,
        ),
        (None, None) => {
            return Ok(Err(ApiError::invalid(
                "payment_intent",
                "Missing required param: payment_intent or charge.",
            )))
        }
    };
    let Some(charge) = charge else {
        let named = form.get(param).map_or("", String::as_str);
        return Ok(Err(ApiError::invalid(
            param,
            format!("No such {param}: '{named}'"),
        )));
    };
    let amount = match form.get("amount") {
        None => None,
        Some(a) => match a.parse::<i64>() {
            Ok(a) if a > 0 => Some(a),
            _ => return Ok(Err(ApiError::invalid("amount", "Invalid positive integer"))),
        },
    };
    let refund = json!({
        "reason": form.get("reason"),
        "metadata": metadata(&form),
    });
    refund_charge(conn, charge, amount, refund, idempotency_key).await
}

/// Sends `amount` (all that is left when `None`) of `charge` (locked by the caller) back:
/// the refund (`extra` adds its reason and metadata) is stored, the charge updated and
/// `charge.refunded` queued.
async fn refund_charge(
    conn: &mut PgConnection,
    mut charge: Value,
    amount: Option<i64>,
    extra: Value,
    idempotency_key: Option<&str>,
) -> Answer {
    let captured = charge["amount"].as_i64().unwrap_or(0);
    let refunded = charge["amount_refunded"].as_i64().unwrap_or(0);
    let left = captured - refunded;
    let amount = amount.unwrap_or(left);
    if left == 0 {
        return Ok(Err(ApiError::invalid(
            "charge",
            format!(
                "Charge {} has already been refunded.",
                charge["id"].as_str().unwrap_or("")
            ),
        )));
    }
    if amount > left {
        return Ok(Err(ApiError::invalid(
            "amount",
            format!(
                "Refund amount ({}) is greater than unrefunded amount on charge ({}).",
                amount, left
            ),
        )));
    }
    let refund = json!({
        "id": format!("re_test_{}", Uuid::new_v4().simple()),
        "object": "refund",
        "amount": amount,
        "currency": "eur",
        "charge": charge["id"],
        "payment_intent": charge["payment_intent"],
        "status": "succeeded",
        "reason": extra["reason"],
        "metadata": if extra["metadata"].is_null() { json!({}) } else { extra["metadata"].clone() },
        "created": Utc::now().timestamp(),
    });
    charge["amount_refunded"] = json!(refunded + amount);
    charge["refunded"] = json!(refunded + amount == captured);
    sqlx::query!(
        "INSERT INTO test_gateway_objects (id, kind, customer, object, idempotency_key)
         VALUES ($1, 'refund', $2, $3, $4)",
        refund["id"].as_str(),
        charge["customer"].as_str(),
        refund,
        idempotency_key
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE test_gateway_objects SET object = $2, updated_at = now() WHERE id = $1",
        charge["id"].as_str(),
        charge
    )
    .execute(&mut *conn)
    .await?;
    queue_event(conn, None, "charge.refunded", &charge, 0).await?;
    Ok(Ok(refund))
}

/// What the agency does in Stripe's dashboard, as a tester's tool on the billing portal
/// page: all that is left of the latest payment of subscription `subscription` goes back.
/// `None` when nothing of it is left to refund.
pub(crate) async fn refund_latest(
    conn: &mut PgConnection,
    subscription: &str,
) -> Result<Option<Value>, GatewayStoreError> {
    let charge = sqlx::query_scalar!(
        "SELECT c.object FROM test_gateway_objects c
         JOIN test_gateway_objects i ON i.kind = 'invoice' AND i.id = c.object->>'invoice'
         WHERE c.kind = 'charge'
           AND i.object->'parent'->'subscription_details'->>'subscription' = $1
           AND (c.object->>'amount')::bigint > (c.object->>'amount_refunded')::bigint
         ORDER BY c.created_at DESC LIMIT 1
         FOR UPDATE OF c",
        subscription
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(charge) = charge else {
        return Ok(None);
    };
    let extra = json!({ "reason": "requested_by_customer", "metadata": {} });
    Ok(refund_charge(conn, charge, None, extra, None).await?.ok())
}

/// `GET /v1/invoice_payments?payment[type]=payment_intent&payment[payment_intent]=…`: the
/// invoice a payment intent paid (an empty list for a one-off payment's).
pub async fn list_invoice_payments(conn: &mut PgConnection, query: &str) -> Answer {
    let form: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let Some(intent) = form.get("payment[payment_intent]") else {
        return Ok(Err(ApiError::invalid(
            "payment",
            "This test gateway lists invoice payments by payment intent.",
        )));
    };
    let charge = sqlx::query_scalar!(
        "SELECT object FROM test_gateway_objects
         WHERE kind = 'charge' AND object->>'payment_intent' = $1",
        intent
    )
    .fetch_optional(conn)
    .await?;
    let data: Vec<Value> = charge
        .filter(|c| c["invoice"].is_string())
        .map(|c| {
            json!({
                "id": format!("inpay_{}", c["id"].as_str().unwrap_or("").trim_start_matches("ch_")),
                "object": "invoice_payment",
                "amount_paid": c["amount"],
                "amount_requested": c["amount"],
                "currency": "eur",
                "invoice": c["invoice"],
                "is_default": true,
                "livemode": false,
                "payment": { "type": "payment_intent", "payment_intent": intent },
                "status": "paid",
                "created": c["created"],
            })
        })
        .into_iter()
        .collect();
    Ok(Ok(json!({
        "object": "list",
        "data": data,
        "has_more": false,
        "url": "/v1/invoice_payments",
    })))
}

/// `GET /v1/refunds?charge=…`: the charge's refunds, newest first.
pub async fn list_refunds(conn: &mut PgConnection, query: &str) -> Answer {
    let form: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let Some(charge) = form.get("charge") else {
        return Ok(Err(ApiError::invalid(
            "charge",
            "This test gateway lists refunds by charge.",
        )));
    };
    if load_object(conn, charge, "charge").await?.is_none() {
        return Ok(Err(ApiError::no_such("charge", charge)));
    }
    let data = sqlx::query_scalar!(
        "SELECT object FROM test_gateway_objects
         WHERE kind = 'refund' AND object->>'charge' = $1 ORDER BY created_at DESC",
        charge
    )
    .fetch_all(conn)
    .await?;
    Ok(Ok(json!({
        "object": "list",
        "data": data,
        "has_more": false,
        "url": "/v1/refunds",
    })))
}
