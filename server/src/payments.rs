//! Payments over HTTP: Stripe's webhook, and the test gateway that stands in for Stripe when
//! no key is configured.
//!
//! `POST /webhooks/stripe` is outside the same-origin guard: Stripe's signature over the raw
//! body is its guard (400 for a missing, wrong or stale one). Every verified event is
//! recorded by its id with its payload and acknowledged; checkout-session events are applied
//! to their order in the same transaction (`gd_orders::settle`), reading the session's
//! current state from the gateway first, so late and out-of-order deliveries cannot move an
//! order backwards. A failure answers 500, so the gateway delivers again.
//!
//! Subscription events (`customer.subscription.*`, `invoice.paid`, `invoice.payment_failed`)
//! are applied the same way from the subscription and invoice read back from the gateway
//! (`gd_orders::subscriptions`). `charge.refunded` applies the charge's refunds
//! (`gd_orders::refunds`), each to the payment it sends back: a checkout's, found by its
//! payment intent, or a subscription's (first payment or renewal), found by the invoice the
//! gateway says the payment intent paid; that invoice is applied first, so a refund that
//! overtakes the invoice's own event still finds its payment.
//!
//! `/test-gateway/v1/…` answers the requests our Stripe client makes (guarded by the API
//! key, as Stripe's API is), `/test-gateway/pay/{id}` is its hosted payment page and
//! `/test-gateway/billing/{id}` its billing portal.

use axum::body::Bytes;
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gd_orders::refunds;
use gd_orders::settle::{self, Claim, Outcome, ReceivedEvent};
use gd_orders::subscriptions::{self, SubscriptionApplied};
use gd_orders::Report;
use gd_payments::test_gateway::{self, billing, Choice, Settled};
use gd_payments::{Event, Invoice, Refund, Session, Subscription};
use uuid::Uuid;

use crate::AppState;

pub(crate) fn routes(test_gateway: bool) -> Router<AppState> {
    let router = Router::new().route("/webhooks/stripe", post(stripe_webhook));
    if !test_gateway {
        return router;
    }
    router
        .route("/test-gateway/v1/checkout/sessions", post(api_create))
        .route("/test-gateway/v1/checkout/sessions/{id}", get(api_retrieve))
        .route("/test-gateway/pay/{id}", get(pay_page).post(pay_choice))
        .route("/test-gateway/v1/prices", post(api_create_price))
        .route(
            "/test-gateway/v1/subscriptions/{id}",
            get(api_subscription).post(api_update_subscription),
        )
        .route("/test-gateway/v1/invoices/{id}", get(api_invoice))
        .route(
            "/test-gateway/v1/invoice_payments",
            get(api_list_invoice_payments),
        )
        .route(
            "/test-gateway/v1/refunds",
            get(api_list_refunds).post(api_create_refund),
        )
        .route(
            "/test-gateway/v1/billing_portal/sessions",
            post(api_create_portal_session),
        )
        .route(
            "/test-gateway/billing/{id}",
            get(portal_page).post(portal_choice),
        )
}

fn outcome_metric(outcome: &'static str) {
    metrics::counter!("growthdesk_webhook_events_total", "gateway" => "stripe", "outcome" => outcome)
        .increment(1);
}

