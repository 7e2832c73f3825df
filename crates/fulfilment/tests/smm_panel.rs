#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The SMM panel API v2 client against a real HTTP server on loopback (wiremock), answering
//! the way panels do in the wild: numbers as strings, errors with HTTP 200, slow or broken pages.

use std::collections::HashMap;
use std::time::Duration;

use gd_fulfilment::smm_panel::{
    AddOrder, Balance, DripFeed, Panel, PanelError, Rate, Service, Status, MAX_BATCH,
};
use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

const KEY: &str = "test-key-123";

/// The request's form fields, decoded (commas and spaces arrive percent-encoded).
fn form(request: &Request) -> HashMap<String, String> {
    let body = String::from_utf8_lossy(&request.body);
    let url = reqwest::Url::parse(&format!("http://form.invalid/?{body}")).unwrap();
    url.query_pairs().into_owned().collect()
}

/// Matches a request whose form field `name` is exactly `value`.
fn field(name: &'static str, value: &str) -> impl Fn(&Request) -> bool + Send + Sync {
    let value = value.to_owned();
    move |request: &Request| form(request).get(name) == Some(&value)
}

/// A POST to the panel's one endpoint, as a form, with our key and this action.
fn call(action: &str) -> MockBuilder {
    Mock::given(method("POST"))
        .and(path("/api/v2"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains(format!("key={KEY}")))
        .and(body_string_contains(format!("action={action}")))
        .and(field("key", KEY))
        .and(field("action", action))
}

async fn panel_at(server: &MockServer) -> Panel {
    Panel::new(
        reqwest::Client::new(),
        format!("{}/api/v2", server.uri()),
        KEY,
    )
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn services_read_mixed_strings_numbers_and_bool_spellings() {
    let server = MockServer::start().await;
    call("services")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"service": 1, "name": "Followers", "type": "Default", "category": "Instagram",
             "rate": "0.90", "min": "50", "max": "10000", "refill": true, "cancel": "1", "dripfeed": 0},
            {"service": "2", "name": "Likes", "type": "Default", "category": "Instagram",
             "rate": 0.2, "min": 10, "max": 5000, "refill": "false", "cancel": 1, "dripfeed": "true"},
            {"service": 3, "name": "Views", "type": "Default", "category": "Reels",
             "rate": "0.0045", "min": 100, "max": 1000000, "refill": "0", "cancel": false}
        ])))
        .expect(1)
        .mount(&server)
        .await;

    let services = panel_at(&server).await.services().await.unwrap();

    assert_eq!(
        services[0],
        Service {
            service: "1".into(),
            name: "Followers".into(),
            kind: "Default".into(),
            category: "Instagram".into(),
            rate: Rate::from_micros(900_000),
            min: 50,
            max: 10_000,
            refill: true,
            cancel: true,
            dripfeed: false,
        }
    );
    assert_eq!(services[1].service, "2");
    assert_eq!(services[1].rate.micros(), 200_000);
    assert_eq!((services[1].min, services[1].max), (10, 5000));
    assert_eq!(
        (services[1].refill, services[1].cancel, services[1].dripfeed),
        (false, true, true)
    );
    assert_eq!(services[2].rate.micros(), 4_500);
    assert_eq!(services[2].rate.cost_micros(1000), 4_500);
    assert!(!services[2].refill && !services[2].cancel && !services[2].dripfeed);
}

#[tokio::test]
async fn a_service_with_an_unreadable_rate_fails_the_list_rather_than_costing_nothing() {
    let server = MockServer::start().await;
    call("services")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"service": 1, "name": "Followers", "rate": "cheap", "min": 1, "max": 2}
        ])))
        .mount(&server)
        .await;

    let err = panel_at(&server).await.services().await.unwrap_err();

    assert!(
        matches!(&err, PanelError::Unreadable(what) if what.contains("rate")),
        "{err:?}"
    );
}

#[tokio::test]
async fn add_sends_the_order_and_answers_the_panels_id() {
    let server = MockServer::start().await;
    call("add")
        .and(field("service", "1"))
        .and(field("link", "https://instagram.com/p/abc?x=1&y=2"))
        .and(field("quantity", "500"))
        .and(|request: &Request| !form(request).contains_key("runs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"order": 23501})))
        .expect(1)
        .mount(&server)
        .await;
    let order = AddOrder {
        service: "1".into(),
        link: "https://instagram.com/p/abc?x=1&y=2".into(),
        quantity: 500,
        drip_feed: None,
    };

    assert_eq!(panel_at(&server).await.add(&order).await.unwrap(), "23501");
}

#[tokio::test]
async fn add_reads_an_order_id_written_as_text() {
    let server = MockServer::start().await;
    call("add")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"order": "A-77"})))
        .mount(&server)
        .await;
    let order = AddOrder {
        service: "1".into(),
        link: "x".into(),
        quantity: 10,
        drip_feed: None,
    };

    assert_eq!(panel_at(&server).await.add(&order).await.unwrap(), "A-77");
}

