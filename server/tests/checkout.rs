//! Checkout and payments over HTTP: the webhook's signature (good, bad, stale, rotated), a
//! purchase through the built-in test gateway with the real worker delivering its events,
//! exactly one order, payment and confirmation whatever is delivered twice or first, and the
//! Stripe client's requests against a server speaking Stripe's API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{deliver_event, now, post, TestApp, BILLING};
use gd_accounts::Role;
use serde_json::{json, Value};
use sqlx::PgPool;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = gd_config::TEST_GATEWAY_WEBHOOK_SECRET;

async fn deliver(app: &TestApp, body: &str, secret: &str, t: i64) -> u16 {
    deliver_event(app, body, secret, t).await
}

/// A signed-in client with two followers packages in the cart.
async fn client_with_cart(app: &TestApp, email: &str) -> reqwest::Client {
    common::client_with_cart(app, email, "instagram-follower", "5k", "2").await
}

#[sqlx::test(migrations = false)]
async fn the_webhook_takes_only_what_the_gateway_signed(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("STRIPE_WEBHOOK_SECRET", "whsec_old, whsec_new")]).await;
    let body = json!({"id": "evt_sig_1", "type": "customer.created", "created": now(),
                      "data": {"object": {"id": "cus_1"}}})
    .to_string();
    let res = reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400, "no signature");
    assert_eq!(
        deliver(&app, &body, "whsec_other", now()).await,
        400,
        "wrong secret"
    );
    assert_eq!(
        deliver(&app, &body, "whsec_new", now() - 301).await,
        400,
        "stale"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM gateway_events").await,
        0,
        "nothing refused is kept"
    );
    // During a rotation both secrets are good.
    assert_eq!(deliver(&app, &body, "whsec_old", now()).await, 200);
    let other = body.replace("evt_sig_1", "evt_sig_2");
    assert_eq!(deliver(&app, &other, "whsec_new", now()).await, 200);
    // Several v1 values (Stripe signs with every active secret): any may match.
    let third = body.replace("evt_sig_1", "evt_sig_3");
    let t = now();
    let old = gd_payments::signature::sign("whsec_old", t, third.as_bytes());
    let new = gd_payments::signature::sign("whsec_unknown", t, third.as_bytes());
    let header = format!("{new},v1={}", old.split_once("v1=").unwrap().1);
    let res = reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", header)
        .body(third)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    // A type we do not handle is stored and acknowledged, once.
    assert_eq!(
        deliver(&app, &body, "whsec_old", now()).await,
        200,
        "a repeat is acknowledged"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM gateway_events WHERE outcome = 'ignored'")
            .await,
        3
    );
    // Signed but not an event: kept as unparsable, acknowledged (a retry would not help).
    assert_eq!(deliver(&app, "not json", "whsec_old", now()).await, 200);
    assert_eq!(
        app.count("SELECT count(*) FROM gateway_events WHERE outcome = 'unparsable'")
            .await,
        1
    );
}