async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let secrets: Vec<&str> = state
        .config
        .payments
        .webhook_secrets
        .iter()
        .map(|s| s.expose())
        .collect();
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = gd_payments::signature::verify(signature, &body, &secrets, now) {
        outcome_metric("bad_signature");
        tracing::warn!(error = %e, "webhook refused");
        return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
    }
    let gateway = state.gateway.kind().as_str();
    let (payload, event) = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(value) => {
            let event = serde_json::from_value::<Event>(value.clone()).ok();
            (value, event)
        }
        Err(_) => (
            serde_json::json!({ "raw": String::from_utf8_lossy(&body) }),
            None,
        ),
    };
    let Some(event) = event else {
        // Signed by the gateway but not an event we can read: kept for a person to look at,
        // and acknowledged (a retry would bring the same bytes).
        let id = payload["id"].as_str().map_or_else(
            || format!("unparsable_{}", short_digest(&body)),
            str::to_owned,
        );
        let received = ReceivedEvent {
            id: &id,
            gateway,
            kind: payload["type"].as_str().unwrap_or("unknown"),
            created: now,
            payload: &payload,
        };
        return record_only(&state, &received, Outcome::Unparsable).await;
    };
    let received = ReceivedEvent {
        id: &event.id,
        gateway,
        kind: &event.kind,
        created: event.created,
        payload: &payload,
    };
    let wanted = match event.kind.as_str() {
        "checkout.session.completed" => Wanted::Session(Report::Current),
        "checkout.session.async_payment_succeeded" => Wanted::Session(Report::AsyncSucceeded),
        "checkout.session.async_payment_failed" => Wanted::Session(Report::AsyncFailed),
        "checkout.session.expired" => Wanted::Session(Report::Expired),
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => Wanted::Subscription,
        "invoice.paid" | "invoice.payment_failed" => Wanted::Invoice,
        "charge.refunded" => Wanted::Charge,
        _ => return record_only(&state, &received, Outcome::Ignored).await,
    };
    let object_id = match (&wanted, event.session()) {
        (Wanted::Session(_), Some(session)) => session.id,
        (Wanted::Session(_), None) => {
            return record_only(&state, &received, Outcome::Unparsable).await
        }
        (_, _) => match event.object_id() {
            Some(id) => id.to_owned(),
            None => return record_only(&state, &received, Outcome::Unparsable).await,
        },
    };
    // A replay (Stripe delivers again when an answer was lost) costs no call to the gateway.
    if let Ok(mut conn) = state.pool.acquire().await {
        if settle::already_processed(&mut conn, &event.id)
            .await
            .unwrap_or(false)
        {
            outcome_metric("duplicate");
            return Json(serde_json::json!({ "received": true, "duplicate": true }))
                .into_response();
        }
    }
    // Where order matters, the gateway's current state counts, not the event's copy.
    let work = match current_state(&state, wanted, &object_id).await {
        Ok(Some(work)) => work,
        // An invoice of no subscription (we make none): nothing to do.
        Ok(None) => return record_only(&state, &received, Outcome::Ignored).await,
        Err(e) => return failed(&state, &received, &e.to_string()).await,
    };
    let result: Result<(Claim, Option<Uuid>), gd_orders::OrderError> = async {
        let mut tx = state.pool.begin().await?;
        let claim = settle::claim_event(&mut tx, &received).await?;
        if claim == Claim::Duplicate {
            tx.commit().await?;
            return Ok((claim, None));
        }
        let order = apply(&mut tx, gateway, &work, &event.id).await?;
        let outcome = if order.is_some() {
            Outcome::Handled
        } else {
            Outcome::Ignored
        };
        settle::finish_event(&mut tx, &event.id, outcome, order).await?;
        tx.commit().await?;
        Ok((claim, order))
    }
    .await;
    match result {
        Ok((Claim::Duplicate, _)) => {
            outcome_metric("duplicate");
            Json(serde_json::json!({ "received": true, "duplicate": true })).into_response()
        }
        Ok((_, order)) => {
            outcome_metric("handled");
            tracing::info!(event = %event.id, kind = %event.kind, ?order, "webhook event applied");
            Json(serde_json::json!({ "received": true })).into_response()
        }
        Err(e) => failed(&state, &received, &e.to_string()).await,
    }
}

/// What kind of object an event is about.
enum Wanted {
    Session(Report),
    Subscription,
    Invoice,
    Charge,
}

/// The gateway's current objects an event is applied from.
enum Work {
    /// A checkout session, and the subscription it started (if any).
    Session(Session, Report, Option<Subscription>),
    Subscription(Subscription),
    Invoice(Invoice, Subscription),
    /// A charge's refunds, and the subscription invoices their payments paid.
    Refunds(Vec<Refund>, Vec<PaidInvoice>),
}

/// A subscription's invoice that a refunded payment (intent) paid, with its subscription.
struct PaidInvoice {
    payment_intent: String,
    invoice: Invoice,
    subscription: Subscription,
}

