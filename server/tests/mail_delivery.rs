//! Mail delivery against a real SMTP server (maildev on loopback): each mail arrives in its
//! recipient's language as plain text with an HTML alternative and is recorded once in
//! `mail_outbox` with the server's answer; a delivery the server refuses is recorded as failed
//! and goes out on the job's retry; a mail with a secret link keeps no body once it left.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{lead_form, post, Maildev, RunningWorker, TestApp, BILLING, PASSWORD};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// Configuration that sends the app's and the worker's mail to `port` on loopback, unencrypted.
fn smtp_to(port: &str) -> [(&'static str, &str); 3] {
    [
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", port),
        ("SMTP_SECURITY", "none"),
    ]
}

/// A port nothing listens on: connecting is refused.
fn closed_port() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string()
}

/// One row of `mail_outbox`, as the admins' mail history shows it.
#[derive(Debug, sqlx::FromRow)]
struct Sent {
    id: Uuid,
    kind: String,
    lang: String,
    to_address: String,
    subject: String,
    order_id: Option<Uuid>,
    user_id: Option<Uuid>,
    state: String,
    attempts: i32,
    answer: Option<String>,
    sent: bool,
    text_body: Option<String>,
    html_body: Option<String>,
}

/// Every recorded mail, oldest first.
async fn outbox(pool: &PgPool) -> Vec<Sent> {
    sqlx::query_as(
        "SELECT id, kind, lang, to_address, subject, order_id, user_id, state, attempts, answer,
                sent_at IS NOT NULL AS sent, text_body, html_body
         FROM mail_outbox ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Waits (at most 20 s) until `n` mails are recorded and all of them are in `state`.
async fn outbox_settled(pool: &PgPool, n: usize, state: &str) -> Vec<Sent> {
    for _ in 0..200 {
        let rows = outbox(pool).await;
        if rows.len() == n && rows.iter().all(|r| r.state == state) {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "expected {n} mails {state} in the outbox, got {:#?}",
        outbox(pool).await
    );
}

fn recipient(mail: &Value) -> &str {
    mail["to"][0]["address"].as_str().unwrap_or_default()
}

/// The mail that arrived for `address` with a subject starting with `subject`; exactly one did.
fn mail_to<'a>(mails: &'a [Value], address: &str, subject: &str) -> &'a Value {
    let found: Vec<&Value> = mails
        .iter()
        .filter(|m| {
            recipient(m) == address
                && m["subject"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(subject))
        })
        .collect();
    assert_eq!(found.len(), 1, "mails '{subject}' to {address}: {mails:#?}");
    found[0]
}

/// The mail as it came over the wire (maildev keeps the raw message).
async fn source(smtp: &Maildev, mail: &Value) -> String {
    let id = mail["id"].as_str().unwrap();
    let url = format!("http://127.0.0.1:{}/api/email/{id}/source", smtp.web_port);
    let res = reqwest::get(url).await.unwrap();
    assert!(res.status().is_success());
    res.text().await.unwrap()
}

fn text(mail: &Value) -> &str {
    mail["text"].as_str().unwrap_or_default()
}

fn html(mail: &Value) -> &str {
    mail["html"].as_str().unwrap_or_default()
}

/// A new client buys one 5k followers package through the test gateway, the checkout in
/// `lang`; answers the order's id. The worker has not run yet.
async fn buy(app: &TestApp, email: &str, lang: &str) -> Uuid {
    let client = common::client_with_cart(app, email, "instagram-follower", "5k", "1").await;
    let billing: Vec<(&str, &str)> = BILLING
        .iter()
        .map(|&(k, v)| if k == "lang" { (k, lang) } else { (k, v) })
        .collect();
    let (status, started) = post(&client, app, "/api/start_checkout", &billing).await;
    assert_eq!(status, 200, "{started}");
    let res = client
        .post(started["payment_url"].as_str().unwrap())
        .form(&[("choice", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    started["order_id"].as_str().unwrap().parse().unwrap()
}

async fn order_number(pool: &PgPool, order: Uuid) -> i64 {
    sqlx::query_scalar("SELECT number FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn mails_arrive_in_the_recipients_language_and_are_tracked(pool: PgPool) {
    let smtp = Maildev::start().await;
    let port = smtp.smtp_port.to_string();
    let app = TestApp::spawn_with(pool.clone(), &smtp_to(&port)).await;
    app.seed_demo().await;

    let german = buy(&app, "erika@example.de", "de").await;
    let english = buy(&app, "emma@example.com", "en").await;
    app.run_worker_until_idle().await;
    let (de_number, en_number) = (
        order_number(&pool, german).await,
        order_number(&pool, english).await,
    );

    // Besides the confirmations, each buyer got the security notice of the password the test
    // helper set for the account.
    let mails = smtp.wait_for(4).await;
    assert_eq!(mails.len(), 4, "{mails:#?}");
    let de = mail_to(&mails, "erika@example.de", "Ihre Bestellung");
    assert_eq!(
        de["subject"],
        format!("Ihre Bestellung {de_number} bei Growthdesk")
    );
    assert!(
        text(de).starts_with("Hallo Erika Mustermann,"),
        "{}",
        text(de)
    );
    assert!(text(de).contains("vielen Dank für Ihre Bestellung"));
    assert!(text(de).contains(&format!("Bestellnummer: {de_number}")));
    assert!(!text(de).contains("thank you"), "{}", text(de));

    let en = mail_to(&mails, "emma@example.com", "Your Growthdesk order");
    assert_eq!(en["subject"], format!("Your Growthdesk order {en_number}"));
    assert!(
        text(en).starts_with("Hello Erika Mustermann,"),
        "{}",
        text(en)
    );
    assert!(text(en).contains("thank you for your order"));
    assert!(text(en).contains(&format!("Order number: {en_number}")));
    assert!(!text(en).contains("vielen Dank"), "{}", text(en));

    for (mail, number, lang) in [(de, de_number, "de"), (en, en_number, "en")] {
        // One message with both parts: clients show the HTML, the text stays for the others.
        let raw = source(&smtp, mail).await.to_lowercase();
        assert!(raw.contains("content-type: multipart/alternative"), "{raw}");
        assert!(raw.contains("content-type: text/plain"), "{raw}");
        assert!(raw.contains("content-type: text/html"), "{raw}");
        let html = html(mail);
        assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{html}");
        assert!(html.contains(&number.to_string()), "{html}");
        // The portal link is a link in the HTML part, in the mail's language.
        let path = if lang == "de" { "" } else { "/en" };
        assert!(
            html.contains(&format!("<a href=\"{}{path}/portal/orders/", app.base)),
            "{html}"
        );
    }

    // The outbox records each confirmation once, as sent, with the server's answer.
    let rows: Vec<Sent> = outbox(&pool)
        .await
        .into_iter()
        .filter(|r| r.kind == "order_confirmation")
        .collect();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    for (order, lang, to, mail) in [
        (german, "de", "erika@example.de", de),
        (english, "en", "emma@example.com", en),
    ] {
        let row = rows
            .iter()
            .find(|r| r.order_id == Some(order))
            .expect("a record of the order's mail");
        assert_eq!(row.lang, lang);
        assert_eq!(row.to_address, to);
        assert_eq!(Some(row.subject.as_str()), mail["subject"].as_str());
        assert_eq!(row.state, "sent");
        assert_eq!(row.attempts, 1);
        let answer = row.answer.as_deref().unwrap_or_default();
        assert!(answer.starts_with("250"), "{answer}");
        assert!(row.sent);
        assert!(row.user_id.is_some());
        // Nothing secret in an order confirmation: its words stay for the history.
        assert_eq!(row.text_body.as_deref(), Some(text(mail)));
        assert!(row.html_body.is_some());
        // The Message-ID names the record, so a mail sent again is the same mail to the client.
        let message_id = mail["headers"]["message-id"].as_str().unwrap_or_default();
        assert_eq!(message_id, format!("<{}@growthdesk.localhost>", row.id));
    }

    // The worker again: nothing is left to send, nothing arrives.
    app.run_worker_until_idle().await;
    assert_eq!(smtp.emails().await.len(), 4);

    // The confirmation job once more for both orders, as when a worker died after sending but
    // before marking the order: the outbox finds both mails sent and sends nothing.
    sqlx::query("UPDATE orders SET confirmation_mailed_at = NULL")
        .execute(&pool)
        .await
        .unwrap();
    for order_id in [german, english] {
        let mut conn = pool.acquire().await.unwrap();
        gd_jobs::enqueue(&mut conn, &gd_orders::OrderConfirmation { order_id })
            .await
            .unwrap();
    }
    app.run_worker_until_idle().await;
    assert_eq!(
        app.count(
            "SELECT count(*) FROM apalis.jobs
             WHERE job_type = 'growthdesk::order_confirmation' AND status = 'Done'"
        )
        .await,
        4,
        "the repeated jobs succeed"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE confirmation_mailed_at IS NOT NULL")
            .await,
        2
    );
    let again: Vec<Sent> = outbox(&pool)
        .await
        .into_iter()
        .filter(|r| r.kind == "order_confirmation")
        .collect();
    assert_eq!(again.len(), 2);
    assert!(
        again.iter().all(|r| r.state == "sent" && r.attempts == 1),
        "{again:#?}"
    );
    assert_eq!(smtp.emails().await.len(), 4, "no mail twice");
}

#[sqlx::test(migrations = false)]
async fn a_refused_or_unreachable_server_is_recorded_and_retried(pool: PgPool) {
    // First the mail server cannot be reached.
    let dead = closed_port();
    let app = TestApp::spawn_with(pool.clone(), &smtp_to(&dead)).await;
    let res = app
        .post_form_fetch(
            "/api/submit_lead",
            &lead_form("anna@example.de", "Wir möchten wachsen."),
        )
        .await;
    assert_eq!(res.status(), 200);
    let worker = RunningWorker::start(&app);
    let mut failed = 0;
    for _ in 0..200 {
        failed = app
            .count("SELECT count(*) FROM apalis.jobs WHERE status = 'Failed'")
            .await;
        if failed == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failed, 1, "the lead's job failed for now");
    worker.stop().await;

    // The first mail is recorded as failed with the reason; the second was not tried.
    let rows = outbox(&pool).await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let confirmation = &rows[0];
    assert_eq!(confirmation.kind, "lead_confirmation");
    assert_eq!(confirmation.lang, "de");
    assert!(
        confirmation.to_address.contains("<anna@example.de>"),
        "{}",
        confirmation.to_address
    );
    assert_eq!(confirmation.state, "failed");
    assert_eq!(confirmation.attempts, 1);
    assert!(!confirmation.sent);
    let answer = confirmation.answer.as_deref().unwrap_or_default();
    assert!(answer.starts_with("SMTP delivery failed"), "{answer}");
    assert!(answer.to_lowercase().contains("refused"), "{answer}");
    assert_eq!(
        app.count("SELECT count(*) FROM leads WHERE confirmation_sent_at IS NULL")
            .await,
        1
    );

    // The mail server is back; the job's back-off has run out and a worker (configured to
    // reach the server) retries it.
    let smtp = Maildev::start().await;
    let port = smtp.smtp_port.to_string();
    let app = TestApp::spawn_with(pool.clone(), &smtp_to(&port)).await;
    sqlx::query("UPDATE apalis.jobs SET run_at = now() WHERE status = 'Failed'")
        .execute(&pool)
        .await
        .unwrap();
    let worker = RunningWorker::start(&app);
    let mails = smtp.wait_for(2).await;
    let rows = outbox_settled(&pool, 2, "sent").await;
    worker.stop().await;

    assert_eq!(mails.len(), 2, "{mails:#?}");
    let to_lead = mail_to(&mails, "anna@example.de", "Ihre Anfrage");
    assert_eq!(to_lead["subject"], "Ihre Anfrage bei Growthdesk");
    assert!(text(to_lead).contains("> Wir möchten wachsen."));
    mail_to(&mails, "team@growthdesk.localhost", "");

    let confirmation = rows.iter().find(|r| r.id == confirmation.id).unwrap();
    assert_eq!(confirmation.attempts, 2, "the failed try and the good one");
    let answer = confirmation.answer.as_deref().unwrap_or_default();
    assert!(answer.starts_with("250"), "{answer}");
    assert!(confirmation.sent);
    let notification = rows.iter().find(|r| r.kind == "lead_notification").unwrap();
    assert_eq!(notification.to_address, "team@growthdesk.localhost");
    assert_eq!(notification.attempts, 1);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM leads
             WHERE confirmation_sent_at IS NOT NULL AND notification_sent_at IS NOT NULL"
        )
        .await,
        1
    );
}

#[sqlx::test(migrations = false)]
async fn a_mail_with_a_secret_link_keeps_no_body_once_sent(pool: PgPool) {
    let smtp = Maildev::start().await;
    let port = smtp.smtp_port.to_string();
    let app = TestApp::spawn_with(pool.clone(), &smtp_to(&port)).await;
    let worker = RunningWorker::start(&app);

    let res = app
        .client
        .post(app.url("/api/sign_up"))
        .form(&[
            ("email", "emma@example.com"),
            ("password", PASSWORD),
            ("lang", "en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let mails = smtp.wait_for(1).await;
    let mail = mail_to(&mails, "emma@example.com", "Please confirm");
    assert_eq!(mail["subject"], "Please confirm your email address");
    let body = text(mail);
    let start = body.find("/verify-email?token=").expect("a link") + "/verify-email?token=".len();
    let token = body[start..].split_whitespace().next().unwrap().to_owned();
    assert!(
        html(mail).contains(&format!("?token={token}\">")),
        "the link is a link in the HTML part: {}",
        html(mail)
    );

    let rows = outbox_settled(&pool, 1, "sent").await;
    worker.stop().await;
    let row = &rows[0];
    assert_eq!(row.kind, "verify_email");
    assert_eq!(row.lang, "en");
    assert_eq!(row.to_address, "emma@example.com");
    assert_eq!(row.subject, "Please confirm your email address");
    assert!(row.answer.as_deref().unwrap_or_default().starts_with("250"));
    assert!(row.user_id.is_some());
    assert_eq!(row.text_body, None);
    assert_eq!(row.html_body, None);
    assert_eq!(
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM mail_outbox m WHERE strpos(m::text, $1) > 0"
        )
        .bind(&token)
        .fetch_one(&pool)
        .await
        .unwrap(),
        0,
        "the token is nowhere in the mail's record"
    );

    // The link in the mail still does what it says.
    let res = app
        .client
        .post(app.url("/api/verify_email"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