#[tokio::test]
async fn add_with_drip_feed_sends_runs_and_interval() {
    let server = MockServer::start().await;
    call("add")
        .and(field("quantity", "100"))
        .and(field("runs", "5"))
        .and(field("interval", "30"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"order": 9})))
        .expect(1)
        .mount(&server)
        .await;
    let order = AddOrder {
        service: "2".into(),
        link: "https://instagram.com/p/abc".into(),
        quantity: 100,
        drip_feed: Some(DripFeed {
            runs: 5,
            interval_minutes: 30,
        }),
    };

    assert_eq!(panel_at(&server).await.add(&order).await.unwrap(), "9");
}

#[tokio::test]
async fn an_error_answered_with_http_200_is_a_refusal_with_the_panels_words() {
    let server = MockServer::start().await;
    call("add")
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"error": "Not enough funds on balance"})),
        )
        .mount(&server)
        .await;
    let order = AddOrder {
        service: "1".into(),
        link: "x".into(),
        quantity: 10,
        drip_feed: None,
    };

    let err = panel_at(&server).await.add(&order).await.unwrap_err();

    assert!(
        matches!(&err, PanelError::Refused(m) if m == "Not enough funds on balance"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_error_answered_with_http_400_is_a_refusal_too() {
    let server = MockServer::start().await;
    call("balance")
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "Invalid API key"})))
        .mount(&server)
        .await;

    let err = panel_at(&server).await.balance().await.unwrap_err();

    assert!(
        matches!(&err, PanelError::Refused(m) if m == "Invalid API key"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_server_error_page_is_an_http_error_with_the_start_of_the_body() {
    let server = MockServer::start().await;
    let page = format!(
        "<html><body><h1>502 Bad Gateway</h1>{}</body></html>",
        "x".repeat(500)
    );
    call("balance")
        .respond_with(ResponseTemplate::new(500).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;

    let err = panel_at(&server).await.balance().await.unwrap_err();

    match err {
        PanelError::Http { status, body } => {
            assert_eq!(status, 500);
            assert!(
                body.starts_with("<html><body><h1>502 Bad Gateway"),
                "{body}"
            );
            assert_eq!(body.chars().count(), 200);
        }
        other => panic!("expected Http, got {other:?}"),
    }
}

#[tokio::test]
async fn an_error_page_echoing_the_key_does_not_carry_it_further() {
    let server = MockServer::start().await;
    call("balance")
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_string(format!("bad request key={KEY}&action=balance")),
        )
        .mount(&server)
        .await;

    let err = panel_at(&server).await.balance().await.unwrap_err();

    let printed = format!("{err:?} {err}");
    assert!(
        !printed.contains(KEY) && printed.contains("key=***"),
        "{printed}"
    );
}

#[tokio::test]
async fn garbage_instead_of_json_is_unreadable() {
    let server = MockServer::start().await;
    call("balance")
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"balance\": 12,"))
        .mount(&server)
        .await;

    let err = panel_at(&server).await.balance().await.unwrap_err();

    assert!(matches!(err, PanelError::Unreadable(_)), "{err:?}");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_unreadable() {
    let server = MockServer::start().await;
    call("services")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"services": []})))
        .mount(&server)
        .await;

    let err = panel_at(&server).await.services().await.unwrap_err();

    assert!(matches!(err, PanelError::Unreadable(_)), "{err:?}");
}

#[tokio::test]
async fn status_of_one_order_reads_a_partial_delivery() {
    let server = MockServer::start().await;
    call("status")
        .and(field("order", "23501"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "charge": "0.27819", "start_count": "3572", "status": "Partial",
            "remains": "157", "currency": "USD"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let state = panel_at(&server).await.status("23501").await.unwrap();

    assert_eq!(state.status, Status::Partial);
    assert!(state.status.is_final());
    assert_eq!(state.charge_micros, Some(278_190));
    assert_eq!(state.start_count, Some(3572));
    assert_eq!(state.remains, Some(157));
    assert_eq!(state.currency.as_deref(), Some("USD"));
}

#[tokio::test]
async fn status_leaves_empty_numbers_empty_while_pending() {
    let server = MockServer::start().await;
    call("status")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "charge": 0.9, "start_count": "", "status": "Pending", "remains": 1000
        })))
        .mount(&server)
        .await;

    let state = panel_at(&server).await.status("1").await.unwrap();

    assert_eq!(state.status, Status::Pending);
    assert!(!state.status.is_final());
    assert_eq!(state.charge_micros, Some(900_000));
    assert_eq!(
        (state.start_count, state.remains, state.currency),
        (None, Some(1000), None)
    );
}