#[sqlx::test(migrations = false)]
async fn a_purchase_through_the_test_gateway_makes_one_paid_order(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let client = client_with_cart(&app, "buyer@example.de").await;

    // The summary prices the cart for the buyer and says payments are tests.
    let (status, summary) = post(
        &client,
        &app,
        "/api/checkout_summary",
        &[("lang", "de"), ("country", "DE")],
    )
    .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["test_gateway"], true);
    assert_eq!(summary["blocked"], Value::Null);
    assert_eq!(summary["periods"][0]["total"], 2 * 5_990);

    // Missing consent and address: every problem at once, nothing created.
    let (status, err) = post(
        &client,
        &app,
        "/api/start_checkout",
        &[("lang", "de"), ("country", "DE")],
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 0);

    let (status, started) = post(&client, &app, "/api/start_checkout", BILLING).await;
    assert_eq!(status, 200, "{started}");
    let order_id = started["order_id"].as_str().unwrap().to_owned();
    let pay_url = started["payment_url"].as_str().unwrap().to_owned();
    assert!(
        pay_url.starts_with(&app.url("/test-gateway/pay/cs_test_")),
        "{pay_url}"
    );

    // The hosted page says what it is and what is due.
    let page = client
        .get(&pay_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Hier fließt kein Geld"), "{page}");
    assert!(page.contains("119,80 €"), "{page}");

    // A declined card changes nothing.
    let res = client
        .post(&pay_url)
        .form(&[("choice", "decline")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("declined=1"));
    assert_eq!(
        app.count("SELECT count(*) FROM test_gateway_events").await,
        0
    );

    // Paying sends the tester back to the order page, with the session's id.
    let res = client
        .post(&pay_url)
        .form(&[("choice", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.contains(&format!("/portal/orders/{order_id}?session_id=cs_test_")),
        "{back}"
    );

    // The worker delivers the gateway's signed event to our webhook; the order is paid, and
    // its delivery has begun (a manual task for the followers).
    app.run_worker_until_idle().await;
    let (status, order) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "in_fulfilment");
    assert_eq!(order["delivery"][0]["status"], "queued");
    assert_eq!(order["total"], 2 * 5_990);
    assert_eq!(order["lines"][0]["target"], "@growth.desk");
    assert_eq!(
        app.count("SELECT count(*) FROM payments WHERE kind = 'payment'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT sum(amount)::bigint FROM payments").await,
        2 * 5_990
    );
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE confirmation_mailed_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM cart_lines").await,
        0,
        "the bought lines left the cart"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE early_start_consent_at IS NOT NULL AND terms_version = '2026-12-01'").await,
        1
    );
    let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
    let confirmations: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("Ihre Bestellung"))
        .collect();
    assert_eq!(confirmations.len(), 1, "one confirmation: {mails:?}");
    assert_eq!(confirmations[0].to, "buyer@example.de");
    assert!(
        confirmations[0].body.contains("119,80 €"),
        "{}",
        confirmations[0].body
    );
    assert!(
        confirmations[0].body.contains("Widerrufsfrist"),
        "the early start is confirmed"
    );

    // The same event again, and again at once: acknowledged, nothing new.
    let payload: String = sqlx::query_scalar("SELECT payload FROM test_gateway_events LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        deliver(&app, &payload, SECRET, now()),
        deliver(&app, &payload, SECRET, now())
    );
    assert_eq!((a, b), (200, 200));
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM payments").await, 1);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::order_confirmation'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM order_events WHERE to_status = 'paid'")
            .await,
        1
    );

    // The back office finds it by number and sees what moved.
    let admin = app
        .signed_in("chef@growthdesk.localhost", &[Role::Admin])
        .await;
    let number = order["number"].to_string();
    let (status, rows) = post(&admin, &app, "/api/admin_orders", &[("query", &number)]).await;
    assert_eq!(status, 200, "{rows}");
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let (_, detail) = post(&admin, &app, "/api/admin_order", &[("id", &order_id)]).await;
    assert_eq!(detail["payments"][0]["amount"], 2 * 5_990);
    assert_eq!(detail["events"][0]["kind"], "checkout.session.completed");
    // Its delivery has begun (in fulfilment): by hand it can only be completed.
    assert_eq!(detail["moves"], json!(["completed"]));
    // A paid order is not cancelled by hand (a refund does that); every move needs a reason.
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_move_order",
        &[("id", &order_id), ("to", "cancelled"), ("reason", "x")],
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_move_order",
        &[("id", &order_id), ("to", "completed"), ("reason", " ")],
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_move_order",
        &[
            ("id", &order_id),
            ("to", "completed"),
            ("reason", "Alle Follower sind angekommen."),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(&client, &app, "/api/admin_orders", &[]).await;
    assert_eq!(status, 403, "clients do not see the back office");
    app.run_worker_until_idle().await;
    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    assert_eq!(order["status"], "completed");
    let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
    let update = mails
        .iter()
        .find(|m| m.subject.contains("Abgeschlossen"))
        .expect("the client is told");
    assert!(
        update.body.contains("Alle Follower sind angekommen."),
        "{}",
        update.body
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'order.moved'")
            .await,
        1
    );

    // The desk writes to the client (the support reply): in the timeline, mailed once.
    let (status, err) = post(
        &admin,
        &app,
        "/api/admin_message_client",
        &[("id", &order_id), ("message", "   ")],
    )
    .await;
    assert_eq!(status, 422, "{err}");
    let (status, _) = post(
        &client,
        &app,
        "/api/admin_message_client",
        &[("id", &order_id), ("message", "Hallo")],
    )
    .await;
    assert_eq!(status, 403, "clients do not write as the desk");
    let (status, err) = post(
        &admin,
        &app,
        "/api/admin_message_client",
        &[
            ("id", &order_id),
            (
                "message",
                "Die Follower bleiben: wir beobachten das 30 Tage.",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{err}");
    app.run_worker_until_idle().await;
    app.run_worker_until_idle().await;
    let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
    let replies: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("Nachricht zu Ihrer Bestellung"))
        .collect();
    assert_eq!(replies.len(), 1, "{mails:?}");
    assert!(replies[0]
        .body
        .contains("Die Follower bleiben: wir beobachten das 30 Tage."));
    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    assert_eq!(
        order["status"], "completed",
        "a message does not move the order"
    );
    assert!(order["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["note"] == "Die Follower bleiben: wir beobachten das 30 Tage."));
}

#[sqlx::test(migrations = false)]
async fn the_return_page_confirms_a_payment_before_its_event_arrives(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let client = client_with_cart(&app, "quick@example.de").await;
    let (_, started) = post(&client, &app, "/api/start_checkout", BILLING).await;
    let order_id = started["order_id"].as_str().unwrap().to_owned();
    let pay_url = started["payment_url"].as_str().unwrap().to_owned();
    let session = pay_url.rsplit('/').next().unwrap().to_owned();
    client
        .post(&pay_url)
        .form(&[("choice", "pay")])
        .send()
        .await
        .unwrap();

    // Back on our page before the worker ran: the page asks the gateway and shows "paid".
    let (status, order) = post(
        &client,
        &app,
        "/api/my_order",
        &[("id", &order_id), ("session_id", &session)],
    )
    .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "paid");
    // Then the event arrives: nothing more happens.
    app.run_worker_until_idle().await;
    assert_eq!(app.count("SELECT count(*) FROM payments").await, 1);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::order_confirmation'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM gateway_events WHERE outcome = 'handled'")
            .await,
        1
    );

    // Someone else cannot see the order.
    let other = app.signed_in("other@example.de", &[]).await;
    let (status, _) = post(&other, &app, "/api/my_order", &[("id", &order_id)]).await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = false)]
async fn a_late_failing_or_expired_payment_leaves_no_paid_order(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;

    // A delayed method that fails: the session completes unpaid, then the failure arrives.
    let client = client_with_cart(&app, "later@example.de").await;
    let (_, started) = post(&client, &app, "/api/start_checkout", BILLING).await;
    let late_order = started["order_id"].as_str().unwrap().to_owned();
    let pay_url = started["payment_url"].as_str().unwrap().to_owned();
    client
        .post(&pay_url)
        .form(&[("choice", "later_fails")])
        .send()
        .await
        .unwrap();
    // The worker's deliveries; the failure is due later, so it is made due now.
    sqlx::query("UPDATE apalis.jobs SET run_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    app.run_worker_until_idle().await;
    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &late_order)]).await;
    assert_eq!(order["status"], "cancelled", "{order}");
    assert_eq!(app.count("SELECT count(*) FROM payments").await, 0);

    // An expired session cancels its order; the cart is untouched and can be bought again.
    let (_, started) = post(&client, &app, "/api/start_checkout", BILLING).await;
    let expired_order = started["order_id"].as_str().unwrap().to_owned();
    let pay_url = started["payment_url"].as_str().unwrap().to_owned();
    client
        .post(&pay_url)
        .form(&[("choice", "expire")])
        .send()
        .await
        .unwrap();
    app.run_worker_until_idle().await;
    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &expired_order)]).await;
    assert_eq!(order["status"], "cancelled", "{order}");
    assert_eq!(app.count("SELECT count(*) FROM cart_lines").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE status = 'paid'")
            .await,
        0
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::order_confirmation'"
        )
        .await,
        0
    );
}

