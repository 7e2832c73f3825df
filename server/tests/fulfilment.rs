//! Fulfilment over HTTP with the real worker: a paid order becomes a manual task that an admin
//! claims and completes (the order completes, the client is mailed and may ask for a refill);
//! a routed line goes to a provider speaking the SMM panel API v2 (a `wiremock` server)
//! exactly once, is polled to completion or to a partial with a suggested refund; the margin
//! guard holds a line sold at a loss until an admin decides; a send whose answer never came is
//! held, never repeated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{post, TestApp, BILLING};
use gd_accounts::Role;
use serde_json::{json, Value};
use sqlx::PgPool;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const STANDIN: &str = "00000000-0000-7000-8000-000000000601";
const POST: &str = "https://www.instagram.com/p/C0ffee123/";

/// A client who bought `quantity` × `product` at `tier` through the test gateway; the worker
/// has run until idle (payment event, confirmation, fulfilment planned and sent).
async fn bought(
    app: &TestApp,
    email: &str,
    product: &str,
    tier: &str,
    quantity: &str,
) -> (reqwest::Client, String) {
    // Likes and views go to a post; followers to a profile. The target is what the provider gets.
    let target = if product.starts_with("instagram-follower") {
        "@growth.desk"
    } else {
        POST
    };
    let client = app.signed_in(email, &[]).await;
    let (status, cart) = post(
        &client,
        app,
        "/api/cart_add",
        &[
            ("lang", "de"),
            ("product", product),
            ("tier", tier),
            ("quantity", quantity),
            ("target", target),
        ],
    )
    .await;
    assert_eq!(status, 200, "{cart}");
    let order = common::pay_cart(app, &client, BILLING).await;
    (client, order)
}

/// The demo's stand-in provider, pointed at `panel`.
async fn provider_at(app: &TestApp, panel: &MockServer) {
    sqlx::query("UPDATE fulfilment_providers SET api_url = $1 WHERE id = $2::uuid")
        .bind(format!("{}/api/v2", panel.uri()))
        .bind(STANDIN)
        .execute(&app.pool)
        .await
        .unwrap();
}

async fn order_status(client: &reqwest::Client, app: &TestApp, id: &str) -> Value {
    let (status, order) = post(client, app, "/api/my_order", &[("id", id)]).await;
    assert_eq!(status, 200, "{order}");
    order
}

