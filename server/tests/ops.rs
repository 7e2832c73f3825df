//! The admins' operations pages over HTTP: background jobs by state with their errors, retry
//! and cancel; every mail template previewed; the mail history of an order and of a person.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{post, TestApp, BILLING};
use gd_accounts::Role;
use sqlx::PgPool;

#[derive(serde::Serialize, serde::Deserialize)]
struct Noop {
    n: u32,
}

impl gd_jobs::Job for Noop {
    const QUEUE: &'static str = "growthdesk::ops_test_noop";
    const MAX_ATTEMPTS: i32 = 3;
}

#[sqlx::test(migrations = false)]
async fn admins_see_dead_jobs_with_their_error_and_retry_or_cancel_them(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut conn = app.pool.acquire().await.unwrap();
    let dead = gd_jobs::enqueue(&mut conn, &Noop { n: 1 }).await.unwrap();
    let waiting = gd_jobs::enqueue(&mut conn, &Noop { n: 2 }).await.unwrap();
    // The first ran out of attempts with an error (as apalis leaves such a job).
    sqlx::query(
        "UPDATE apalis.jobs SET status = 'Killed', attempts = 3, last_error = 'SMTP 554 refused',
             done_at = now() WHERE id = $1",
    )
    .bind(&dead)
    .execute(&mut *conn)
    .await
    .unwrap();

    let client = app.signed_in("kunde@example.de", &[]).await;
    let (status, _) = post(&client, &app, "/api/admin_jobs", &[]).await;
    assert_eq!(status, 403);

    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    let (status, view) = post(&admin, &app, "/api/admin_jobs", &[("state", "dead")]).await;
    assert_eq!(status, 200, "{view}");
    let jobs = view["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{view}");
    assert_eq!(jobs[0]["id"], dead.as_str());
    assert_eq!(jobs[0]["kind"], "ops_test_noop");
    assert_eq!(jobs[0]["error"], "SMTP 554 refused");
    let queue = view["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["kind"] == "ops_test_noop")
        .unwrap();
    assert!(
        queue["counts"].to_string().contains("[\"dead\",1]"),
        "{queue}"
    );

    // Retry: queued again with fresh attempts; a second retry finds nothing to retry.
    let (status, _) = post(&admin, &app, "/api/admin_retry_job", &[("id", &dead)]).await;
    assert_eq!(status, 200);
    let (status, _) = post(&admin, &app, "/api/admin_retry_job", &[("id", &dead)]).await;
    assert_eq!(status, 409);
    let (_, view) = post(&admin, &app, "/api/admin_jobs", &[("state", "queued")]).await;
    let ours = view["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == "ops_test_noop")
        .count();
    assert_eq!(ours, 2, "{view}");

    // Cancel: it never runs; the audit log says who.
    let (status, _) = post(&admin, &app, "/api/admin_cancel_job", &[("id", &waiting)]).await;
    assert_eq!(status, 200);
    let (_, view) = post(&admin, &app, "/api/admin_jobs", &[("state", "cancelled")]).await;
    assert_eq!(view["jobs"][0]["id"], waiting.as_str(), "{view}");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action IN ('job.retried', 'job.cancelled')"
        )
        .await,
        2
    );
    let (status, _) = post(&admin, &app, "/api/admin_jobs", &[("state", "nonsense")]).await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = false)]
async fn every_mail_template_previews_and_each_order_has_its_mail_history(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    let (status, first) = post(&admin, &app, "/api/admin_mail_preview", &[]).await;
    assert_eq!(status, 200, "{first}");
    let kinds: Vec<String> = serde_json::from_value(first["kinds"].clone()).unwrap();
    assert!(kinds.len() >= 12, "{kinds:?}");
    for kind in &kinds {
        for lang in ["de", "en"] {
            let (status, p) = post(
                &admin,
                &app,
                "/api/admin_mail_preview",
                &[("kind", kind), ("lang", lang)],
            )
            .await;
            assert_eq!(status, 200, "{kind}/{lang}: {p}");
            assert!(!p["subject"].as_str().unwrap().is_empty());
            assert!(p["html"]
                .as_str()
                .unwrap()
                .contains(&format!("lang=\"{lang}\"")));
        }
    }
    let (_, en) = post(
        &admin,
        &app,
        "/api/admin_mail_preview",
        &[("kind", "order_update"), ("lang", "en")],
    )
    .await;
    assert_eq!(en["subject"], "Your order 10042: completed");
    let (status, _) = post(
        &admin,
        &app,
        "/api/admin_mail_preview",
        &[("kind", "nope"), ("lang", "de")],
    )
    .await;
    assert_eq!(status, 404);

    // A purchase: its confirmation is in the order's and the buyer's history, sent.
    let client =
        common::client_with_cart(&app, "kaeufer@example.de", "instagram-follower", "1k", "1").await;
    let (status, started) = post(&client, &app, "/api/start_checkout", BILLING).await;
    assert_eq!(status, 200, "{started}");
    client
        .post(started["payment_url"].as_str().unwrap())
        .form(&[("choice", "pay")])
        .send()
        .await
        .unwrap();
    app.run_worker_until_idle().await;
    let order = started["order_id"].as_str().unwrap();
    let (status, mails) = post(&admin, &app, "/api/admin_order_mails", &[("id", order)]).await;
    assert_eq!(status, 200, "{mails}");
    let mails = mails.as_array().unwrap().clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["kind"], "order_confirmation");
    assert_eq!(mails[0]["state"], "sent");
    assert_eq!(mails[0]["attempts"], 1);
    assert!(
        mails[0]["answer"]
            .as_str()
            .unwrap()
            .contains("local outbox"),
        "{mails:?}"
    );
    let (_, person) = post(
        &admin,
        &app,
        "/api/admin_person_mails",
        &[("email", "KAEUFER@example.de")],
    )
    .await;
    let kinds: Vec<&str> = person
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"order_confirmation"), "{person}");
    // The client sees none of it.
    let (status, _) = post(&client, &app, "/api/admin_order_mails", &[("id", order)]).await;
    assert_eq!(status, 403);
}