#[sqlx::test(migrations = false)]
async fn a_delayed_payment_is_paid_only_when_it_arrives(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let client = client_with_cart(&app, "debit@example.de").await;
    let (_, started) = post(&client, &app, "/api/start_checkout", BILLING).await;
    let order_id = started["order_id"].as_str().unwrap().to_owned();
    let pay_url = started["payment_url"].as_str().unwrap().to_owned();
    client
        .post(&pay_url)
        .form(&[("choice", "later_succeeds")])
        .send()
        .await
        .unwrap();
    let deliver_kind = |kind: &'static str| {
        let app = &app;
        async move {
            let id: String =
                sqlx::query_scalar("SELECT id FROM test_gateway_events WHERE type = $1")
                    .bind(kind)
                    .fetch_one(&app.pool)
                    .await
                    .unwrap();
            gd_payments::test_gateway::deliver(
                &app.pool,
                &reqwest::Client::new(),
                &app.url("/webhooks/stripe"),
                SECRET,
                &id,
            )
            .await
            .unwrap();
        }
    };
    // The session completes, but the money has not arrived: the order waits.
    deliver_kind("checkout.session.completed").await;
    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    assert_eq!(order["status"], "pending_payment", "{order}");
    // Then it does.
    deliver_kind("checkout.session.async_payment_succeeded").await;
    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    assert_eq!(order["status"], "paid", "{order}");
    assert_eq!(app.count("SELECT count(*) FROM payments").await, 1);
}

