//! Subscriptions over HTTP: one bought through the built-in test gateway (with the real
//! worker delivering its events) renews, fails, recovers, is cancelled and ends, each exactly
//! once however often its events are delivered; a refunded renewal (and then first payment)
//! ends with a credit note the client sees, correcting that payment's invoice; and with a
//! Stripe key, the prices, subscription, invoice, refund and billing portal requests reach a
//! server speaking Stripe's API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{deliver_event, now, post, TestApp, BILLING};
use serde_json::{json, Value};
use sqlx::PgPool;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = gd_config::TEST_GATEWAY_WEBHOOK_SECRET;

async fn deliver(app: &TestApp, body: &str, secret: &str) -> u16 {
    deliver_event(app, body, secret, now()).await
}

/// A signed-in client with the monthly social media management (basic) in the cart.
async fn client_with_plan(app: &TestApp, email: &str) -> reqwest::Client {
    common::client_with_cart(app, email, "social-media-betreuung", "basic", "1").await
}

async fn subscriptions(client: &reqwest::Client, app: &TestApp) -> Value {
    let (status, list) = post(client, app, "/api/my_subscriptions", &[]).await;
    assert_eq!(status, 200, "{list}");
    list
}

async fn mails_with(app: &TestApp, words: &str) -> usize {
    gd_mail::read_outbox(&app.outbox, 100)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.subject.contains(words))
        .count()
}

