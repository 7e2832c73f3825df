//! Cheap requests stay cheap: body limits, the request timeout, inputs checked for length
//! before they reach rate-limit keys, the audit log or Argon2, and the rate limits of the
//! password reset and the lead form.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{lead_form, TestApp};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[sqlx::test(migrations = false)]
async fn an_oversized_body_is_refused_before_it_is_read(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let huge = "x".repeat(server::BODY_LIMIT_BYTES + 1);
    let res = app
        .post_form_fetch(
            "/api/log_in",
            &[("email", "a@example.de"), ("password", &huge)],
        )
        .await;
    assert_eq!(res.status(), 413);
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM rate_limits").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_client_that_stops_sending_is_cut_off(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("REQUEST_TIMEOUT_SECS", "1")]).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // Promises 100 bytes, sends 5, then waits.
    let head = format!(
        "POST /api/log_in HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail",
        app.config.public_origin()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the server answers instead of waiting forever")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[sqlx::test(migrations = false)]
async fn oversized_sign_in_fields_are_refused_before_any_work(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let long_email = format!("{}@example.de", "a".repeat(300));
    let long_password = "p".repeat(10_000);
    let res = app
        .post_form_fetch(
            "/api/log_in",
            &[("email", &long_email), ("password", &long_password)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    let issues = body["Validation"]["issues"].as_array().unwrap();
    let codes: Vec<(&str, &str)> = issues
        .iter()
        .map(|i| (i["field"].as_str().unwrap(), i["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, [("email", "TooLong"), ("password", "TooLong")]);
    // Nothing was counted or logged for it.
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM rate_limits").await, 0);
}

#[sqlx::test(migrations = false)]
async fn guessing_reset_links_is_rate_limited(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let form = [
        ("token", "guessed-token-that-does-not-exist"),
        ("password", common::PASSWORD),
    ];
    for _ in 0..20 {
        let res = app.post_form_fetch("/api/reset_password", &form).await;
        assert_eq!(res.status(), 400);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body, serde_json::json!("InvalidLink"));
    }
    let res = app.post_form_fetch("/api/reset_password", &form).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
}

#[sqlx::test(migrations = false)]
async fn the_lead_form_is_limited_per_recipient_and_per_sender(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // Five different messages to one address go through; the sixth does not.
    for i in 0..5 {
        let message = format!("Anfrage Nummer {i}");
        let res = app
            .post_form_fetch("/api/submit_lead", &lead_form("opfer@example.de", &message))
            .await;
        assert_eq!(res.status(), 200, "lead {i}");
    }
    let res = app
        .post_form_fetch(
            "/api/submit_lead",
            &lead_form("opfer@example.de", "Noch eine"),
        )
        .await;
    assert_eq!(res.status(), 429);
    assert_eq!(app.count("SELECT count(*) FROM leads").await, 5);
    // Other recipients from the same sender, up to 20 attempts in all (the refused one counts).
    for i in 0..14 {
        let email = format!("kunde{i}@example.de");
        let res = app
            .post_form_fetch("/api/submit_lead", &lead_form(&email, "Hallo"))
            .await;
        assert_eq!(res.status(), 200, "lead to {email}");
    }
    let res = app
        .post_form_fetch(
            "/api/submit_lead",
            &lead_form("noch.einer@example.de", "Hallo"),
        )
        .await;
    assert_eq!(res.status(), 429);
}

#[sqlx::test(migrations = false)]
async fn undecodable_arguments_are_a_bad_request_not_a_server_error(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // `message` has no default: leaving it out is the caller's mistake.
    let res = app
        .post_form_fetch(
            "/api/submit_lead",
            &[("name", "Anna"), ("email", "a@example.de")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!("BadRequest")
    );
    // A body that is not a form at all.
    let res = app
        .client
        .post(app.url("/api/log_in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=%ZZ&password[]=x&&&=")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Bytes that are not text at all.
    let res = app
        .client
        .post(app.url("/api/log_in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, 0x00, 0x80])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