/// Reads the current state of the event's object (and of the subscription it belongs to)
/// from the gateway. `None` for an invoice that bills no subscription.
async fn current_state(state: &AppState, wanted: Wanted, id: &str) -> anyhow::Result<Option<Work>> {
    let gateway = &state.gateway;
    Ok(Some(match wanted {
        Wanted::Session(report) => {
            let session = gateway.session(id).await?;
            let subscription = match &session.subscription {
                Some(sub) => Some(gateway.subscription(sub).await?),
                None => None,
            };
            Work::Session(session, report, subscription)
        }
        Wanted::Subscription => Work::Subscription(gateway.subscription(id).await?),
        Wanted::Invoice => {
            let invoice = gateway.invoice(id).await?;
            let Some(sub) = &invoice.subscription else {
                return Ok(None);
            };
            let subscription = gateway.subscription(sub).await?;
            Work::Invoice(invoice, subscription)
        }
        Wanted::Charge => {
            let refunds = gateway.refunds_of_charge(id).await?;
            let mut intents: Vec<&str> = refunds
                .iter()
                .filter(|r| r.counts())
                .filter_map(|r| r.payment_intent.as_deref())
                .collect();
            intents.sort_unstable();
            intents.dedup();
            // A checkout's payment is ours to find; any other may have paid a subscription's
            // invoice. (No connection is held while the gateway is asked: the test gateway
            // answers from the same pool.)
            let mut others = Vec::new();
            {
                let mut conn = state.pool.acquire().await?;
                for intent in intents {
                    let kind = gateway.kind().as_str();
                    if !refunds::is_checkout_payment(&mut conn, kind, intent).await? {
                        others.push(intent.to_owned());
                    }
                }
            }
            let mut paid = Vec::new();
            for intent in others {
                let Some(invoice_id) = gateway.invoice_of_payment(&intent).await? else {
                    continue;
                };
                let invoice = gateway.invoice(&invoice_id).await?;
                let Some(sub) = &invoice.subscription else {
                    continue;
                };
                let subscription = gateway.subscription(sub).await?;
                paid.push(PaidInvoice {
                    payment_intent: intent,
                    invoice,
                    subscription,
                });
            }
            Work::Refunds(refunds, paid)
        }
    }))
}

/// Applies `work` on the event's transaction; answers the order it concerned.
async fn apply(
    tx: &mut sqlx::PgConnection,
    gateway: &str,
    work: &Work,
    source: &str,
) -> Result<Option<Uuid>, gd_orders::OrderError> {
    Ok(match work {
        Work::Session(session, report, subscription) => {
            let applied = gd_orders::apply_session(tx, session, *report, source).await?;
            if let Some(sub) = subscription {
                subscriptions::apply_subscription(tx, gateway, sub, source).await?;
            }
            applied.order()
        }
        Work::Subscription(sub) => subscriptions::apply_subscription(tx, gateway, sub, source)
            .await?
            .order(),
        Work::Invoice(invoice, sub) => {
            match subscriptions::apply_subscription(tx, gateway, sub, source).await? {
                SubscriptionApplied::Applied {
                    subscription,
                    order,
                } => {
                    subscriptions::apply_invoice(tx, gateway, subscription, invoice, source)
                        .await?;
                    Some(order)
                }
                SubscriptionApplied::NoOrder => None,
            }
        }
        Work::Refunds(refunds, paid) => {
            let mut order = None;
            // The invoice a refunded payment paid, as `invoice.paid` applies it (nothing new
            // when that came first): the refund then finds the payment it sends back.
            for p in paid {
                let applied =
                    subscriptions::apply_subscription(tx, gateway, &p.subscription, source).await?;
                if let SubscriptionApplied::Applied {
                    subscription,
                    order: of,
                } = applied
                {
                    subscriptions::apply_invoice(tx, gateway, subscription, &p.invoice, source)
                        .await?;
                    order = order.or(Some(of));
                }
            }
            for refund in refunds {
                let invoice = paid
                    .iter()
                    .find(|p| refund.payment_intent.as_deref() == Some(p.payment_intent.as_str()))
                    .map(|p| p.invoice.id.as_str());
                let applied =
                    refunds::apply_refund(tx, gateway, refund, invoice, None, None, source).await?;
                order = order.or(applied.order());
            }
            order
        }
    })
}

