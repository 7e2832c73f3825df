//! The VIES client against a server speaking VIES's REST interface: a registered id with its
//! consultation number, an unregistered one, and each way VIES says it cannot answer now.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_pricing::VatId;
use gd_vies::{RegisterError, VatRegister, Vies};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn id(text: &str) -> VatId {
    VatId::parse(text).unwrap()
}

#[tokio::test]
async fn a_registered_id_is_confirmed_with_the_consultation_number() {
    let vies = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest-api/check-vat-number"))
        .and(body_json(json!({
            "countryCode": "AT", "vatNumber": "U12345678",
            "requesterMemberStateCode": "DE", "requesterNumber": "123456789"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "countryCode": "AT", "vatNumber": "U12345678",
            "requestDate": "2026-12-02T10:15:00.000Z", "valid": true,
            "requestIdentifier": "WAPIAAAAXYZ123", "name": "Muster Handels GmbH",
            "address": "Hauptplatz 1\n8010 Graz", "userError": "VALID"
        })))
        .expect(1)
        .mount(&vies)
        .await;
    let register = Vies::new(
        &format!("{}/rest-api/", vies.uri()),
        Some(id("DE123456789")),
    )
    .unwrap();
    let confirmed = register.confirm(&id("ATU12345678")).await.unwrap();
    assert_eq!(confirmed.register, "vies");
    assert_eq!(
        confirmed.request_identifier.as_deref(),
        Some("WAPIAAAAXYZ123")
    );
    assert_eq!(confirmed.name.as_deref(), Some("Muster Handels GmbH"));
    assert_eq!(
        confirmed.checked_at.to_rfc3339(),
        "2026-12-02T10:15:00+00:00"
    );
    assert!(!register.is_demo());
}

#[tokio::test]
async fn an_unregistered_id_is_refused_and_a_hidden_name_is_none() {
    let vies = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/check-vat-number"))
        .and(body_json(
            json!({ "countryCode": "EL", "vatNumber": "123456789" }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "countryCode": "EL", "vatNumber": "123456789", "requestDate": "2026-12-02T10:15:00Z",
            "valid": false, "requestIdentifier": "", "name": "---", "address": "---",
            "userError": "INVALID"
        })))
        .mount(&vies)
        .await;
    let register = Vies::new(&vies.uri(), None).unwrap();
    assert_eq!(
        register.confirm(&id("EL123456789")).await,
        Err(RegisterError::NotRegistered)
    );
}

#[tokio::test]
async fn each_way_of_not_answering_is_unavailable_never_a_confirmation() {
    let cases = [
        // A member state's system is down: VIES says so in a 200 answer…
        ResponseTemplate::new(200).set_body_json(json!({
            "countryCode": "FR", "vatNumber": "12345678901", "valid": false,
            "userError": "MS_UNAVAILABLE"
        })),
        // …or as an error with its error wrappers.
        ResponseTemplate::new(500).set_body_json(json!({
            "actionSucceed": false,
            "errorWrappers": [{ "error": "GLOBAL_MAX_CONCURRENT_REQ", "message": "busy" }]
        })),
        // A proxy's bare error page.
        ResponseTemplate::new(503).set_body_string("<html>Service Unavailable</html>"),
        // An answer of an unknown shape.
        ResponseTemplate::new(200).set_body_string("{\"isValid\": \"maybe\"}"),
    ];
    let expected = [
        "MS_UNAVAILABLE",
        "GLOBAL_MAX_CONCURRENT_REQ",
        "HTTP 503 Service Unavailable",
        "an answer in an unknown shape",
    ];
    for (answer, reason) in cases.into_iter().zip(expected) {
        let vies = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/check-vat-number"))
            .respond_with(answer)
            .mount(&vies)
            .await;
        let register = Vies::new(&vies.uri(), None).unwrap();
        assert_eq!(
            register.confirm(&id("FR12345678901")).await,
            Err(RegisterError::Unavailable(reason.into()))
        );
    }
    // VIES refusing the number itself is a "not registered".
    let vies = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "actionSucceed": false, "errorWrappers": [{ "error": "INVALID_INPUT" }]
        })))
        .mount(&vies)
        .await;
    let register = Vies::new(&vies.uri(), None).unwrap();
    assert_eq!(
        register.confirm(&id("FR12345678901")).await,
        Err(RegisterError::NotRegistered)
    );
    // Nobody listening.
    let register = Vies::new("http://127.0.0.1:9", None).unwrap();
    assert_eq!(
        register.confirm(&id("FR12345678901")).await,
        Err(RegisterError::Unavailable("not reachable".into()))
    );
}
