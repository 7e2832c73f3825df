//! The bookkeeping sync against a real PostgreSQL and a local `wiremock` server speaking
//! Lexoffice's API: an invoice pushed with its contact and PDF and its payment read back; a
//! create whose answer was lost found by number instead of made twice; a stale contact
//! version (409) read again and retried; a refusal recorded for finance and retried on
//! request; what the schedule enqueues; the pacer shared through the database; the digest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gd_invoices::fixtures::{self, CONSUMER, GERMAN_BUSINESS};
use gd_invoices::issue::{self, Settings};
use gd_invoices::lexoffice::{Client, LocalPacer};
use gd_invoices::sync::{self, DbPacer, SyncSettings, Synced};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn config() -> gd_config::Config {
    gd_config::Config::from_vars(Default::default()).unwrap()
}

async fn issued(pool: &PgPool, buyer: &fixtures::Buyer<'_>) -> Uuid {
    let order = fixtures::paid_order(pool, buyer).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let id = issue::for_order(&mut tx, order, &Settings::from_config(&config()))
        .await
        .unwrap()
        .id()
        .unwrap();
    tx.commit().await.unwrap();
    id
}

fn storage() -> gd_storage::Folder {
    let dir = std::env::temp_dir().join(format!("gd-sync-{}", Uuid::now_v7()));
    gd_storage::Folder::new(dir).unwrap()
}

fn saved(id: &str, version: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": id, "resourceUri": format!("https://api.lexware.io/v1/x/{id}"),
        "createdDate": "2026-12-02T09:00:00.000+01:00",
        "updatedDate": "2026-12-02T09:00:00.000+01:00", "version": version
    }))
}

fn empty_page() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "content": [], "totalPages": 0, "totalElements": 0, "last": true, "first": true,
        "size": 25, "number": 0, "numberOfElements": 0
    }))
}

fn payment(status: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "openAmount": if status == "balanced" { 0.0 } else { 75.87 },
        "currency": "EUR", "paymentStatus": status, "voucherType": "salesinvoice",
        "voucherStatus": if status == "balanced" { "paid" } else { "open" },
        "paidDate": if status == "balanced" { json!("2026-12-03T00:00:00.000+01:00") } else { json!(null) },
        "paymentItems": []
    }))
}

struct SyncRow {
    state: String,
    voucher_id: Option<String>,
    file_attached: bool,
    attempts: i32,
    last_error: Option<String>,
    payment_status: Option<String>,
    retry_in_hours: Option<f64>,
}

async fn sync_row(pool: &PgPool, id: Uuid) -> SyncRow {
    let r = sqlx::query_as::<
        _,
        (
            String,
            Option<String>,
            bool,
            i32,
            Option<String>,
            Option<String>,
            Option<f64>,
        ),
    >(
        "SELECT state, voucher_id, file_attached, attempts, last_error, payment_status,
                extract(epoch FROM next_try_at - now())::float8 / 3600
         FROM invoice_sync WHERE invoice_id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    SyncRow {
        state: r.0,
        voucher_id: r.1,
        file_attached: r.2,
        attempts: r.3,
        last_error: r.4,
        payment_status: r.5,
        retry_in_hours: r.6,
    }
}

fn settings() -> SyncSettings {
    SyncSettings::from_config(&config())
}

/// Lexoffice has neither a voucher with our number nor a contact with the buyer's address.
async fn knows_nothing(server: &MockServer) {
    for p in ["/voucherlist", "/contacts"] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(empty_page())
            .mount(server)
            .await;
    }
}

/// Lexoffice takes voucher `v`'s PDF (once) and says its payment is open.
async fn takes_the_pdf(server: &MockServer, v: &str) {
    Mock::given(method("POST"))
        .and(path(format!("/vouchers/{v}/files")))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({ "id": "f-1" })))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/payments/{v}")))
        .respond_with(payment("openRevenue"))
        .mount(server)
        .await;
}

