//! The lead flow end to end over HTTP: the form's server function, the queue, the real worker
//! loop, and mail arriving at a real SMTP server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{lead_form, Maildev, RunningWorker, TestApp};
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn a_lead_is_stored_queued_and_mailed_over_smtp(pool: PgPool) {
    let smtp = Maildev::start().await;
    let port = smtp.smtp_port.to_string();
    let app = TestApp::spawn_with(
        pool.clone(),
        &[
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", &port),
            ("SMTP_SECURITY", "none"),
        ],
    )
    .await;

    let res = app
        .post_form_fetch(
            "/api/submit_lead",
            &lead_form("anna@example.de", "Wir möchten wachsen."),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "duplicate": false }));
    assert_eq!(app.count("SELECT count(*) FROM leads").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM apalis.jobs WHERE status = 'Pending'")
            .await,
        1
    );

    // The real worker, as the `worker` binary runs it, against the same database.
    assert!(gd_mail::from_config(&app.config)
        .unwrap()
        .describe()
        .starts_with("SMTP 127.0.0.1"));
    let worker = RunningWorker::start(&app);

    let mails = smtp.wait_for(2).await;
    let to = |m: &serde_json::Value| {
        m["to"][0]["address"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let confirmation = mails
        .iter()
        .find(|m| to(m) == "anna@example.de")
        .expect("confirmation mail");
    assert_eq!(confirmation["subject"], "Ihre Anfrage bei Growthdesk");
    let text = confirmation["text"].as_str().unwrap();
    assert!(text.starts_with("Hallo Anna Schmidt"), "{text}");
    assert!(text.contains("> Wir möchten wachsen."), "{text}");
    let notification = mails
        .iter()
        .find(|m| to(m) == "team@growthdesk.localhost")
        .expect("agency mail");
    assert!(notification["subject"]
        .as_str()
        .unwrap()
        .contains("anna@example.de"));
    assert!(notification["text"]
        .as_str()
        .unwrap()
        .contains("Instagram: @anna.bakes"));

    // The job is marked done, and the lead remembers both mails.
    for _ in 0..50 {
        if app
            .count("SELECT count(*) FROM apalis.jobs WHERE status = 'Done'")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.count("SELECT count(*) FROM apalis.jobs WHERE status = 'Done'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM leads WHERE confirmation_sent_at IS NOT NULL AND notification_sent_at IS NOT NULL").await,
        1
    );

    // A double submission: same lead, no new job, no new mail.
    let res = app
        .post_form_fetch(
            "/api/submit_lead",
            &lead_form("ANNA@example.de", "Wir  möchten wachsen."),
        )
        .await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "duplicate": true }));
    app.wait_for_idle_queue().await;
    assert_eq!(app.count("SELECT count(*) FROM leads").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM apalis.jobs").await, 1);
    assert_eq!(smtp.emails().await.len(), 2);

    // Shutdown is graceful: the worker returns once told to stop.
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_failing_smtp_server_leaves_the_job_for_a_later_retry(pool: PgPool) {
    // Nothing listens on this port: delivery fails, the lead stays unmailed, the job is pushed
    // back rather than lost.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let app = TestApp::spawn_with(
        pool.clone(),
        &[
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", &dead_port),
            ("SMTP_SECURITY", "none"),
        ],
    )
    .await;
    app.post_form_fetch("/api/submit_lead", &lead_form("anna@example.de", "Hallo"))
        .await;
    let worker = RunningWorker::start(&app);
    let mut failed = 0;
    for _ in 0..100 {
        failed = app
            .count("SELECT count(*) FROM apalis.jobs WHERE status = 'Failed'")
            .await;
        if failed == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failed, 1, "the job is recorded as failed for now");
    let later = app
        .count("SELECT count(*) FROM apalis.jobs WHERE run_at > now() + interval '5 seconds'")
        .await;
    assert_eq!(later, 1, "the retry is scheduled with a back-off");
    assert_eq!(
        app.count("SELECT count(*) FROM leads WHERE confirmation_sent_at IS NULL")
            .await,
        1
    );
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn bad_input_gets_field_errors_and_stores_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app
        .post_form_fetch(
            "/api/submit_lead",
            &[
                ("name", ""),
                ("email", "anna-at-example"),
                ("message", "Hallo"),
                ("lang", "en"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    let issues = &body["Validation"]["issues"];
    let fields: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "email", "consent"]);
    assert_eq!(issues[1]["code"], "InvalidEmail");
    assert_eq!(app.count("SELECT count(*) FROM leads").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM apalis.jobs").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_form_post_without_javascript_redirects_to_the_thank_you_note(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app
        .post_form_html(
            "/api/submit_lead",
            &lead_form("anna@example.de", "Ohne JavaScript"),
            "/",
        )
        .await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/?lead=sent#contact");
    let page = app.get("/?lead=sent").await.text().await.unwrap();
    assert!(
        page.contains("Vielen Dank!"),
        "thank-you note rendered on the server"
    );
    assert_eq!(app.count("SELECT count(*) FROM leads").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_bad_form_post_without_javascript_comes_back_with_errors_and_the_values(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut form = lead_form("kaputt@", "Meine lange Nachricht");
    form.retain(|(k, _)| *k != "consent");
    form.retain(|(k, _)| *k != "lang");
    form.push(("lang", "en"));
    let res = app.post_form_html("/api/submit_lead", &form, "/en").await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/en?lead=invalid&issues="),
        "{location}"
    );
    assert!(location.ends_with("#contact"), "{location}");
    let page = app.get(&location).await.text().await.unwrap();
    assert!(
        page.contains("Please enter a valid email address"),
        "email error shown"
    );
    assert!(
        page.contains("Please agree to us processing your details"),
        "consent error shown"
    );
    assert!(page.contains("value=\"kaputt@\""), "the email is kept");
    assert!(
        page.contains("Meine lange Nachricht"),
        "the message is kept"
    );
    assert_eq!(app.count("SELECT count(*) FROM leads").await, 0);
}
