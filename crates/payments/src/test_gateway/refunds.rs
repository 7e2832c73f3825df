//! The test gateway's charges and refunds: a one-off payment that is paid leaves a charge
//! (as at Stripe); `POST /v1/refunds` sends (part of) it back, refusing more than is left,
//! and posts `charge.refunded`; `GET /v1/refunds?charge=…` lists a charge's refunds.

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
    let id = format!("ch_{}", intent.trim_start_matches("pi_"));
    let charge = json!({
        "id": id,
        "object": "charge",
        "amount": session["amount_total"],
        "amount_captured": session["amount_total"],
        "amount_refunded": 0,
        "refunded": false,
        "captured": true,
        "paid": true,
        "status": "succeeded",
        "currency": "eur",
        "customer": session["customer"],
        "payment_intent": intent,
        "metadata": session["metadata"],
        "created": Utc::now().timestamp(),
        "livemode": false,
    });
    sqlx::query!(
        "INSERT INTO test_gateway_objects (id, kind, customer, object) VALUES ($1, 'charge', $2, $3)
         ON CONFLICT (id) DO NOTHING",
        id,
        session["customer"].as_str(),
        charge
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `POST /v1/refunds` with `payment_intent` and an optional `amount` (all that is left when
/// absent).
pub async fn create_refund(
    conn: &mut PgConnection,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> Answer {
    if let Some(earlier) = replayed(conn, idempotency_key).await? {
        return Ok(Ok(earlier));
    }
    let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let Some(intent) = form.get("payment_intent") else {
        return Ok(Err(ApiError::invalid(
            "payment_intent",
            "Missing required param: payment_intent (this test gateway refunds payment intents).",
        )));
    };
    let charge = sqlx::query_scalar!(
        "SELECT object FROM test_gateway_objects
         WHERE kind = 'charge' AND object->>'payment_intent' = $1 FOR UPDATE",
        intent
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(mut charge) = charge else {
        return Ok(Err(ApiError::invalid(
            "payment_intent",
            format!("No such payment_intent: '{intent}'"),
        )));
    };
    let captured = charge["amount"].as_i64().unwrap_or(0);
    let refunded = charge["amount_refunded"].as_i64().unwrap_or(0);
    let left = captured - refunded;
    let amount = match form.get("amount") {
        None => left,
        Some(a) => match a.parse::<i64>() {
            Ok(a) if a > 0 => a,
            _ => return Ok(Err(ApiError::invalid("amount", "Invalid positive integer"))),
        },
    };
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
        "payment_intent": intent,
        "status": "succeeded",
        "reason": form.get("reason"),
        "metadata": metadata(&form),
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
