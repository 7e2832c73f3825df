//! The account check against a local Graph API (`wiremock`) answering as Instagram does:
//! a professional account, "Invalid user id" for everything else, and the ways a lookup fails
//! (refused token, quota, garbage, a server that does not answer in time).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_common::InstagramHandle;
use gd_config::{InstagramDiscoveryConfig, Secret};
use gd_instagram::{AccountCheck, AccountStatus, BusinessDiscovery, FormatOnly};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn checker(server: &MockServer) -> BusinessDiscovery {
    BusinessDiscovery::new(&InstagramDiscoveryConfig {
        graph_url: format!("{}/v23.0", server.uri()),
        user_id: "17841400000000001".into(),
        token: Secret::new("EAAtoken"),
    })
    .unwrap()
}

fn handle(s: &str) -> InstagramHandle {
    InstagramHandle::parse(s).unwrap()
}

#[tokio::test]
async fn a_professional_account_is_found_with_its_numbers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v23.0/17841400000000001"))
        .and(query_param(
            "fields",
            "business_discovery.username(cafe.kranz){username,name,followers_count,media_count}",
        ))
        .and(query_param("access_token", "EAAtoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "business_discovery": {
                "username": "cafe.kranz",
                "name": "Café Kranz",
                "followers_count": 1240,
                "media_count": 87,
                "id": "17841400000000777"
            },
            "id": "17841400000000001"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let checker = checker(&server);
    let status = checker.check(&handle("@Cafe.Kranz")).await;
    assert_eq!(
        status,
        AccountStatus::Professional {
            name: Some("Café Kranz".into()),
            followers: Some(1240),
            posts: Some(87),
        }
    );
    // Asked again, the answer comes from memory: the server saw one request (`expect(1)`).
    assert_eq!(checker.check(&handle("cafe.kranz")).await, status);
}

#[tokio::test]
async fn no_professional_account_is_said_as_such() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": {
                "message": "Invalid user id",
                "type": "OAuthException",
                "code": 110,
                "error_subcode": 2207013,
                "error_user_title": "Cannot find User",
                "fbtrace_id": "AbCdEf"
            }
        })))
        .mount(&server)
        .await;
    assert_eq!(
        checker(&server).check(&handle("nur.privat")).await,
        AccountStatus::NotProfessional
    );
}

#[tokio::test]
async fn a_failing_lookup_is_not_a_bad_handle() {
    let answers = [
        // The token was revoked.
        ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}
        })),
        // Over the quota (often with HTTP 200 elsewhere; here as Meta sends it for BUC limits).
        ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "error": {"message": "Application request limit reached", "code": 4}
        })),
        ResponseTemplate::new(500).set_body_string("<html>oops</html>"),
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "1"})),
        // Slower than the 5 s the shopper is made to wait.
        ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(8)),
    ];
    for answer in answers {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(answer)
            .mount(&server)
            .await;
        assert_eq!(
            checker(&server).check(&handle("cafe.kranz")).await,
            AccountStatus::NotChecked
        );
    }
    // Nobody listening.
    let server = MockServer::start().await;
    let gone = checker(&server);
    drop(server);
    assert_eq!(
        gone.check(&handle("cafe.kranz")).await,
        AccountStatus::NotChecked
    );
}

#[tokio::test]
async fn the_local_default_says_it_did_not_look() {
    assert_eq!(
        FormatOnly.check(&handle("cafe.kranz")).await,
        AccountStatus::FormatOnly
    );
    assert!(FormatOnly.is_local());
}

#[tokio::test]
async fn failures_are_not_kept_and_the_hourly_budget_holds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let checker = checker(&server);
    for _ in 0..3 {
        assert_eq!(
            checker.check(&handle("cafe.kranz")).await,
            AccountStatus::NotChecked
        );
    }
    // Each of those asked again (nothing was kept).
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    // Different handles until the hour's budget is spent; then nobody is asked.
    let spare = gd_instagram::LOOKUPS_PER_HOUR as usize - 3;
    for n in 0..spare + 5 {
        checker.check(&handle(&format!("shop{n}"))).await;
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        gd_instagram::LOOKUPS_PER_HOUR as usize
    );
}