/// Posts a choice on the test billing portal page.
async fn portal(client: &reqwest::Client, url: &str, sub: &str, action: &str) {
    let res = client
        .post(url)
        .form(&[("subscription", sub), ("action", action)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303, "{action}");
}

/// The address of the billing portal for subscription `sub_id` (ours), in `lang`, as the
/// client's portal asks for it.
async fn portal_url_for(
    client: &reqwest::Client,
    app: &TestApp,
    lang: &str,
    sub_id: &str,
) -> String {
    let (status, url) = post(
        client,
        app,
        "/api/subscription_portal",
        &[("lang", lang), ("id", sub_id)],
    )
    .await;
    assert_eq!(status, 200, "{url}");
    url.as_str().unwrap().to_owned()
}

/// The gateway's id of the one subscription there is.
async fn gateway_sub_ref(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT gateway_ref FROM subscriptions")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The page at `url` as `client` reads it.
async fn read_page(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_subscription_renews_fails_recovers_and_ends_each_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let client = client_with_plan(&app, "abo@example.de").await;
    let (status, started) = post(&client, &app, "/api/start_checkout", BILLING).await;
    assert_eq!(status, 200, "{started}");
    let order_id = started["order_id"].as_str().unwrap().to_owned();
    let pay_url = started["payment_url"].as_str().unwrap().to_owned();
    // The plan is a price at the gateway, made once.
    assert_eq!(
        app.count("SELECT count(*) FROM gateway_prices WHERE gateway = 'test' AND amount = 49900 AND interval = 'month'").await,
        1
    );
    let page = read_page(&client, &pay_url).await;
    assert!(page.contains("499,00 € / Monat"), "{page}");
    assert!(
        !page.contains("later_succeeds"),
        "no delayed methods for a subscription"
    );
    let res = client
        .post(&pay_url)
        .form(&[("choice", "later_succeeds")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let res = client
        .post(&pay_url)
        .form(&[("choice", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    app.run_worker_until_idle().await;

    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    // Paid, and the first month's work is a task for the team.
    assert_eq!(order["status"], "in_fulfilment");
    assert_eq!(order["subscription"], true);
    assert_eq!(order["delivery"].as_array().unwrap().len(), 1, "{order}");
    assert_eq!(order["delivery"][0]["renewal"], false);
    let list = subscriptions(&client, &app).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let sub = &list[0];
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["amount"], 49_900);
    assert_eq!(sub["interval"], "month");
    assert_eq!(sub["order_id"], order_id.as_str());
    assert!(
        sub["plan"]
            .as_str()
            .unwrap()
            .contains("Social-Media-Betreuung"),
        "{sub}"
    );
    assert_eq!(sub["periods"].as_array().unwrap().len(), 1);
    assert_eq!(sub["periods"][0]["status"], "paid");
    assert_eq!(sub["periods"][0]["reason"], "first");
    assert_eq!(sub["test_gateway"], true);
    assert_eq!(
        app.count("SELECT sum(amount)::bigint FROM payments").await,
        49_900,
        "the first period is the checkout's payment, counted once"
    );
    let sub_id = sub["id"].as_str().unwrap().to_owned();

    // The billing portal (the test gateway's) for this subscription.
    let portal_url = portal_url_for(&client, &app, "de", &sub_id).await;
    assert!(
        portal_url.starts_with(&app.url("/test-gateway/billing/bps_test_")),
        "{portal_url}"
    );
    let page = read_page(&client, &portal_url).await;
    assert!(page.contains("Hier fließt kein Geld"), "{page}");
    let gateway_sub = gateway_sub_ref(&app).await;

    // The period ends: renewed and paid, the client told once.
    portal(&client, &portal_url, &gateway_sub, "end_of_period").await;
    app.run_worker_until_idle().await;
    let list = subscriptions(&client, &app).await;
    assert_eq!(list[0]["status"], "active");
    assert_eq!(list[0]["periods"].as_array().unwrap().len(), 2);
    assert_eq!(list[0]["periods"][0]["reason"], "renewal");
    assert_eq!(list[0]["periods"][0]["status"], "paid");
    assert_eq!(
        app.count("SELECT sum(amount)::bigint FROM payments").await,
        2 * 49_900
    );
    assert_eq!(mails_with(&app, "verlängert").await, 1);
    // The renewal's money starts the next month's work: one more task, marked as a renewal.
    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    let delivery = order["delivery"].as_array().unwrap();
    assert_eq!(delivery.len(), 2, "{order}");
    assert_eq!(delivery[1]["renewal"], true);
    assert_eq!(delivery[1]["status"], "queued");

    // A declined card: past due, the client told once, however often it is retried.
    portal(&client, &portal_url, &gateway_sub, "card_declined").await;
    portal(&client, &portal_url, &gateway_sub, "end_of_period").await;
    app.run_worker_until_idle().await;
    portal(&client, &portal_url, &gateway_sub, "end_of_period").await;
    app.run_worker_until_idle().await;
    let list = subscriptions(&client, &app).await;
    assert_eq!(list[0]["status"], "past_due");
    assert_eq!(list[0]["periods"][0]["status"], "failed");
    assert_eq!(mails_with(&app, "fehlgeschlagen").await, 1);
    assert_eq!(
        app.count("SELECT max(attempts)::bigint FROM subscription_periods")
            .await,
        2
    );
    // A working card and a retry: paid, active again.
    portal(&client, &portal_url, &gateway_sub, "card_accepted").await;
    portal(&client, &portal_url, &gateway_sub, "end_of_period").await;
    app.run_worker_until_idle().await;
    let list = subscriptions(&client, &app).await;
    assert_eq!(list[0]["status"], "active");
    assert_eq!(list[0]["periods"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.count("SELECT sum(amount)::bigint FROM payments").await,
        3 * 49_900
    );
    assert_eq!(mails_with(&app, "verlängert").await, 2);

    // The client switches to the bigger plan: the gateway's subscription moves to its price.
    assert_eq!(list[0]["tier"], "basic");
    assert_eq!(list[0]["plans"].as_array().unwrap().len(), 2, "{}", list[0]);
    let (status, card) = post(
        &client,
        &app,
        "/api/change_subscription",
        &[("id", &sub_id), ("action", "switch"), ("tier", "pro")],
    )
    .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["amount"], 89_900);
    assert_eq!(card["tier"], "pro");
    assert!(card["plan"].as_str().unwrap().contains("16"), "{card}");
    let (status, _) = post(
        &client,
        &app,
        "/api/change_subscription",
        &[("id", &sub_id), ("action", "switch"), ("tier", "pro")],
    )
    .await;
    assert_eq!(status, 422, "already on that plan");
    let (status, _) = post(
        &client,
        &app,
        "/api/change_subscription",
        &[("id", &sub_id), ("action", "switch"), ("tier", "gold")],
    )
    .await;
    assert_eq!(status, 422, "no such plan");
    assert_eq!(
        app.count("SELECT count(*) FROM gateway_prices").await,
        2,
        "each plan is one price"
    );

    // The client cancels at the period's end, takes it back, cancels again.
    for (action, expected) in [("cancel", true), ("resume", false), ("cancel", true)] {
        let (status, card) = post(
            &client,
            &app,
            "/api/change_subscription",
            &[("id", &sub_id), ("action", action)],
        )
        .await;
        assert_eq!(status, 200, "{card}");
        assert_eq!(card["cancel_at_period_end"], expected, "{action}");
    }
    let (status, _) = post(
        &client,
        &app,
        "/api/change_subscription",
        &[("id", &sub_id), ("action", "pause")],
    )
    .await;
    assert_eq!(status, 422);
    let stranger = app.signed_in("fremd@example.de", &[]).await;
    let (status, _) = post(
        &stranger,
        &app,
        "/api/change_subscription",
        &[("id", &sub_id), ("action", "resume")],
    )
    .await;
    assert_eq!(status, 404, "someone else's subscription");
    // The period ends: so does the subscription, with no charge.
    portal(&client, &portal_url, &gateway_sub, "end_of_period").await;
    app.run_worker_until_idle().await;
    let list = subscriptions(&client, &app).await;
    assert_eq!(list[0]["status"], "canceled");
    assert_eq!(list[0]["open"], false);
    assert_eq!(list[0]["periods"].as_array().unwrap().len(), 3);
    assert_eq!(mails_with(&app, "beendet").await, 1);
    let (status, _) = post(
        &client,
        &app,
        "/api/change_subscription",
        &[("id", &sub_id), ("action", "resume")],
    )
    .await;
    assert_eq!(status, 409, "an ended subscription stays ended");

    // Every event again, twice at once: nothing new.
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM test_gateway_events ORDER BY created_at")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(payloads.len() >= 10, "{}", payloads.len());
    for payload in payloads.iter().rev() {
        let (a, b) = tokio::join!(
            deliver(&app, payload, SECRET),
            deliver(&app, payload, SECRET)
        );
        assert_eq!((a, b), (200, 200));
    }
    app.run_worker_until_idle().await;
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM subscription_periods").await,
        3
    );
    assert_eq!(
        app.count("SELECT sum(amount)::bigint FROM payments").await,
        3 * 49_900
    );
    assert_eq!(mails_with(&app, "verlängert").await, 2);
    assert_eq!(mails_with(&app, "fehlgeschlagen").await, 1);
    assert_eq!(mails_with(&app, "beendet").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'subscription.renewal_paid'")
            .await,
        2
    );
}

/// The client's invoices and credit notes as the portal lists them.
async fn my_invoices(client: &reqwest::Client, app: &TestApp) -> Vec<Value> {
    let (status, list) = post(client, app, "/api/my_invoices", &[]).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

#[sqlx::test(migrations = false)]
async fn a_refunded_renewal_gets_a_credit_note_the_client_sees(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let client = client_with_plan(&app, "abo-erstattung@example.de").await;
    let order_id = common::pay_cart(&app, &client, BILLING).await;
    let (_, sub) = post(&client, &app, "/api/my_subscriptions", &[]).await;
    let sub_id = sub[0]["id"].as_str().unwrap().to_owned();
    let portal_url = portal_url_for(&client, &app, "de", &sub_id).await;
    let gateway_sub = gateway_sub_ref(&app).await;
    // A month later the plan renews: two invoices, the checkout's and the renewal's.
    portal(&client, &portal_url, &gateway_sub, "end_of_period").await;
    app.run_worker_until_idle().await;
    let invoices = my_invoices(&client, &app).await;
    assert_eq!(invoices.len(), 2, "{invoices:?}");
    let number_of = |source: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT number FROM invoices WHERE kind = 'invoice' AND source LIKE $1",
            )
            .bind(source)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let renewal_invoice = number_of("period:%").await;
    let first_invoice = number_of("order:%").await;

    // The agency refunds the renewal in the gateway's dashboard (the portal page's stand-in
    // for it): its `charge.refunded` reaches the webhook, the refund is recorded against the
    // renewal's payment and gets a credit note correcting the renewal's invoice.
    let page = read_page(&client, &portal_url).await;
    assert!(page.contains("portal-refund_latest"), "{page}");
    portal(&client, &portal_url, &gateway_sub, "refund_latest").await;
    app.run_worker_until_idle().await;
    let invoices = my_invoices(&client, &app).await;
    let notes: Vec<&Value> = invoices
        .iter()
        .filter(|i| i["kind"] == "credit_note")
        .collect();
    assert_eq!(notes.len(), 1, "{invoices:?}");
    assert_eq!(notes[0]["corrects"], renewal_invoice.as_str());
    assert_eq!(notes[0]["total"], 49_900);
    assert!(notes[0]["number"].as_str().unwrap().starts_with("RK-"));
    assert_eq!(notes[0]["ready"], true, "its PDF is rendered");
    let (status, _) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM payments r JOIN payments p ON p.id = r.refund_of
             WHERE r.kind = 'refund' AND p.period_id IS NOT NULL AND r.amount = 49900"
        )
        .await,
        1
    );
    // The event again, twice at once: nothing new.
    let (a, b) = common::deliver_again_twice_at_once(&app, "charge.refunded").await;
    assert_eq!((a, b), (200, 200));
    app.run_worker_until_idle().await;
    assert_eq!(
        app.count("SELECT count(*) FROM payments WHERE kind = 'refund'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invoices WHERE kind = 'credit_note'")
            .await,
        1
    );

    // Then the first month's payment (the checkout's): its credit note corrects the
    // checkout's invoice; with both payments back the order is refunded.
    portal(&client, &portal_url, &gateway_sub, "refund_latest").await;
    app.run_worker_until_idle().await;
    let invoices = my_invoices(&client, &app).await;
    let mut corrected: Vec<&str> = invoices
        .iter()
        .filter(|i| i["kind"] == "credit_note")
        .map(|i| i["corrects"].as_str().unwrap())
        .collect();
    corrected.sort_unstable();
    let mut expected = vec![first_invoice.as_str(), renewal_invoice.as_str()];
    expected.sort_unstable();
    assert_eq!(corrected, expected);
    let (_, order) = post(&client, &app, "/api/my_order", &[("id", &order_id)]).await;
    assert_eq!(order["status"], "refunded", "{order}");
    // Nothing is left to refund: no further event, no further credit note.
    portal(&client, &portal_url, &gateway_sub, "refund_latest").await;
    app.run_worker_until_idle().await;
    assert_eq!(
        app.count("SELECT count(*) FROM test_gateway_events WHERE type = 'charge.refunded'")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invoices WHERE kind = 'credit_note'")
            .await,
        2
    );
}

fn stripe_subscription(order_id: &str, cancel: bool) -> Value {
    json!({
        "id": "sub_live_1", "object": "subscription", "status": "active", "customer": "cus_live_1",
        "cancel_at_period_end": cancel, "canceled_at": null, "ended_at": null,
        "metadata": {"order_id": order_id, "order_number": "10001"},
        "items": {"object": "list", "has_more": false, "data": [{
            "id": "si_live_1", "object": "subscription_item", "quantity": 1,
            "current_period_start": 1801353600, "current_period_end": 1803772800,
            "price": {"id": "price_live_1", "object": "price", "product": "prod_live_1",
                      "unit_amount": 49900, "currency": "eur",
                      "recurring": {"interval": "month", "interval_count": 1}}}]}
    })
}

#[sqlx::test(migrations = false)]
async fn with_a_stripe_key_subscriptions_talk_to_stripe(pool: PgPool) {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/prices"))
        .and(header("authorization", "Bearer sk_test_stripe"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "price_live_1", "object": "price", "unit_amount": 49900, "currency": "eur",
            "recurring": {"interval": "month"}, "product": "prod_live_1"
        })))
        .expect(1)
        .mount(&stripe)
        .await;
    let session = json!({
        "id": "cs_live_sub", "object": "checkout.session", "mode": "subscription", "status": "open",
        "payment_status": "unpaid", "client_reference_id": null, "metadata": {},
        "customer": null, "customer_email": "abo@example.de", "subscription": null,
        "payment_intent": null, "invoice": null, "amount_subtotal": 49900, "amount_total": 49900,
        "currency": "eur", "url": "https://checkout.stripe.com/c/pay/cs_live_sub",
        "success_url": "x", "cancel_url": "y", "created": 1767225600, "expires_at": 1767312000,
        "livemode": false, "automatic_tax": {"enabled": false, "liability": null, "status": null},
        "custom_fields": [], "custom_text": {}, "payment_method_types": ["card"], "shipping_options": []
    });
    // Two checkouts, two sessions (the first mock answers once).
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(session.clone()))
        .up_to_n_times(1)
        .mount(&stripe)
        .await;
    let mut second = session;
    second["id"] = json!("cs_live_sub2");
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(second))
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
    let client = client_with_plan(&app, "abo@example.de").await;
    let (status, started) = post(&client, &app, "/api/start_checkout", BILLING).await;
    assert_eq!(status, 200, "{started}");
    let order_id = started["order_id"].as_str().unwrap().to_owned();
    // A second checkout of the same plan reuses its price (the mock expects one creation).
    let client2 = client_with_plan(&app, "abo2@example.de").await;
    let (status, _) = post(&client2, &app, "/api/start_checkout", BILLING).await;
    assert_eq!(status, 200);

    let requests: Vec<Request> = stripe.received_requests().await.unwrap();
    let price_req = requests
        .iter()
        .find(|r| r.url.path() == "/v1/prices")
        .unwrap();
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(&price_req.body)
        .into_owned()
        .collect();
    assert_eq!(form["unit_amount"], "49900");
    assert_eq!(form["recurring[interval]"], "month");
    assert_eq!(form["currency"], "eur");
    assert!(form["product_data[name]"].contains("Social-Media-Betreuung"));
    assert!(price_req.headers.contains_key("idempotency-key"));
    let session_req = requests
        .iter()
        .find(|r| r.url.path() == "/v1/checkout/sessions")
        .unwrap();
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(&session_req.body)
        .into_owned()
        .collect();
    assert_eq!(form["mode"], "subscription");
    assert_eq!(form["line_items[0][price]"], "price_live_1");
    assert_eq!(form["subscription_data[metadata][order_id]"], order_id);

    // The subscription's own event comes first: it is read from Stripe and finds the order by
    // the metadata the checkout gave it.
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_live_1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(stripe_subscription(&order_id, false)),
        )
        .mount(&stripe)
        .await;
    let event = json!({"id": "evt_live_1", "type": "customer.subscription.created",
        "created": now(), "data": {"object": {"id": "sub_live_1", "object": "subscription"}}})
    .to_string();
    assert_eq!(deliver(&app, &event, "whsec_live").await, 200);
    assert_eq!(
        app.count("SELECT count(*) FROM subscriptions WHERE status = 'active' AND amount = 49900 AND item_ref = 'si_live_1'").await,
        1
    );
    // A renewal invoice, read from Stripe (the event's copy says nothing).
    Mock::given(method("GET"))
        .and(path("/v1/invoices/in_live_2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "in_live_2", "object": "invoice", "status": "paid", "customer": "cus_live_1",
            "billing_reason": "subscription_cycle", "amount_due": 49900, "amount_paid": 49900,
            "attempt_count": 1,
            "parent": {"type": "subscription_details",
                       "subscription_details": {"subscription": "sub_live_1"}},
            "lines": {"data": [{"period": {"start": 1803772800, "end": 1806192000}}]}
        })))
        .mount(&stripe)
        .await;
    let event = json!({"id": "evt_live_2", "type": "invoice.paid", "created": now(),
        "data": {"object": {"id": "in_live_2", "object": "invoice"}}})
    .to_string();
    assert_eq!(deliver(&app, &event, "whsec_live").await, 200);
    assert_eq!(deliver(&app, &event, "whsec_live").await, 200);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM payments WHERE gateway_ref = 'in_live_2' AND amount = 49900"
        )
        .await,
        1
    );

    // The renewal is refunded in Stripe's dashboard: the charge's refunds name its payment
    // intent, whose invoice payment names the renewal's invoice.
    Mock::given(method("GET"))
        .and(path("/v1/refunds"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list", "has_more": false, "data": [
                {"id": "re_live_2", "object": "refund", "amount": 10000, "status": "succeeded",
                 "payment_intent": "pi_live_2", "charge": "ch_live_2"}]
        })))
        .mount(&stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/invoice_payments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list", "has_more": false, "data": [
                {"id": "inpay_live_2", "object": "invoice_payment", "invoice": "in_live_2",
                 "amount_paid": 49900, "status": "paid",
                 "payment": {"type": "payment_intent", "payment_intent": "pi_live_2"}}]
        })))
        .mount(&stripe)
        .await;
    let event = json!({"id": "evt_live_refund", "type": "charge.refunded", "created": now(),
        "data": {"object": {"id": "ch_live_2", "object": "charge"}}})
    .to_string();
    assert_eq!(deliver(&app, &event, "whsec_live").await, 200);
    assert_eq!(deliver(&app, &event, "whsec_live").await, 200);
    let requests: Vec<Request> = stripe.received_requests().await.unwrap();
    let lookup = requests
        .iter()
        .find(|r| r.url.path() == "/v1/invoice_payments")
        .unwrap();
    let query: std::collections::HashMap<String, String> =
        form_urlencoded::parse(lookup.url.query().unwrap().as_bytes())
            .into_owned()
            .collect();
    assert_eq!(query["payment[type]"], "payment_intent");
    assert_eq!(query["payment[payment_intent]"], "pi_live_2");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM payments r JOIN payments p ON p.id = r.refund_of
             WHERE r.kind = 'refund' AND r.gateway_ref = 're_live_2' AND r.amount = 10000
               AND p.gateway_ref = 'in_live_2' AND p.period_id IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::issue_credit_note'"
        )
        .await,
        1
    );

    // The client cancels at the period's end: Stripe is asked, its answer shown at once.
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_live_1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(stripe_subscription(&order_id, true)),
        )
        .expect(1)
        .mount(&stripe)
        .await;
    let sub_id: String = sqlx::query_scalar("SELECT id::text FROM subscriptions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (status, card) = post(
        &client,
        &app,
        "/api/change_subscription",
        &[("id", &sub_id), ("action", "cancel")],
    )
    .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["cancel_at_period_end"], true);
    let requests: Vec<Request> = stripe.received_requests().await.unwrap();
    let update = requests
        .iter()
        .find(|r| r.url.path() == "/v1/subscriptions/sub_live_1" && r.method.as_str() == "POST")
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&update.body).unwrap(),
        "cancel_at_period_end=true"
    );
    assert!(update.headers.contains_key("idempotency-key"));

    // The payment method is changed in Stripe's billing portal.
    Mock::given(method("POST"))
        .and(path("/v1/billing_portal/sessions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "bps_live_1", "object": "billing_portal.session", "customer": "cus_live_1",
            "url": "https://billing.stripe.com/p/session/live_1"
        })))
        .expect(1)
        .mount(&stripe)
        .await;
    let url = portal_url_for(&client, &app, "en", &sub_id).await;
    assert_eq!(url, "https://billing.stripe.com/p/session/live_1");
    let requests: Vec<Request> = stripe.received_requests().await.unwrap();
    let portal = requests
        .iter()
        .find(|r| r.url.path() == "/v1/billing_portal/sessions")
        .unwrap();
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&portal.body).into_owned().collect();
    assert_eq!(form["customer"], "cus_live_1");
    assert_eq!(form["locale"], "en");
    assert!(form["return_url"].ends_with("/en/portal/subscriptions"));
    // Someone else cannot open it.
    let (status, _) = post(
        &client2,
        &app,
        "/api/subscription_portal",
        &[("lang", "en"), ("id", &sub_id)],
    )
    .await;
    assert_eq!(status, 404);
}