async fn one_part(app: &TestApp) -> (String, String, Option<String>) {
    sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT id::text, status, hold_reason FROM fulfilments",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn poll(app: &TestApp) -> gd_fulfilment::PollReport {
    gd_fulfilment::poll(&app.pool, gd_fulfilment::providers::http(), 100)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_manual_task_is_claimed_and_completed_and_the_client_follows(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let (client, order) = bought(&app, "buyer@example.de", "instagram-follower", "5k", "2").await;

    // Paid, planned and under way: one task for a person, 10,000 followers.
    let o = order_status(&client, &app, &order).await;
    assert_eq!(o["status"], "in_fulfilment", "{o}");
    assert_eq!(o["delivery"][0]["status"], "queued");
    assert_eq!(o["delivery"][0]["quantity"], 10_000);
    assert_eq!(o["delivery"][0]["target"], "@growth.desk");
    assert_eq!(o["delivery"][0]["refillable"], false);

    // The client cannot touch the admins' work list.
    let (status, _) = post(&client, &app, "/api/admin_fulfilment", &[]).await;
    assert_eq!(status, 403);

    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    let (status, work) = post(&admin, &app, "/api/admin_fulfilment", &[]).await;
    assert_eq!(status, 200, "{work}");
    let parts = work["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 1, "{work}");
    assert_eq!(parts[0]["method"], "manual");
    let part = parts[0]["id"].as_str().unwrap().to_owned();

    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_fulfilment_claim",
        &[("id", &part)],
    )
    .await;
    assert_eq!(status, 200);
    // Claimed once: a second claim is a conflict, not a second owner.
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_fulfilment_claim",
        &[("id", &part)],
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_fulfilment_note",
        &[("id", &part), ("body", "Kampagne gestartet")],
    )
    .await;
    assert_eq!(status, 200);
    // More than was ordered is refused and changes nothing.
    let (status, err) = post(
        &admin,
        &app,
        "/api/admin_fulfilment_complete",
        &[("id", &part), ("delivered", "10001")],
    )
    .await;
    assert_eq!(status, 422, "{err}");
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_fulfilment_complete",
        &[("id", &part), ("delivered", "")],
    )
    .await;
    assert_eq!(status, 200);

    let o = order_status(&client, &app, &order).await;
    assert_eq!(o["status"], "completed", "{o}");
    assert_eq!(o["delivery"][0]["status"], "completed");
    assert_eq!(o["delivery"][0]["refillable"], true);

    // The client hears of the start (the claim) and of the end, each once.
    app.run_worker_until_idle().await;
    let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
    let updates: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("In Bearbeitung") || m.subject.contains("Abgeschlossen"))
        .collect();
    assert_eq!(updates.len(), 2, "{mails:?}");
    assert!(
        updates
            .iter()
            .any(|m| m.body.contains("Alles ist geliefert")),
        "{updates:?}"
    );

    // A refill inside the guarantee: asked once, done by hand.
    let (status, _) = post(&client, &app, "/api/request_refill", &[("id", &part)]).await;
    assert_eq!(status, 200);
    let (status, _) = post(&client, &app, "/api/request_refill", &[("id", &part)]).await;
    assert_eq!(status, 409, "one open refill at a time");
    let (_, work) = post(&admin, &app, "/api/admin_fulfilment", &[]).await;
    assert_eq!(work["parts"][0]["refill"], "requested", "{work}");
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_fulfilment_refilled",
        &[("id", &part)],
    )
    .await;
    assert_eq!(status, 200);
    let o = order_status(&client, &app, &order).await;
    assert_eq!(o["delivery"][0]["refill"], "completed");

    // Another client's order part is not theirs to refill.
    let stranger = app.signed_in("fremd@example.de", &[]).await;
    let (status, _) = post(&stranger, &app, "/api/request_refill", &[("id", &part)]).await;
    assert_eq!(status, 404);
}

fn proof_form(bytes: Vec<u8>, name: &str, note: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("lang", "de")
        .text("note", note.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        )
}

/// Files under the local object storage's `proofs/`.
fn stored_proofs(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&app.outbox.join("storage").join("proofs"), &mut found);
    found
}

