//! The Lexoffice client against a local `wiremock` server speaking Lexoffice's API: the
//! happy paths (contact, voucher, file, payment, categories), a 429 repeated until it
//! passes or given up, a 409 on a stale version, each error shape read into a clear
//! message, numbers sent as strings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gd_invoices::lexoffice::{error_message, Client, LexError, LocalPacer};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn saved(id: &str, version: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": id,
        "resourceUri": format!("https://api.lexware.io/v1/x/{id}"),
        "createdDate": "2026-12-02T09:00:00.000+01:00",
        "updatedDate": "2026-12-02T09:00:00.000+01:00",
        "version": version
    }))
}

fn no_pause() -> LocalPacer {
    LocalPacer::new(Duration::ZERO)
}

#[tokio::test]
async fn a_contact_is_created_read_and_updated_with_its_version() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/contacts"))
        .and(header("authorization", "Bearer lex-key"))
        .and(body_partial_json(
            json!({ "version": 0, "roles": { "customer": {} } }),
        ))
        .respond_with(saved("c-1", 1))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/contacts/c-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "c-1", "version": 3, "roles": { "customer": { "number": 10001 } },
            "company": { "name": "Muster GmbH" }
        })))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/contacts/c-1"))
        .and(body_partial_json(json!({ "version": 3 })))
        .respond_with(saved("c-1", 4))
        .expect(1)
        .mount(&server)
        .await;
    // A stale version is a conflict, not a success.
    Mock::given(method("PUT"))
        .and(path("/v1/contacts/c-1"))
        .and(body_partial_json(json!({ "version": 2 })))
        .respond_with(ResponseTemplate::new(409).set_body_string(""))
        .mount(&server)
        .await;
    let pacer = no_pause();
    let lex = Client::new(&format!("{}/v1", server.uri()), "lex-key", &pacer);
    let contact = json!({
        "roles": { "customer": {} },
        "company": { "name": "Muster GmbH", "vatRegistrationId": "DE123456789" },
        "addresses": { "billing": [{ "street": "Hauptstraße 5", "zip": "80331", "city": "München", "countryCode": "DE" }] }
    });
    let created = lex.create_contact(&contact).await.unwrap();
    assert_eq!((created.id.as_str(), created.version), ("c-1", 1));
    let current = lex.contact("c-1").await.unwrap();
    assert_eq!(current["version"], 3);
    let updated = lex.update_contact("c-1", 3, &contact).await.unwrap();
    assert_eq!(updated.version, 4);
    assert_eq!(
        lex.update_contact("c-1", 2, &contact).await,
        Err(LexError::Conflict)
    );
    server.verify().await;
}

#[tokio::test]
async fn too_many_requests_are_tried_again_then_given_up() {
    let server = MockServer::start().await;
    // Two 429s, then the voucher is created: three requests, one voucher.
    Mock::given(method("POST"))
        .and(path("/v1/vouchers"))
        .respond_with(
            ResponseTemplate::new(429).set_body_json(json!({ "message": "Too Many Requests" })),
        )
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/vouchers"))
        .and(body_partial_json(
            json!({ "type": "salesinvoice", "voucherNumber": "RE-2026-00001" }),
        ))
        .respond_with(saved("v-1", 1))
        .expect(1)
        .mount(&server)
        .await;
    // Always 429: given up after a few tries, as something to retry later.
    Mock::given(method("GET"))
        .and(path("/v1/payments/v-busy"))
        .respond_with(ResponseTemplate::new(429))
        .expect(4)
        .mount(&server)
        .await;
    let pacer = no_pause();
    let lex = Client::new(&format!("{}/v1", server.uri()), "k", &pacer);
    let voucher = json!({ "type": "salesinvoice", "voucherNumber": "RE-2026-00001" });
    assert_eq!(lex.create_voucher(&voucher).await.unwrap().id, "v-1");
    let busy = lex.payment("v-busy").await.unwrap_err();
    assert_eq!(busy, LexError::RateLimited);
    assert!(busy.is_transient());
    server.verify().await;
}