/// Records an event we do not act on (or cannot read) and acknowledges it.
async fn record_only(state: &AppState, received: &ReceivedEvent<'_>, outcome: Outcome) -> Response {
    let result: Result<Claim, gd_orders::OrderError> = async {
        let mut tx = state.pool.begin().await?;
        let claim = settle::claim_event(&mut tx, received).await?;
        if claim == Claim::New {
            settle::finish_event(&mut tx, received.id, outcome, None).await?;
        }
        tx.commit().await?;
        Ok(claim)
    }
    .await;
    match result {
        Ok(_) => {
            outcome_metric(match outcome {
                Outcome::Ignored => "ignored",
                _ => "unparsable",
            });
            Json(serde_json::json!({ "received": true })).into_response()
        }
        Err(e) => failed(state, received, &e.to_string()).await,
    }
}

/// Processing failed: the failure is recorded (in its own transaction) and the gateway is
/// told to deliver again.
async fn failed(state: &AppState, received: &ReceivedEvent<'_>, error: &str) -> Response {
    outcome_metric("failed");
    tracing::error!(event = %received.id, kind = %received.kind, %error, "webhook event failed");
    if let Ok(mut conn) = state.pool.acquire().await {
        if let Err(e) = settle::fail_event(&mut conn, received, error).await {
            tracing::error!(error = %e, "cannot record the failed webhook event");
        }
    }
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(serde_json::json!({ "received": false, "error": "processing failed; deliver again" })),
    )
        .into_response()
}

fn short_digest(body: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body);
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

// ---- the test gateway's API ----------------------------------------------------------------

/// Stripe's API answers 401 without the right key: the refusal, if any.
fn refusal(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match key {
        Some(k) if state.config.payments.api_key.matches(k) => None,
        _ => Some(
            (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({ "error": {
                    "type": "invalid_request_error",
                    "message": "Invalid API Key provided."
                }})),
            )
                .into_response(),
        ),
    }
}

fn api_answer(
    result: Result<
        Result<serde_json::Value, test_gateway::ApiError>,
        test_gateway::GatewayStoreError,
    >,
) -> Response {
    match result {
        Ok(Ok(object)) => Json(object).into_response(),
        Ok(Err(e)) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            Json(e.body()),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "test gateway failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({ "error": { "type": "api_error", "message": "An error occurred with our connection to the test gateway." } })),
            )
                .into_response()
        }
    }
}

async fn api_create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(res) = refusal(&state, &headers) {
        return res;
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let page_base = format!("{}/test-gateway/pay", state.config.public_url);
    let result = async {
        let mut tx = state.pool.begin().await?;
        let answer = test_gateway::create_session(&mut tx, &body, key, &page_base).await?;
        tx.commit().await?;
        Ok(answer)
    }
    .await;
    api_answer(result)
}

async fn api_retrieve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(res) = refusal(&state, &headers) {
        return res;
    }
    let result = async {
        let mut conn = state.pool.acquire().await?;
        test_gateway::retrieve(&mut conn, &id).await
    }
    .await;
    api_answer(result)
}

// ---- the test gateway's hosted page --------------------------------------------------------

/// A test gateway page that failed: logged, and a plain 500 for the tester.
fn page_failed(what: &str, error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "{what}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "The test gateway failed; try again.",
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct ChoiceForm {
    choice: String,
}

async fn pay_choice(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<ChoiceForm>,
) -> Response {
    let Some(choice) = Choice::parse(&form.choice) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "Unknown choice.").into_response();
    };
    let result = async {
        let mut tx = state.pool.begin().await?;
        let settled = test_gateway::settle(&mut tx, &id, choice).await?;
        let session = test_gateway::load(&mut tx, &id).await?;
        tx.commit().await?;
        Ok::<_, test_gateway::GatewayStoreError>((settled, session))
    }
    .await;
    match result {
        Ok((Some(Settled::Completed), Some(session))) => {
            Redirect::to(&session.success_url()).into_response()
        }
        Ok((Some(Settled::Declined), _)) => {
            Redirect::to(&format!("/test-gateway/pay/{id}?declined=1")).into_response()
        }
        Ok((Some(Settled::NotOffered), _)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Delayed payment methods are offered for one-off payments only.",
        )
            .into_response(),
        Ok((Some(_), _)) => Redirect::to(&format!("/test-gateway/pay/{id}")).into_response(),
        Ok((None, _)) => (StatusCode::NOT_FOUND, "No such session.").into_response(),
        Err(e) => page_failed("test gateway payment failed", &e),
    }
}