#[sqlx::test(migrations = false)]
async fn checkout_refuses_what_cannot_be_bought(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let client = app.signed_in("empty@example.de", &[]).await;
    let (status, summary) = post(&client, &app, "/api/checkout_summary", &[("lang", "de")]).await;
    assert_eq!(status, 200);
    assert_eq!(summary["blocked"], "empty_cart");
    let (status, _) = post(&client, &app, "/api/start_checkout", BILLING).await;
    assert_eq!(status, 409);

    // A business in Austria with a VAT id pays net; a VAT id of another country is refused.
    let client = client_with_cart(&app, "firma@example.at").await;
    let (_, summary) = post(
        &client,
        &app,
        "/api/checkout_summary",
        &[("lang", "de"), ("country", "AT"), ("vat_id", "ATU12345678")],
    )
    .await;
    assert_eq!(summary["treatment"], "reverse_charge");
    assert_eq!(
        summary["periods"][0]["total"], 10_067,
        "2 × 59,90 € without 19 % VAT"
    );
    let mut form = BILLING.to_vec();
    form.extend([
        ("country", "AT"),
        ("vat_id", "DE123456789"),
        ("company", "Muster GmbH"),
    ]);
    let form: Vec<(&str, &str)> = form.into_iter().rev().fold(Vec::new(), |mut acc, (k, v)| {
        if !acc.iter().any(|(key, _)| *key == k) {
            acc.push((k, v));
        }
        acc
    });
    let (status, err) = post(&client, &app, "/api/start_checkout", &form).await;
    assert_eq!(status, 422, "{err}");
    assert!(err.to_string().contains("vat_id"), "{err}");
    // Anonymous visitors are asked to sign in.
    let (status, _) = post(&app.browser(), &app, "/api/start_checkout", BILLING).await;
    assert_eq!(status, 401);
}

/// `BILLING` for a business in `country` with `vat_id` (later pairs win).
fn business(country: &'static str, vat_id: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut form: Vec<(&str, &str)> = BILLING
        .iter()
        .copied()
        .filter(|(k, _)| *k != "country")
        .collect();
    form.extend([
        ("country", country),
        ("vat_id", vat_id),
        ("company", "Muster Handels GmbH"),
    ]);
    form
}

/// The problem a refused checkout names for the VAT id.
fn vat_issue(err: &Value) -> &Value {
    assert_eq!(err["Validation"]["issues"][0]["field"], "vat_id", "{err}");
    &err["Validation"]["issues"][0]["code"]
}

