//! Refunds over HTTP: finance refunds part and an admin the rest of an order through the
//! built-in test gateway; each refund is recorded once however its gateway event is
//! delivered, the order follows (partly refunded, refunded), the client is mailed; and with a
//! Stripe key the refund request reaches a server speaking Stripe's API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{deliver_event, now, post, TestApp, BILLING};
use gd_accounts::Role;
use serde_json::json;
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn deliver(app: &TestApp, body: &str, secret: &str) -> u16 {
    deliver_event(app, body, secret, now()).await
}

/// A client who bought two 5k followers packages (119,80 €) through the test gateway.
async fn paid_order(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let client = common::client_with_cart(app, email, "instagram-follower", "5k", "2").await;
    let order = common::pay_cart(app, &client, BILLING).await;
    (client, order)
}

#[sqlx::test(migrations = false)]
async fn finance_and_admins_refund_part_then_the_rest_each_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let (client, order_id) = paid_order(&app, "erstattung@example.de").await;
    let admin = app
        .signed_in("chef@growthdesk.localhost", &[Role::Admin])
        .await;
    let (_, detail) = post(&admin, &app, "/api/admin_order", &[("id", &order_id)]).await;
    assert_eq!(detail["refundable"], 11_980, "{detail}");

    // Bad input is refused with the field named; nothing moves.
    for (amount, reason) in [
        ("20,00", ""),
        ("200,00", "zu viel"),
        ("abc", "x"),
        ("0", "x"),
    ] {
        let (status, err) = post(
            &admin,
            &app,
            "/api/admin_refund_order",
            &[("id", &order_id), ("amount", amount), ("reason", reason)],
        )
        .await;
        assert_eq!(status, 422, "{amount} {reason}: {err}");
    }
    let (status, _) = post(
        &client,
        &app,
        "/api/admin_refund_order",
        &[("id", &order_id), ("amount", "1"), ("reason", "x")],
    )
    .await;
    assert_eq!(status, 403, "clients do not refund");
    assert_eq!(
        app.count("SELECT count(*) FROM payments WHERE kind = 'refund'")
            .await,
        0
    );

    // Part of it, by finance: partly refunded, in the timeline with the reason, the client
    // mailed. (Finance refunds; moving an order by hand stays with admins.)
    let finance = app
        .signed_in("geld@growthdesk.localhost", &[Role::Finance])
        .await;
    let (status, _) = post(
        &finance,
        &app,
        "/api/admin_move_order",
        &[("id", &order_id), ("to", "completed"), ("reason", "x")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = post(
        &finance,
        &app,
        "/api/admin_refund_order",
        &[
            ("id", &order_id),
            ("amount", "20,00"),
            ("reason", "Ein Paket kam nur zur Hälfte an."),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    assert_eq!(order["status"], "partly_refunded");
    // The gateway's `charge.refunded` event arrives (and again, twice at once): nothing new.
    app.run_worker_until_idle().await;
    let (a, b) = common::deliver_again_twice_at_once(&app, "charge.refunded").await;
    assert_eq!((a, b), (200, 200));
    assert_eq!(
        app.count("SELECT sum(amount)::bigint FROM payments WHERE kind = 'refund'")
            .await,
        2_000
    );
    let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
    let told: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("Teilweise erstattet"))
        .collect();
    assert_eq!(told.len(), 1, "{mails:?}");
    assert!(told[0]
        .body
        .contains("20,00 € erstattet. Ein Paket kam nur zur Hälfte an."));
    let (_, detail) = post(&admin, &app, "/api/admin_order", &[("id", &order_id)]).await;
    assert_eq!(detail["refundable"], 9_980);

    // The rest (no amount: all that is left): refunded; nothing more can go back.
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_refund_order",
        &[("id", &order_id), ("reason", "Auftrag storniert.")],
    )
    .await;
    assert_eq!(status, 200);
    app.run_worker_until_idle().await;
    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    assert_eq!(order["status"], "refunded");
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_refund_order",
        &[("id", &order_id), ("reason", "noch einmal")],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        app.count("SELECT sum(amount)::bigint FROM payments WHERE kind = 'refund'")
            .await,
        11_980
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'order.refunded'")
            .await,
        2
    );
    let (_, detail) = post(&admin, &app, "/api/admin_order", &[("id", &order_id)]).await;
    assert_eq!(detail["refundable"], serde_json::Value::Null);
    let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.subject.contains("Erstattet"))
            .count(),
        1
    );
}