async fn pay_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let session = match state.pool.acquire().await {
        Ok(mut conn) => test_gateway::load(&mut conn, &id).await,
        Err(e) => Err(e),
    };
    match session {
        Ok(Some(session)) => {
            let declined = query.as_deref().is_some_and(|q| q.contains("declined=1"));
            Html(crate::test_gateway_page::render(&session, declined)).into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "No such test gateway session.").into_response(),
        Err(e) => page_failed("test gateway page failed", &e),
    }
}

// ---- the test gateway's subscriptions and billing portal ------------------------------------

async fn api_create_price(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(res) = refusal(&state, &headers) {
        return res;
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let result = async {
        let mut tx = state.pool.begin().await?;
        let answer = billing::create_price(&mut tx, &body, key).await?;
        tx.commit().await?;
        Ok(answer)
    }
    .await;
    api_answer(result)
}

async fn api_retrieve_object(
    state: &AppState,
    headers: &HeaderMap,
    kind: &str,
    id: &str,
) -> Response {
    if let Some(res) = refusal(state, headers) {
        return res;
    }
    let result = async {
        let mut conn = state.pool.acquire().await?;
        billing::retrieve(&mut conn, kind, id).await
    }
    .await;
    api_answer(result)
}

async fn api_subscription(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api_retrieve_object(&state, &headers, "subscription", &id).await
}

async fn api_invoice(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api_retrieve_object(&state, &headers, "invoice", &id).await
}

async fn api_update_subscription(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(res) = refusal(&state, &headers) {
        return res;
    }
    let result = async {
        let mut tx = state.pool.begin().await?;
        let answer = billing::update_subscription(&mut tx, &id, &body).await?;
        tx.commit().await?;
        Ok(answer)
    }
    .await;
    api_answer(result)
}

async fn api_create_portal_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(res) = refusal(&state, &headers) {
        return res;
    }
    let page_base = format!("{}/test-gateway/billing", state.config.public_url);
    let result = async {
        let mut tx = state.pool.begin().await?;
        let answer = billing::create_portal_session(&mut tx, &body, &page_base).await?;
        tx.commit().await?;
        Ok(answer)
    }
    .await;
    api_answer(result)
}

async fn portal_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let portal = match state.pool.acquire().await {
        Ok(mut conn) => billing::portal(&mut conn, &id).await,
        Err(e) => Err(e),
    };
    match portal {
        Ok(Some(portal)) => Html(crate::test_gateway_page::render_portal(&portal)).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "No such billing portal session.").into_response(),
        Err(e) => page_failed("test gateway portal failed", &e),
    }
}

#[derive(serde::Deserialize)]
struct PortalForm {
    subscription: String,
    action: String,
}

async fn portal_choice(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<PortalForm>,
) -> Response {
    let Some(action) = billing::PortalAction::parse(&form.action) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "Unknown action.").into_response();
    };
    let result = async {
        let mut tx = state.pool.begin().await?;
        let done = billing::portal_action(&mut tx, &id, &form.subscription, action).await?;
        tx.commit().await?;
        Ok::<_, test_gateway::GatewayStoreError>(done)
    }
    .await;
    match result {
        Ok(Some(())) => Redirect::to(&format!("/test-gateway/billing/{id}")).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "No such subscription here.").into_response(),
        Err(e) => page_failed("test gateway portal action failed", &e),
    }
}

// ---- the test gateway's refunds --------------------------------------------------------------

async fn api_create_refund(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(res) = refusal(&state, &headers) {
        return res;
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let result = async {
        let mut tx = state.pool.begin().await?;
        let answer = test_gateway::refunds::create_refund(&mut tx, &body, key).await?;
        tx.commit().await?;
        Ok(answer)
    }
    .await;
    api_answer(result)
}

async fn api_list_refunds(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    if let Some(res) = refusal(&state, &headers) {
        return res;
    }
    let result = async {
        let mut conn = state.pool.acquire().await?;
        test_gateway::refunds::list_refunds(&mut conn, query.as_deref().unwrap_or("")).await
    }
    .await;
    api_answer(result)
}

async fn api_list_invoice_payments(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    if let Some(res) = refusal(&state, &headers) {
        return res;
    }
    let result = async {
        let mut conn = state.pool.acquire().await?;
        test_gateway::refunds::list_invoice_payments(&mut conn, query.as_deref().unwrap_or(""))
            .await
    }
    .await;
    api_answer(result)
}