/// No VAT only for a VAT id the register confirms at the order: the demo agency's local
/// register knows its made-up businesses (and the page says it is a demo); with VIES_URL the
/// EU's register is asked, its consultation number kept with the order, and an unregistered
/// id or a register that cannot answer refuses the order with the form kept.
#[sqlx::test(migrations = false)]
async fn a_sale_without_vat_needs_a_vat_id_the_register_confirms(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.seed_demo().await;
    let client = client_with_cart(&app, "firma.demo@example.at").await;
    let (_, summary) = post(&client, &app, "/api/checkout_summary", &[("lang", "de")]).await;
    assert_eq!(
        summary["demo_vat_ids"],
        json!(["ATU12345678", "FR12345678901", "NL123456789B01"])
    );
    let (status, err) = post(
        &client,
        &app,
        "/api/start_checkout",
        &business("AT", "ATU87654321"),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(vat_issue(&err), "VatIdNotRegistered");
    assert_eq!(err["Validation"]["echo"]["vat_id"], "ATU87654321");
    let (status, started) = post(
        &client,
        &app,
        "/api/start_checkout",
        &business("AT", "ATU 1234 5678"),
    )
    .await;
    assert_eq!(status, 200, "{started}");
    let order: uuid::Uuid = started["order_id"].as_str().unwrap().parse().unwrap();
    let (treatment, register, name): (String, String, Option<String>) = sqlx::query_as(
        "SELECT o.treatment, c.register, c.registered_name FROM orders o
         JOIN order_vat_checks c ON c.order_id = o.id WHERE o.id = $1",
    )
    .bind(order)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (treatment.as_str(), register.as_str()),
        ("reverse_charge", "demo")
    );
    assert_eq!(name.as_deref(), Some("Demo Werbe GmbH"));

    // The EU's register, as a real agency has it.
    let vies = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/check-vat-number"))
        .and(wiremock::matchers::body_partial_json(
            json!({"countryCode": "FR", "vatNumber": "12345678901"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "countryCode": "FR", "vatNumber": "12345678901", "valid": true,
            "requestDate": "2026-12-02T09:30:00.000Z", "requestIdentifier": "WAPIAAAAZ7Q1",
            "name": "SARL EXEMPLE", "address": "1 RUE DE RIVOLI 75001 PARIS"
        })))
        .mount(&vies)
        .await;
    Mock::given(method("POST"))
        .and(path("/check-vat-number"))
        .and(wiremock::matchers::body_partial_json(
            json!({"countryCode": "NL"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "countryCode": "NL", "vatNumber": "123456789B01", "valid": false,
            "userError": "MS_UNAVAILABLE"
        })))
        .mount(&vies)
        .await;
    let app = TestApp::spawn_with(pool.clone(), &[("VIES_URL", &vies.uri())]).await;
    app.seed_demo().await;
    let client = client_with_cart(&app, "firma.vies@example.fr").await;
    let (_, summary) = post(&client, &app, "/api/checkout_summary", &[("lang", "de")]).await;
    assert_eq!(summary["demo_vat_ids"], json!([]));
    // The member state's system is down: refused for now, nothing ordered.
    let (status, err) = post(
        &client,
        &app,
        "/api/start_checkout",
        &business("NL", "NL123456789B01"),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(vat_issue(&err), "VatRegisterUnavailable");
    let (status, started) = post(
        &client,
        &app,
        "/api/start_checkout",
        &business("FR", "FR12345678901"),
    )
    .await;
    assert_eq!(status, 200, "{started}");
    let order: uuid::Uuid = started["order_id"].as_str().unwrap().parse().unwrap();
    let (register, reference): (String, Option<String>) = sqlx::query_as(
        "SELECT register, request_identifier FROM order_vat_checks WHERE order_id = $1",
    )
    .bind(order)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (register.as_str(), reference.as_deref()),
        ("vies", Some("WAPIAAAAZ7Q1"))
    );
    let orders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM orders WHERE email = 'firma.vies@example.fr'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(orders, 1, "the refused attempt left no order behind");
    // A German business pays German VAT: no register is asked.
    let client = client_with_cart(&app, "firma.de@example.de").await;
    let (status, started) = post(
        &client,
        &app,
        "/api/start_checkout",
        &business("DE", "DE123456789"),
    )
    .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(vies.received_requests().await.unwrap().len(), 2);
}