#[tokio::test]
async fn each_error_shape_reads_as_a_clear_error() {
    let server = MockServer::start().await;
    let answer =
        |status: u16, body: serde_json::Value| ResponseTemplate::new(status).set_body_json(body);
    // The legacy shape (contacts, files, vouchers).
    Mock::given(method("POST"))
        .and(path("/v1/contacts"))
        .respond_with(answer(406, json!({ "IssueList": [
            { "i18nKey": "missing_entity", "source": "company.name", "type": "validation_failure", "additionalData": null, "args": null }
        ]})))
        .mount(&server)
        .await;
    // The regular shape.
    Mock::given(method("GET"))
        .and(path("/v1/voucherlist"))
        .respond_with(answer(406, json!({
            "timestamp": "2026-12-02T09:00:00.000+01:00", "status": 406, "error": "Not Acceptable",
            "path": "/v1/voucherlist", "traceId": "90d78d0777be",
            "message": "Validation failed for request.",
            "details": [{ "violation": "NOTNULL", "field": "voucherType", "message": "darf nicht leer sein" }]
        })))
        .mount(&server)
        .await;
    // A bare issue, as seen on a file upload.
    Mock::given(method("POST"))
        .and(path("/v1/vouchers/v-1/files"))
        .respond_with(answer(400, json!({ "i18nKey": "bad_request_error", "source": "Required part 'file' is not present" })))
        .mount(&server)
        .await;
    // The gateway's shape: a wrong key, and a server error without a message.
    Mock::given(method("GET"))
        .and(path("/v1/posting-categories"))
        .respond_with(answer(401, json!({ "message": "Unauthorized" })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payments/v-1"))
        .respond_with(answer(500, json!({ "message": null })))
        .mount(&server)
        .await;
    let pacer = no_pause();
    let lex = Client::new(&format!("{}/v1", server.uri()), "k", &pacer);
    assert_eq!(
        lex.create_contact(&json!({})).await,
        Err(LexError::Refused {
            status: 406,
            message: "missing_entity (validation_failure): company.name".into()
        })
    );
    assert_eq!(
        lex.voucher_by_number("RE-2026-00001").await,
        Err(LexError::Refused {
            status: 406,
            message: "Validation failed for request.; voucherType: darf nicht leer sein (NOTNULL); trace 90d78d0777be".into()
        })
    );
    assert_eq!(
        lex.attach_file("v-1", "RE-2026-00001.pdf", b"%PDF-").await,
        Err(LexError::Refused {
            status: 400,
            message: "bad_request_error: Required part 'file' is not present".into()
        })
    );
    let refused = lex.categories().await.unwrap_err();
    assert_eq!(
        refused,
        LexError::Unauthorized {
            status: 401,
            message: "Unauthorized".into()
        }
    );
    assert!(!refused.is_transient(), "a wrong key needs a person");
    let down = lex.payment("v-1").await.unwrap_err();
    assert_eq!(down, LexError::Unavailable("500: no message".into()));
    assert!(down.is_transient());
    // No JSON at all: the text itself.
    assert_eq!(error_message("Bad Gateway"), "Bad Gateway");
}

#[tokio::test]
async fn vouchers_are_found_by_number_files_attached_payments_read() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/voucherlist"))
        .and(query_param("voucherNumber", "RE-2026-00007"))
        .and(query_param("voucherStatus", "any"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "content": [{ "id": "v-7", "voucherType": "salesinvoice", "voucherNumber": "RE-2026-00007", "voucherStatus": "open" }],
            "totalPages": 1, "totalElements": 1, "first": true, "last": true, "size": 25, "number": 0
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/voucherlist"))
        .and(query_param("voucherNumber", "RE-2026-00008"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "content": [] })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/vouchers/v-7/files"))
        .and(header("authorization", "Bearer k"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({ "id": "f-1" })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payments/v-7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "openAmount": "0.00", "currency": "EUR", "paymentStatus": "balanced",
            "voucherType": "salesinvoice", "voucherStatus": "paid",
            "paidDate": "2026-12-02T13:42:02.123+01:00", "paymentItems": []
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/posting-categories"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            { "id": "8f8664a0-fd86-11e1-a21f-0800200c9a66", "name": "Dienstleistungen", "type": "income", "contactRequired": false, "splitAllowed": true, "groupName": "Einnahmen" }
        ])))
        .mount(&server)
        .await;
    let pacer = no_pause();
    let lex = Client::new(&format!("{}/v1", server.uri()), "k", &pacer);
    assert_eq!(
        lex.voucher_by_number("RE-2026-00007").await.unwrap(),
        Some("v-7".to_owned())
    );
    assert_eq!(lex.voucher_by_number("RE-2026-00008").await.unwrap(), None);
    lex.attach_file("v-7", "RE-2026-00007.pdf", b"%PDF-1.7 test")
        .await
        .unwrap();
    let paid = lex.payment("v-7").await.unwrap();
    assert_eq!(paid.status, "balanced");
    assert_eq!(paid.voucher_status, "paid");
    assert_eq!(paid.open_amount, 0.0);
    assert_eq!(paid.paid_date.as_deref(), Some("2026-12-02"));
    let categories = lex.categories().await.unwrap();
    assert_eq!(categories[0].name, "Dienstleistungen");
    assert_eq!(categories[0].kind, "income");
    // The file went as a multipart part named `file`.
    let requests = server.received_requests().await.unwrap();
    let upload = requests
        .iter()
        .find(|r| r.url.path() == "/v1/vouchers/v-7/files")
        .unwrap();
    let body = String::from_utf8_lossy(&upload.body);
    assert!(body.contains("name=\"file\""), "{body}");
    assert!(body.contains("%PDF-1.7 test"));
    server.verify().await;
}