#[tokio::test]
async fn statuses_answer_each_id_on_its_own() {
    let server = MockServer::start().await;
    call("status")
        .and(field("orders", "1,2,3"))
        .and(body_string_contains("orders=1%2C2%2C3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "1": {"charge": "0.27819", "start_count": "3572", "status": "Partial", "remains": "157", "currency": "USD"},
            "2": {"error": "Incorrect order ID"},
            "3": {"charge": 1.5, "start_count": 10, "status": "In progress", "remains": 0, "currency": "USD"}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let states = panel_at(&server)
        .await
        .statuses(&ids(&["1", "2", "3"]))
        .await
        .unwrap();

    assert_eq!(states.len(), 3);
    assert_eq!(states[0].0, "1");
    assert_eq!(states[0].1.as_ref().unwrap().status, Status::Partial);
    assert_eq!(
        states[1],
        ("2".to_owned(), Err("Incorrect order ID".to_owned()))
    );
    let third = states[2].1.as_ref().unwrap();
    assert_eq!(
        (third.status.clone(), third.charge_micros),
        (Status::InProgress, Some(1_500_000))
    );
}

#[tokio::test]
async fn statuses_split_long_lists_into_batches_of_at_most_100() {
    let server = MockServer::start().await;
    // Answers every id it was asked about, and nothing else.
    call("status")
        .and(|request: &Request| {
            form(request)
                .get("orders")
                .is_some_and(|o| o.split(',').count() <= MAX_BATCH)
        })
        .respond_with(|request: &Request| {
            let asked = form(request).remove("orders").unwrap_or_default();
            let answer: serde_json::Map<String, Value> = asked
                .split(',')
                .map(|id| {
                    (
                        id.to_owned(),
                        json!({"status": "Completed", "remains": "0"}),
                    )
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(answer)
        })
        .expect(3)
        .mount(&server)
        .await;
    let many: Vec<String> = (1..=250).map(|i| i.to_string()).collect();

    let states = panel_at(&server).await.statuses(&many).await.unwrap();

    assert_eq!(states.len(), 250);
    assert_eq!(states[249].0, "250");
    assert!(states
        .iter()
        .all(|(_, s)| s.as_ref().is_ok_and(|s| s.status == Status::Completed)));
}

#[tokio::test]
async fn statuses_of_nothing_ask_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;

    assert!(panel_at(&server)
        .await
        .statuses(&[])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn refill_answers_an_id_whose_status_can_be_asked() {
    let server = MockServer::start().await;
    call("refill")
        .and(field("order", "23501"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"refill": "1"})))
        .expect(1)
        .mount(&server)
        .await;
    call("refill_status")
        .and(field("refill", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "Completed"})))
        .expect(1)
        .mount(&server)
        .await;
    let panel = panel_at(&server).await;

    let refill = panel.refill("23501").await.unwrap();
    assert_eq!(refill, "1");
    assert_eq!(panel.refill_status(&refill).await.unwrap(), "Completed");
}

#[tokio::test]
async fn cancel_answers_each_order_on_its_own() {
    let server = MockServer::start().await;
    call("cancel")
        .and(field("orders", "9,2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"order": 9, "cancel": {"error": "Incorrect order ID"}},
            {"order": 2, "cancel": 1}
        ])))
        .expect(1)
        .mount(&server)
        .await;

    let results = panel_at(&server)
        .await
        .cancel(&ids(&["9", "2"]))
        .await
        .unwrap();

    assert_eq!(
        results,
        vec![
            ("9".to_owned(), Err("Incorrect order ID".to_owned())),
            ("2".to_owned(), Ok(()))
        ]
    );
}

#[tokio::test]
async fn balance_is_read_exactly() {
    let server = MockServer::start().await;
    call("balance")
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"balance": "100.84292", "currency": "USD"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let balance = panel_at(&server).await.balance().await.unwrap();

    assert_eq!(
        balance,
        Balance {
            balance_micros: 100_842_920,
            currency: "USD".into()
        }
    );
}

#[tokio::test]
async fn a_panel_that_does_not_answer_in_time_is_no_answer_not_unreachable() {
    let server = MockServer::start().await;
    call("balance")
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"balance": "1", "currency": "USD"}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let panel = Panel::new(http, format!("{}/api/v2", server.uri()), KEY);

    let err = panel.balance().await.unwrap_err();

    assert!(
        matches!(&err, PanelError::NoAnswer(m) if m.contains("timed out")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let panel = Panel::new(
        reqwest::Client::new(),
        format!("http://127.0.0.1:{port}/api/v2"),
        KEY,
    );

    let err = panel.balance().await.unwrap_err();

    assert!(matches!(err, PanelError::Unreachable(_)), "{err:?}");
}

#[test]
fn debug_never_prints_the_key() {
    let panel = Panel::new(reqwest::Client::new(), "http://127.0.0.1:1/api/v2", KEY);

    let printed = format!("{panel:?}");

    assert!(!printed.contains(KEY), "{printed}");
}