/// The Stripe client's requests, against a server speaking Stripe's API.
#[sqlx::test(migrations = false)]
async fn with_a_stripe_key_the_session_is_created_at_stripe(pool: PgPool) {
    let stripe = MockServer::start().await;
    let session = json!({
        "id": "cs_live_abc", "object": "checkout.session", "mode": "payment", "status": "open",
        "payment_status": "unpaid", "client_reference_id": null, "metadata": {},
        "customer": null, "customer_email": "stripe@example.de", "subscription": null,
        "payment_intent": null, "invoice": null, "amount_subtotal": 11980, "amount_total": 11980,
        "currency": "eur", "url": "https://checkout.stripe.com/c/pay/cs_live_abc",
        "success_url": "x", "cancel_url": "y", "created": 1767225600, "expires_at": 1767312000,
        "livemode": false, "automatic_tax": {"enabled": false, "liability": null, "status": null},
        "custom_fields": [], "custom_text": {}, "payment_method_types": ["card"], "shipping_options": []
    });
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .and(header("authorization", "Bearer sk_test_stripe"))
        .respond_with(ResponseTemplate::new(200).set_body_json(session))
        .expect(1)
        .mount(&stripe)
        .await;
    let app = TestApp::spawn_with(
        pool,
        &[
            ("STRIPE_SECRET_KEY", "sk_test_stripe"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_live"),
            ("STRIPE_API_BASE", &stripe.uri()),
        ],
    )
    .await;
    app.seed_demo().await;
    let client = client_with_cart(&app, "stripe@example.de").await;
    let (_, summary) = post(&client, &app, "/api/checkout_summary", &[("lang", "de")]).await;
    assert_eq!(summary["test_gateway"], false);
    let (status, started) = post(&client, &app, "/api/start_checkout", BILLING).await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(
        started["payment_url"],
        "https://checkout.stripe.com/c/pay/cs_live_abc"
    );
    let order_id = started["order_id"].as_str().unwrap();

    let requests: Vec<Request> = stripe.received_requests().await.unwrap();
    let req = &requests[0];
    assert_eq!(
        req.headers["idempotency-key"].to_str().unwrap(),
        format!("checkout-{order_id}")
    );
    assert!(req.headers.contains_key("stripe-version"));
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&req.body).into_owned().collect();
    assert_eq!(form["mode"], "payment");
    assert_eq!(form["client_reference_id"], order_id);
    assert_eq!(form["metadata[order_id]"], order_id);
    assert_eq!(form["customer_email"], "stripe@example.de");
    assert_eq!(form["line_items[0][price_data][currency]"], "eur");
    assert_eq!(
        form["line_items[0][price_data][unit_amount]"], "11980",
        "the server's price"
    );
    assert_eq!(form["line_items[0][quantity]"], "1");
    assert!(form["line_items[0][price_data][product_data][name]"].contains("Instagram"));
    assert!(
        form["success_url"].ends_with("?session_id={CHECKOUT_SESSION_ID}"),
        "{}",
        form["success_url"]
    );
    assert_eq!(
        sqlx::query_scalar::<_, String>("SELECT session_id FROM orders")
            .fetch_one(&app.pool)
            .await
            .unwrap(),
        "cs_live_abc"
    );
    // The test gateway does not exist with a Stripe key.
    assert_eq!(
        app.get("/test-gateway/pay/cs_live_abc")
            .await
            .status()
            .as_u16(),
        404
    );
}

#[sqlx::test(migrations = false)]
async fn an_unreachable_gateway_cancels_the_order_and_keeps_the_cart(pool: PgPool) {
    // A port nothing listens on.
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let app = TestApp::spawn_with(
        pool,
        &[
            ("STRIPE_SECRET_KEY", "sk_test_stripe"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_live"),
            ("STRIPE_API_BASE", &closed_port),
        ],
    )
    .await;
    app.seed_demo().await;
    let client = client_with_cart(&app, "down@example.de").await;
    let (status, err) = post(&client, &app, "/api/start_checkout", BILLING).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE status = 'cancelled'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM cart_lines").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_shopper_makes_the_account_inside_the_checkout(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let guest = app.browser();
    let (status, _) = post(
        &guest,
        &app,
        "/api/cart_add",
        &[
            ("lang", "de"),
            ("product", "instagram-follower"),
            ("tier", "5k"),
            ("quantity", "1"),
            ("target", "@growth.desk"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    // The checkout page answers 401, with the form that makes an account right there.
    let res = guest
        .get(app.url("/checkout"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert!(res.text().await.unwrap().contains("checkout-guest"));
    for (email, password) in [
        ("not-an-address", "lang-genug-42"),
        ("neu@example.de", "kurz"),
    ] {
        let (status, err) = post(
            &guest,
            &app,
            "/api/checkout_sign_up",
            &[("email", email), ("password", password), ("lang", "de")],
        )
        .await;
        assert_eq!(status, 422, "{email}: {err}");
    }
    let (status, body) = post(
        &guest,
        &app,
        "/api/checkout_sign_up",
        &[
            ("email", "neu@example.de"),
            ("password", "lang-genug-42"),
            ("lang", "de"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Signed in now, with the guest's cart.
    let (status, summary) = post(&guest, &app, "/api/checkout_summary", &[("lang", "de")]).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["email"], "neu@example.de");
    assert_eq!(summary["lines"].as_array().unwrap().len(), 1);
    let (status, started) = post(&guest, &app, "/api/start_checkout", BILLING).await;
    assert_eq!(status, 200, "{started}");
    app.run_worker_until_idle().await;
    let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
    assert!(
        mails.iter().any(|m| m.to == "neu@example.de"),
        "the verification mail left: {mails:?}"
    );
    // An address with an account already: sign in instead (its owner is mailed).
    let other = app.browser();
    let (status, _) = post(
        &other,
        &app,
        "/api/checkout_sign_up",
        &[
            ("email", "NEU@example.de"),
            ("password", "ganz-anders-99"),
            ("lang", "de"),
        ],
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = post(&other, &app, "/api/checkout_summary", &[("lang", "de")]).await;
    assert_eq!(status, 401, "not signed in");
}