#[sqlx::test(migrations = false)]
async fn a_proof_is_attached_to_a_task_and_shown_to_admins_only(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let (client, order) = bought(&app, "beleg@example.de", "instagram-follower", "5k", "1").await;
    let (part, _, _) = one_part(&app).await;
    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    let upload = |form| {
        admin
            .post(app.url(&format!("/admin/fulfilment/{part}/proof")))
            .multipart(form)
            .send()
    };

    // A screenshot with a note: stored, and the admin is sent back to the work list.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR proof pixels".to_vec();
    let res = upload(proof_form(
        png.clone(),
        "C:\\shots\\Beleg März.png",
        "Screenshot",
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/fulfilment?proof=added");
    assert_eq!(stored_proofs(&app).len(), 1);

    // What is not an image or a PDF, an empty form, and a file over 10 MB come back as
    // problems in the address; nothing more is stored.
    let res = upload(proof_form(b"<html><script>".to_vec(), "x.png", ""))
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        "/admin/fulfilment?proof_error=not-a-proof"
    );
    let res = upload(reqwest::multipart::Form::new().text("lang", "en"))
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        "/en/admin/fulfilment?proof_error=required"
    );
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(gd_fulfilment::tasks::PROOF_MAX_BYTES + 1, b' ');
    let res = upload(proof_form(big, "big.pdf", "")).await.unwrap();
    assert_eq!(
        res.headers()["location"],
        "/admin/fulfilment?proof_error=file-too-large&limit=10"
    );
    // A note over its limit stores no file either.
    let res = upload(proof_form(png.clone(), "a.png", &"x".repeat(2001)))
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        "/admin/fulfilment?proof_error=too-long&limit=2000"
    );
    // A task that does not exist.
    let res = admin
        .post(app.url(&format!("/admin/fulfilment/{}/proof", uuid::Uuid::now_v7())))
        .multipart(proof_form(png.clone(), "a.png", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(stored_proofs(&app).len(), 1);

    // The work list shows the note with its proof; the admin can open it.
    let (status, work) = post(&admin, &app, "/api/admin_fulfilment", &[]).await;
    assert_eq!(status, 200, "{work}");
    let note = &work["parts"][0]["notes"][0];
    assert_eq!(note["body"], "Screenshot", "{work}");
    assert_eq!(note["author"], "chef@example.de");
    assert_eq!(note["proof"][1], "Beleg März.png");
    assert_eq!(note["image"], true);
    let href = note["proof"][0].as_str().unwrap().to_owned();
    let res = admin.get(app.url(&href)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(
        res.headers()["content-disposition"],
        "inline; filename=\"Beleg M_rz.png\"; filename*=UTF-8''Beleg%20M%C3%A4rz.png"
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);

    // The client, and everyone else, cannot; it is not under the public media either.
    assert_eq!(
        client.get(app.url(&href)).send().await.unwrap().status(),
        403
    );
    assert_eq!(
        app.client
            .get(app.url(&href))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let key: String = sqlx::query_scalar("SELECT file_key FROM fulfilment_notes")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(key.starts_with(&format!("proofs/{part}/")), "{key}");
    assert_eq!(
        app.client
            .get(app.url(&format!("/media/{key}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // The order's page keeps it after the task is done.
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_fulfilment_complete",
        &[("id", &part), ("delivered", "")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, o) = post(&admin, &app, "/api/admin_order", &[("id", &order)]).await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(o["delivery"][0]["status"], "completed");
    assert_eq!(o["delivery"][0]["notes"][0]["proof"][0], href.as_str());
    assert_eq!(o["suggested_refund"], Value::Null);
}

/// A panel that takes one add and reports its order with `status`.
async fn panel_answering(order_state: Value) -> MockServer {
    let panel = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2"))
        .and(body_string_contains("action=add"))
        .and(body_string_contains("key=standin-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"order": 23501})))
        .expect(1)
        .mount(&panel)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2"))
        .and(body_string_contains("action=status"))
        .and(body_string_contains("orders=23501"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "23501": order_state })))
        .mount(&panel)
        .await;
    panel
}

#[sqlx::test(migrations = false)]
async fn a_routed_line_goes_to_the_provider_once_and_completes_by_polling(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let panel = panel_answering(json!({
        "charge": "0.20", "start_count": "120", "status": "Completed", "remains": "0",
        "currency": "EUR"
    }))
    .await;
    provider_at(&app, &panel).await;
    let (client, order) = bought(&app, "likes2@example.de", "instagram-likes", "1k", "1").await;

    let (_, status, _) = one_part(&app).await;
    assert_eq!(status, "submitted");
    let adds: Vec<String> = panel
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .filter(|b| b.contains("action=add"))
        .collect();
    assert_eq!(adds.len(), 1, "{adds:?}");
    assert!(adds[0].contains("service=1002"), "{}", adds[0]);
    assert!(adds[0].contains("quantity=1000"), "{}", adds[0]);
    assert!(
        adds[0].contains("link=https%3A%2F%2Fwww.instagram.com%2Fp%2FC0ffee123"),
        "{}",
        adds[0]
    );

    // The schedule's poll finds it completed; the order follows; a second poll changes nothing.
    let report = poll(&app).await;
    assert_eq!((report.asked, report.finished), (1, 1), "{report:?}");
    let o = order_status(&client, &app, &order).await;
    assert_eq!(o["status"], "completed", "{o}");
    assert_eq!(o["delivery"][0]["start_count"], 120);
    assert!(o["delivery"][0].get("external_ref").is_none(), "{o}");
    assert_eq!(poll(&app).await.asked, 0);

    // Running the worker again never sends it twice (the mock expects one add).
    app.run_worker_until_idle().await;
    panel.verify().await;
}

#[sqlx::test(migrations = false)]
async fn a_partial_delivery_suggests_a_refund_for_the_rest(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let panel = panel_answering(json!({
        "charge": 0.15, "start_count": 80, "status": "Partial", "remains": 250, "currency": "EUR"
    }))
    .await;
    provider_at(&app, &panel).await;
    let (client, order) = bought(&app, "teil@example.de", "instagram-likes", "1k", "1").await;
    poll(&app).await;
    let o = order_status(&client, &app, &order).await;
    assert_eq!(o["status"], "partly_fulfilled", "{o}");
    assert_eq!(o["delivery"][0]["remains"], 250);
    // 8,90 € paid, a quarter not delivered: 2,22 € (rounded down) suggested.
    let note = o["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["note"].as_str())
        .find(|n| n.contains("erstatten"))
        .unwrap_or_default()
        .to_owned();
    assert!(note.contains("2,22 €"), "{o}");
    // The admin's order page says so too, and offers it as the refund's amount.
    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    let (status, a) = post(&admin, &app, "/api/admin_order", &[("id", &order)]).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["suggested_refund"], 222, "{a}");
    assert_eq!(a["delivery"][0]["remains"], 250);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'order.partly_fulfilled'")
            .await,
        1
    );
}

#[sqlx::test(migrations = false)]
async fn the_margin_guard_holds_a_loss_until_an_admin_decides(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let panel = panel_answering(json!({"status": "In progress", "remains": "400"})).await;
    provider_at(&app, &panel).await;
    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    // The demo's route (0.20 per 1,000 likes) leaves a margin on every tier.
    let (_, providers) = post(&admin, &app, "/api/admin_providers", &[]).await;
    let likes = providers["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product_id"] == "00000000-0000-7000-8000-000000000202")
        .unwrap()
        .clone();
    assert_eq!(likes["tiers"][0]["loss"], false, "{likes}");
    assert_eq!(likes["tiers"][0]["cost"], 10, "{likes}");
    // Likes routed to the stand-in's expensive service (500 per 1,000): 500 € for 8,90 €.
    let (status, err) = post(
        &admin,
        &app,
        "/api/admin_set_route",
        &[
            ("product", "00000000-0000-7000-8000-000000000202"),
            ("speed", ""),
            ("service", &format!("{STANDIN}/1004")),
            ("guarantee_days", "30"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{err}");
    let (_, providers) = post(&admin, &app, "/api/admin_providers", &[]).await;
    let likes = providers["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product_id"] == "00000000-0000-7000-8000-000000000202")
        .unwrap();
    assert_eq!(likes["tiers"][0]["loss"], true, "{likes}");

    let (client, order) = bought(&app, "marge@example.de", "instagram-likes", "1k", "1").await;
    let (part, status, hold) = one_part(&app).await;
    assert_eq!((status.as_str(), hold.as_deref()), ("held", Some("margin")));
    assert!(
        panel.received_requests().await.unwrap().is_empty(),
        "nothing sent"
    );
    let (_, work) = post(&admin, &app, "/api/admin_fulfilment", &[]).await;
    assert_eq!(work["parts"][0]["hold_reason"], "margin", "{work}");
    assert_eq!(work["parts"][0]["cost_estimate"], 50_000);

    // The client sees it being prepared, not the agency's costs.
    let o = order_status(&client, &app, &order).await;
    assert_eq!(o["delivery"][0]["status"], "held");
    assert!(!o.to_string().contains("50000"), "{o}");

    // The admin sends it anyway: it goes out once.
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_fulfilment_decide",
        &[("id", &part), ("decision", "send")],
    )
    .await;
    assert_eq!(status, 200);
    app.run_worker_until_idle().await;
    let (_, status, _) = one_part(&app).await;
    assert_eq!(status, "submitted");
    poll(&app).await;
    let (_, status, _) = one_part(&app).await;
    assert_eq!(status, "in_progress");
    panel.verify().await;
}

#[sqlx::test(migrations = false)]
async fn a_send_without_a_definite_answer_is_held_never_repeated(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    // The panel fails with a server error: did it take the order? Unknown.
    let panel = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("action=add"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .expect(1)
        .mount(&panel)
        .await;
    provider_at(&app, &panel).await;
    let (_, _order) = bought(&app, "unklar@example.de", "instagram-likes", "1k", "1").await;
    let (part, status, hold) = one_part(&app).await;
    assert_eq!(
        (status.as_str(), hold.as_deref()),
        ("held", Some("uncertain"))
    );
    panel.verify().await;

    // Another run marked it `submitting` moments ago: this run waits for that run's answer;
    // none comes (it died), so once the window has passed it is held, and nothing is sent.
    sqlx::query(
        "UPDATE fulfilments SET status = 'submitting', hold_reason = NULL,
             submitted_at = now() - interval '38 seconds'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let id = uuid::Uuid::parse_str(&part).unwrap();
    let outcome = gd_fulfilment::submit(&app.pool, gd_fulfilment::providers::http(), id)
        .await
        .unwrap();
    assert_eq!(outcome, gd_fulfilment::Submitted::Held("uncertain"));
    panel.verify().await;

    // The admin found it on the provider's panel: its number is entered, nothing is sent.
    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_fulfilment_decide",
        &[
            ("id", &part),
            ("decision", "reference"),
            ("reference", "98765"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (_, status, _) = one_part(&app).await;
    assert_eq!(status, "submitted");
    panel.verify().await;
}

#[sqlx::test(migrations = false)]
async fn a_refusal_holds_and_an_unreachable_provider_is_tried_again(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let panel = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("action=add"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"error": "Not enough funds on balance"})),
        )
        .mount(&panel)
        .await;
    provider_at(&app, &panel).await;
    let (_, _order) = bought(&app, "abgelehnt@example.de", "instagram-likes", "1k", "1").await;
    let (part, status, hold) = one_part(&app).await;
    assert_eq!(
        (status.as_str(), hold.as_deref()),
        ("held", Some("refused"))
    );
    let error: String = sqlx::query_scalar("SELECT error FROM fulfilments")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(error.contains("Not enough funds"), "{error}");

    // Nobody listens at the provider's address: nothing was sent, so it stays queued and the
    // job fails for a later attempt.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    sqlx::query("UPDATE fulfilment_providers SET api_url = $1")
        .bind(format!("http://127.0.0.1:{closed}/api/v2"))
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE fulfilments SET status = 'queued', hold_reason = NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    let id = uuid::Uuid::parse_str(&part).unwrap();
    let failed = gd_fulfilment::submit(&app.pool, gd_fulfilment::providers::http(), id).await;
    assert!(
        matches!(failed, Err(gd_fulfilment::FulfilmentError::Provider(_))),
        "{failed:?}"
    );
    let (_, status, _) = one_part(&app).await;
    assert_eq!(status, "queued");
}

#[sqlx::test(migrations = false)]
async fn admins_add_a_provider_and_load_its_services(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let panel = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("action=services"))
        .and(body_string_contains("key=secret-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"service": 1, "name": "Followers HQ", "type": "Default", "category": "Instagram",
             "rate": "0.90", "min": "50", "max": "10000", "refill": true, "cancel": "1",
             "dripfeed": false},
            {"service": "2", "name": "Likes", "type": "Default", "category": "Instagram",
             "rate": 0.1, "min": 10, "max": 5000, "refill": "0", "cancel": 0, "dripfeed": 1}
        ])))
        .mount(&panel)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("action=balance"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"balance": "100.84292", "currency": "USD"})),
        )
        .mount(&panel)
        .await;
    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    // A form with problems: every problem at once, nothing stored.
    let (status, err) = post(
        &admin,
        &app,
        "/api/admin_add_provider",
        &[
            ("name", ""),
            ("api_url", "ftp://x"),
            ("api_key", ""),
            ("eur_per_unit", "abc"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(
        app.count("SELECT count(*) FROM fulfilment_providers").await,
        0
    );

    let (status, err) = post(
        &admin,
        &app,
        "/api/admin_add_provider",
        &[
            ("name", "Panel A"),
            ("api_url", &format!("{}/api/v2", panel.uri())),
            ("api_key", "secret-key"),
            ("currency", "usd"),
            ("eur_per_unit", "0,92"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{err}");
    let (_, view) = post(&admin, &app, "/api/admin_providers", &[]).await;
    let p = &view["providers"][0];
    assert_eq!(p["services"], 2, "{view}");
    assert_eq!(p["balance"], "100.84292 USD");
    assert_eq!(p["eur_per_unit"], "0.92");
    assert!(
        !view.to_string().contains("secret-key"),
        "the key never shows"
    );
    let rate: i64 =
        sqlx::query_scalar("SELECT rate_micros FROM provider_services WHERE service = '1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(rate, 900_000);
}