#[sqlx::test(migrations = false)]
async fn with_a_stripe_key_the_refund_is_asked_of_stripe(pool: PgPool) {
    let stripe = MockServer::start().await;
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
    // An order paid at Stripe (as the checkout tests make one).
    let user = app.signed_in("stripe-refund@example.de", &[]).await;
    drop(user);
    let order_id: String = sqlx::query_scalar(
        "WITH u AS (SELECT id FROM users WHERE email = 'stripe-refund@example.de')
         INSERT INTO orders (id, user_id, status, lang, mode, treatment, email, buyer_name, street,
             postal_code, city, country, terms_accepted_at, terms_version, net, vat, total, rates,
             gateway, session_id, payment_intent_ref, paid_at)
         SELECT gen_random_uuid(), u.id, 'paid', 'en', 'payment', 'standard', 'stripe-refund@example.de',
             'Kim', 'Main St 1', '10115', 'Berlin', 'DE', now(), 't', 4202, 798, 5000, '[]',
             'stripe', 'cs_live_r', 'pi_live_r', now() FROM u
         RETURNING id::text",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO payments (id, order_id, kind, gateway, gateway_ref, amount)
         VALUES (gen_random_uuid(), $1::uuid, 'payment', 'stripe', 'cs_live_r', 5000)",
    )
    .bind(&order_id)
    .execute(&app.pool)
    .await
    .unwrap();
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "re_live_1", "object": "refund", "amount": 1250, "status": "succeeded",
            "payment_intent": "pi_live_r", "charge": "ch_live_r", "currency": "eur"
        })))
        .expect(1)
        .mount(&stripe)
        .await;
    let admin = app
        .signed_in("chef@growthdesk.localhost", &[Role::Admin])
        .await;
    let (status, body) = post(
        &admin,
        &app,
        "/api/admin_refund_order",
        &[
            ("id", &order_id),
            ("amount", "12.50"),
            ("reason", "Goodwill."),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let requests: Vec<Request> = stripe.received_requests().await.unwrap();
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(&requests[0].body)
        .into_owned()
        .collect();
    assert_eq!(form["payment_intent"], "pi_live_r");
    assert_eq!(form["amount"], "1250");
    assert_eq!(form["metadata[order_id]"], order_id);
    assert!(requests[0].headers.contains_key("idempotency-key"));
    // Stripe's event lists the charge's refunds: the one recorded is not counted again.
    Mock::given(method("GET"))
        .and(path("/v1/refunds"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list", "has_more": false, "data": [
                {"id": "re_live_1", "object": "refund", "amount": 1250, "status": "succeeded",
                 "payment_intent": "pi_live_r", "charge": "ch_live_r"}]
        })))
        .expect(1)
        .mount(&stripe)
        .await;
    let event = json!({"id": "evt_refund_1", "type": "charge.refunded",
        "created": now(),
        "data": {"object": {"id": "ch_live_r", "object": "charge"}}})
    .to_string();
    assert_eq!(deliver(&app, &event, "whsec_live").await, 200);
    let requests: Vec<Request> = stripe.received_requests().await.unwrap();
    let list = requests
        .iter()
        .find(|r| r.method.as_str() == "GET")
        .unwrap();
    assert_eq!(list.url.query(), Some("charge=ch_live_r&limit=100"));
    assert_eq!(
        app.count("SELECT count(*) FROM payments WHERE kind = 'refund' AND amount = 1250")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE status = 'partly_refunded'")
            .await,
        1
    );
}