#[sqlx::test(migrations = false)]
async fn an_invoice_is_pushed_with_its_contact_and_pdf_and_its_payment_read_back(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let id = issued(&pool, &GERMAN_BUSINESS).await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/voucherlist"))
        .respond_with(empty_page())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .and(query_param("customer", "true"))
        .respond_with(empty_page())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts"))
        .and(body_partial_json(json!({
            "version": 0, "roles": { "customer": {} },
            "company": { "name": "Muster & Söhne GmbH", "vatRegistrationId": "DE123456789" }
        })))
        .respond_with(saved("c-1", 1))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/vouchers"))
        .and(body_partial_json(json!({
            "type": "salesinvoice", "taxType": "gross", "contactId": "c-1",
            "useCollectiveContact": false,
            "voucherItems": [{ "taxRatePercent": 19.0,
                               "categoryId": "8f8664a0-fd86-11e1-a21f-0800200c9a66" }]
        })))
        .respond_with(saved("v-1", 1))
        .expect(1)
        .mount(&server)
        .await;
    takes_the_pdf(&server, "v-1").await;

    let pacer = LocalPacer::new(Duration::ZERO);
    let client = Client::new(&server.uri(), "key", &pacer);
    let store = storage();
    let synced = sync::sync_invoice(&pool, &client, &store, &settings(), id, None)
        .await
        .unwrap();
    assert_eq!(
        synced,
        Synced::Pushed {
            voucher_id: "v-1".into(),
            payment: Some("openRevenue".into())
        }
    );
    let row = sync_row(&pool, id).await;
    assert_eq!(row.state, "pushed");
    assert_eq!(row.voucher_id.as_deref(), Some("v-1"));
    assert!(row.file_attached);
    assert_eq!(row.payment_status.as_deref(), Some("openRevenue"));

    // What Lexoffice received: the amounts of the invoice, our number, its PDF.
    let received = server.received_requests().await.unwrap();
    let voucher: serde_json::Value = received
        .iter()
        .find(|r| r.url.path() == "/vouchers")
        .unwrap()
        .body_json()
        .unwrap();
    let number: String = sqlx::query_scalar("SELECT number FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let total: i64 = sqlx::query_scalar("SELECT total FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(voucher["voucherNumber"], json!(number));
    assert_eq!(voucher["totalGrossAmount"], json!(total as f64 / 100.0));
    let file: &Request = received
        .iter()
        .find(|r| r.url.path() == "/vouchers/v-1/files")
        .unwrap();
    let body = String::from_utf8_lossy(&file.body);
    assert!(body.contains("name=\"file\""), "{body:.200}");
    assert!(body.contains("%PDF-"), "the PDF is attached");

    // Next time only the payment is read: paid in Lexoffice now.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/payments/v-1"))
        .respond_with(payment("balanced"))
        .expect(1)
        .mount(&server)
        .await;
    let again = sync::sync_invoice(&pool, &client, &store, &settings(), id, None)
        .await
        .unwrap();
    assert_eq!(
        again,
        Synced::Checked {
            payment: "balanced".into()
        }
    );
    assert_eq!(
        sync_row(&pool, id).await.payment_status.as_deref(),
        Some("balanced")
    );
    // A balanced voucher is not asked about again.
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("UPDATE invoice_sync SET payment_checked_at = now() - interval '1 day'")
        .execute(&mut *conn)
        .await
        .unwrap();
    assert_eq!(sync::enqueue_due(&mut conn, 10).await.unwrap(), 0);
}

#[sqlx::test(migrations = false)]
async fn a_create_whose_answer_was_lost_is_found_by_number(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let id = issued(&pool, &CONSUMER).await;
    let number: String = sqlx::query_scalar("SELECT number FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let server = MockServer::start().await;
    // The first try's POST went through but its answer never came back.
    Mock::given(method("GET"))
        .and(path("/voucherlist"))
        .and(query_param("voucherNumber", number.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "content": [{ "id": "v-lost", "voucherType": "salesinvoice",
                          "voucherNumber": number, "voucherStatus": "open" }],
            "totalPages": 1, "totalElements": 1, "last": true
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/vouchers"))
        .respond_with(saved("v-twice", 1))
        .expect(0)
        .mount(&server)
        .await;
    takes_the_pdf(&server, "v-lost").await;
    let pacer = LocalPacer::new(Duration::ZERO);
    let client = Client::new(&server.uri(), "key", &pacer);
    let synced = sync::sync_invoice(&pool, &client, &storage(), &settings(), id, None)
        .await
        .unwrap();
    assert!(matches!(synced, Synced::Pushed { ref voucher_id, .. } if voucher_id == "v-lost"));
    assert_eq!(sync_row(&pool, id).await.state, "pushed");
}

#[sqlx::test(migrations = false)]
async fn a_changed_client_is_updated_and_a_stale_version_read_again(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let id = issued(&pool, &CONSUMER).await;
    let user: Uuid = sqlx::query_scalar("SELECT user_id FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    // Known from an earlier invoice, with other details then.
    sqlx::query(
        "INSERT INTO lexoffice_contacts (user_id, contact_id, version, fingerprint)
         VALUES ($1, 'c-7', 2, 'old')",
    )
    .bind(user)
    .execute(&pool)
    .await
    .unwrap();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/voucherlist"))
        .respond_with(empty_page())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "c-7", "version": 3, "roles": { "customer": { "number": 10007 } },
            "person": { "lastName": "Alt" }, "note": "vom Steuerbüro"
        })))
        .expect(2)
        .mount(&server)
        .await;
    // Someone changed it meanwhile: the first update is refused, the second goes through.
    Mock::given(method("PUT"))
        .and(path("/contacts/c-7"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "IssueList": [{ "i18nKey": "optimistic_locking", "source": "version" }]
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/contacts/c-7"))
        .and(body_partial_json(json!({
            "version": 3, "roles": { "customer": { "number": 10007 } }
        })))
        .respond_with(saved("c-7", 4))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/vouchers"))
        .and(body_partial_json(json!({ "contactId": "c-7" })))
        .respond_with(saved("v-2", 1))
        .expect(1)
        .mount(&server)
        .await;
    takes_the_pdf(&server, "v-2").await;
    let pacer = LocalPacer::new(Duration::ZERO);
    let client = Client::new(&server.uri(), "key", &pacer);
    let synced = sync::sync_invoice(&pool, &client, &storage(), &settings(), id, None)
        .await
        .unwrap();
    assert!(matches!(synced, Synced::Pushed { .. }), "{synced:?}");
    // The update kept Lexoffice's own fields and took the client's name.
    let received = server.received_requests().await.unwrap();
    let put: serde_json::Value = received
        .iter()
        .rfind(|r| r.method.as_str() == "PUT")
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(put["note"], json!("vom Steuerbüro"));
    assert_ne!(put["person"]["lastName"], json!("Alt"));
    let print: String =
        sqlx::query_scalar("SELECT fingerprint FROM lexoffice_contacts WHERE user_id = $1")
            .bind(user)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_ne!(print, "old");
}

#[sqlx::test(migrations = false)]
async fn a_refusal_is_recorded_for_finance_and_retried_on_request(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let id = issued(&pool, &CONSUMER).await;
    let server = MockServer::start().await;
    knows_nothing(&server).await;
    Mock::given(method("POST"))
        .and(path("/contacts"))
        .respond_with(saved("c-1", 1))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/vouchers"))
        .respond_with(ResponseTemplate::new(406).set_body_json(json!({
            "timestamp": "2026-12-02T10:00:00.000+01:00", "status": 406,
            "error": "Not Acceptable", "path": "/v1/vouchers", "traceId": "t-1",
            "message": "Validation failed for request.",
            "details": [{ "violation": "NOTNULL", "field": "voucherDate",
                          "message": "darf nicht leer sein" }]
        })))
        .mount(&server)
        .await;
    let pacer = LocalPacer::new(Duration::ZERO);
    let client = Client::new(&server.uri(), "key", &pacer);
    let synced = sync::sync_invoice(&pool, &client, &storage(), &settings(), id, None)
        .await
        .unwrap();
    assert!(
        matches!(
            synced,
            Synced::Failed {
                transient: false,
                ..
            }
        ),
        "{synced:?}"
    );
    let row = sync_row(&pool, id).await;
    assert_eq!(row.state, "failed");
    assert_eq!(row.attempts, 1);
    let error = row.last_error.unwrap();
    assert!(error.contains("406"), "{error}");
    assert!(
        error.contains("voucherDate: darf nicht leer sein"),
        "{error}"
    );
    // A refusal waits a day (a person has to look), unless finance asks now.
    assert!(row.retry_in_hours.unwrap() > 23.0);
    // Finance finds it by its state.
    let by_state = |state: &str| gd_invoices::store::Filter {
        sync: Some(state.to_owned()),
        ..Default::default()
    };
    let mut conn = pool.acquire().await.unwrap();
    let (failed, _) = gd_invoices::store::list(&mut conn, &by_state("failed"), 10)
        .await
        .unwrap();
    assert_eq!(failed.iter().map(|l| l.id).collect::<Vec<_>>(), vec![id]);
    let (waiting, _) = gd_invoices::store::list(&mut conn, &by_state("waiting"), 10)
        .await
        .unwrap();
    assert!(waiting.is_empty());
    drop(conn);
    // The contact was made and kept: the next try does not make another.
    let contact: String = sqlx::query_scalar("SELECT contact_id FROM lexoffice_contacts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(contact, "c-1");

    let mut tx = pool.begin().await.unwrap();
    assert!(sync::retry_now(&mut tx, id).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(sync_row(&pool, id).await.state, "queued");
    let jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::sync_invoice'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(jobs, 1);
    // Only a failed push is retried by hand.
    let mut conn = pool.acquire().await.unwrap();
    assert!(!sync::retry_now(&mut conn, id).await.unwrap());
}

#[sqlx::test(migrations = false)]
async fn the_schedule_enqueues_each_due_invoice_once(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    issued(&pool, &CONSUMER).await;
    issued(&pool, &GERMAN_BUSINESS).await;
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(sync::enqueue_due(&mut conn, 10).await.unwrap(), 2);
    // Queued now: not again while their jobs run.
    assert_eq!(sync::enqueue_due(&mut conn, 10).await.unwrap(), 0);
    let jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::sync_invoice'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(jobs, 2);
    // A failed one is due again once its time has come.
    sqlx::query(
        "UPDATE invoice_sync SET state = 'failed', next_try_at = now() - interval '1 minute'",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    assert_eq!(sync::enqueue_due(&mut conn, 1).await.unwrap(), 1);
}

#[sqlx::test(migrations = false)]
async fn every_process_takes_its_turn_from_one_pacer(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let spacing = Duration::from_millis(400);
    // Two processes' pacers, one slot in the database.
    let a = DbPacer::new(pool.clone(), spacing);
    let b = DbPacer::new(pool.clone(), spacing);
    let w1 = a.slot_wait().await.unwrap();
    let w2 = b.slot_wait().await.unwrap();
    let w3 = a.slot_wait().await.unwrap();
    // Each call's slot is one spacing after the one before (whoever took it).
    assert!(w1 < spacing, "{w1:?}");
    assert!(w2 >= spacing - Duration::from_millis(100), "{w2:?}");
    assert!(w3 >= 2 * spacing - Duration::from_millis(200), "{w3:?}");
    assert!(w3 > w2 && w2 > w1);
}

#[sqlx::test(migrations = false)]
async fn finance_gets_a_daily_digest_once(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let id = issued(&pool, &CONSUMER).await;
    sqlx::query(
        "INSERT INTO invoice_sync (invoice_id, state, attempts, last_error)
         VALUES ($1, 'failed', 2, 'Lexoffice refused the key (401): Unauthorized')",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let finance = Uuid::now_v7();
    sqlx::query("INSERT INTO users (id, email, locale) VALUES ($1, 'finanzen@example.de', 'de')")
        .bind(finance)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, 'finance')")
        .bind(finance)
        .execute(&pool)
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("gd-digest-{}", Uuid::now_v7()));
    let from: lettre::message::Mailbox = "Growthdesk <team@growthdesk.localhost>".parse().unwrap();
    let mailer = gd_mail::OutboxMailer::new(&dir, from).unwrap();
    // The invoice was issued today, in Berlin (as invoices are dated): tomorrow's digest
    // reports it. (UTC's date differs between 23:00 and midnight.)
    let today: chrono::NaiveDate =
        sqlx::query_scalar("SELECT (now() AT TIME ZONE 'Europe/Berlin')::date")
            .fetch_one(&pool)
            .await
            .unwrap();
    let tomorrow = today.succ_opt().unwrap();
    let sent =
        gd_invoices::digest::send_daily(&pool, &mailer, "http://127.0.0.1:3000", None, tomorrow)
            .await
            .unwrap();
    assert_eq!(sent, 1);
    let mails = gd_mail::read_outbox(&dir, 10).await.unwrap();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, "finanzen@example.de");
    assert!(mail.subject.contains("1 Rechnungen"), "{}", mail.subject);
    assert!(mail.body.contains("RE-"), "{}", mail.body);
    assert!(mail.body.contains("Unauthorized"), "{}", mail.body);
    assert!(
        mail.body.contains("http://127.0.0.1:3000/finance"),
        "{}",
        mail.body
    );
    // Once a day: the same day again sends nothing.
    let again =
        gd_invoices::digest::send_daily(&pool, &mailer, "http://127.0.0.1:3000", None, tomorrow)
            .await
            .unwrap();
    assert_eq!(again, 0);
}
