//! Analytics over HTTP: a client connects a demo account and reads its dashboard (charts,
//! tables, CSV) while strangers get a 404 and admins may look; an open dashboard's event
//! stream on one server hears a sync stored through another; an Instagram account connected
//! through a local Instagram (wiremock speaking its OAuth and Graph API), its token sealed,
//! and a refused token marking the account for reconnection with one mail to the client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{post, TestApp};
use gd_accounts::Role;
use serde_json::{json, Value};
use sqlx::PgPool;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn sync_now(app: &TestApp, account: &str) {
    let config = &app.config;
    let mailer = gd_mail::from_config(config).unwrap();
    gd_analytics::sync::sync_account(
        &app.pool,
        &gd_analytics::sync::Networks::from_config(config).unwrap(),
        &gd_analytics::crypto::TokenKey::from_config(config),
        mailer.as_ref(),
        &gd_analytics::sync::SyncSettings::from_config(config),
        account.parse().unwrap(),
        chrono::Utc::now().date_naive(),
    )
    .await
    .unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_client_connects_a_demo_account_and_reads_its_dashboard(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("ig@example.de", &[]).await;

    let (status, home) = post(&client, &app, "/api/analytics_accounts", &[]).await;
    assert_eq!(status, 200, "{home}");
    assert_eq!(home["instagram_app"], false, "no app: demo accounts");
    let (status, answer) = post(
        &client,
        &app,
        "/api/analytics_connect_demo",
        &[("handle", "not a handle!")],
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    let (status, id) = post(
        &client,
        &app,
        "/api/analytics_connect_demo",
        &[("handle", "@growth.desk")],
    )
    .await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_str().unwrap().to_owned();
    // Its first sync was queued with the connection; the worker runs it.
    app.run_worker_until_idle().await;

    let (status, d) = post(
        &client,
        &app,
        "/api/analytics_dashboard",
        &[("account", id.as_str()), ("days", "90"), ("lang", "de")],
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["account"]["source"], "demo");
    assert_eq!(d["grain"], "day");
    assert_eq!(d["points"].as_array().unwrap().len(), 90);
    assert!(d["now"]["followers"].as_i64().unwrap() > 0);
    assert!(
        d["before"]["followers"].as_i64().is_some(),
        "the range before is there too"
    );
    let charts = d["charts"].as_array().unwrap();
    assert_eq!(charts.len(), 4);
    let followers: Value = serde_json::from_str(charts[0]["option"].as_str().unwrap()).unwrap();
    assert_eq!(followers["series"][0]["data"].as_array().unwrap().len(), 90);
    assert_eq!(followers["xAxis"]["type"], "category");
    assert!(
        followers["xAxis"]["data"][0]
            .as_str()
            .unwrap()
            .contains('.'),
        "German dates"
    );
    assert!(!d["posts"].as_array().unwrap().is_empty());

    // A range that is not one: 422, not a broken page.
    let (status, _) = post(
        &client,
        &app,
        "/api/analytics_dashboard",
        &[
            ("account", id.as_str()),
            ("from", "2026-05-01"),
            ("to", "2026-04-01"),
        ],
    )
    .await;
    assert_eq!(status, 422);

    // The tables as CSV.
    let csv = client
        .get(app.url(&format!(
            "/documents/analytics/{id}/series.csv?days=30&lang=de"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("growth.desk-series-"));
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("\u{feff}Zeitraum ab;Follower;"), "{body}");
    assert_eq!(body.lines().count(), 31);
    let bad = client
        .get(app.url(&format!("/documents/analytics/{id}/series.csv?days=5000")))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("two years"));

    // Someone else's account does not exist for a stranger; an admin may look.
    let stranger = app.signed_in("other@example.de", &[]).await;
    let (status, _) = post(
        &stranger,
        &app,
        "/api/analytics_dashboard",
        &[("account", id.as_str())],
    )
    .await;
    assert_eq!(status, 404);
    let res = stranger
        .get(app.url(&format!("/documents/analytics/{id}/posts.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let (status, _) = post(
        &stranger,
        &app,
        "/api/analytics_sync_now",
        &[("account", id.as_str())],
    )
    .await;
    assert_eq!(status, 404);
    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    let (status, d) = post(
        &admin,
        &app,
        "/api/analytics_dashboard",
        &[("account", id.as_str())],
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["owner_email"], "ig@example.de");
    let (status, list) = post(&admin, &app, "/api/admin_analytics", &[]).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["accounts"][0]["handle"], "growth.desk");

    // The page itself, rendered for the client.
    let page = client
        .get(app.url(&format!("/portal/analytics?account={id}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"demo-badge\""),
        "labelled as demo data"
    );
    assert!(html.contains("data-chart=\"followers\""));

    // Disconnecting stops the syncs and keeps the numbers; removing takes everything.
    let (status, _) = post(
        &client,
        &app,
        "/api/analytics_disconnect",
        &[("account", id.as_str())],
    )
    .await;
    assert_eq!(status, 200);
    let (_, home) = post(&client, &app, "/api/analytics_accounts", &[]).await;
    assert_eq!(home["accounts"][0]["status"], "disconnected");
    let (status, _) = post(
        &stranger,
        &app,
        "/api/analytics_disconnect",
        &[("account", id.as_str()), ("remove", "true")],
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        &client,
        &app,
        "/api/analytics_disconnect",
        &[("account", id.as_str()), ("remove", "true")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(app.count("SELECT count(*) FROM account_snapshots").await, 0);
}

/// Reads the event stream until a `snapshot` event arrives (or 20 s pass).
async fn next_snapshot(res: &mut reqwest::Response) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(20), res.chunk()).await {
            Ok(Ok(Some(bytes))) => {
                seen.push_str(&String::from_utf8_lossy(&bytes));
                if seen.contains("event: snapshot") {
                    return seen;
                }
            }
            other => panic!("the stream ended without a snapshot: {other:?} after {seen:?}"),
        }
    }
    panic!("no snapshot within 20 s: {seen:?}");
}

#[sqlx::test(migrations = false)]
async fn a_sync_stored_anywhere_reaches_open_dashboards_on_every_server(pool: PgPool) {
    // Two servers on one database, each with its own listener.
    let first = TestApp::spawn(pool.clone()).await;
    let second = TestApp::spawn(pool).await;
    let client = first.signed_in("live@example.de", &[]).await;
    let (status, id) = post(
        &client,
        &first,
        "/api/analytics_connect_demo",
        &[("handle", "live.shop")],
    )
    .await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_str().unwrap().to_owned();

    // The same client's session works on both (one session store).
    let mut stream = client
        .get(second.url(&format!("/events/analytics?account={id}")))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    // Stored through the first server's process: heard on the second's stream.
    sync_now(&first, &id).await;
    let seen = next_snapshot(&mut stream).await;
    assert!(seen.contains(&format!("data: {id}")), "{seen}");

    // Nobody else may listen.
    let stranger = second.signed_in("nosy@example.de", &[]).await;
    let res = stranger
        .get(second.url(&format!("/events/analytics?account={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = reqwest::get(second.url(&format!("/events/analytics?account={id}")))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

/// A local Instagram: its authorization page is only an address; the token, long-lived token,
/// profile and insights endpoints answer as Instagram's do.
async fn instagram() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"access_token": "IGshort", "user_id": "17841400000000001",
                      "permissions": "instagram_business_basic,instagram_business_manage_insights"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/access_token"))
        .and(query_param("grant_type", "ig_exchange_token"))
        .and(query_param("access_token", "IGshort"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "IGlong-secret", "token_type": "bearer", "expires_in": 5_184_000
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v23.0/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "user_id": "17841400000000001", "id": "17841400000000001", "username": "real.shop",
            "name": "Real Shop", "account_type": "BUSINESS", "followers_count": 1234,
            "follows_count": 56, "media_count": 78
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    server
}

#[sqlx::test(migrations = false)]
async fn an_instagram_account_is_connected_and_a_refused_token_asks_for_reconnection(pool: PgPool) {
    let ig = instagram().await;
    let vars = [
        ("INSTAGRAM_APP_ID", "app-1".to_owned()),
        ("INSTAGRAM_APP_SECRET", "app-secret".to_owned()),
        (
            "INSTAGRAM_AUTH_URL",
            format!("{}/oauth/authorize", ig.uri()),
        ),
        (
            "INSTAGRAM_TOKEN_URL",
            format!("{}/oauth/access_token", ig.uri()),
        ),
        ("INSTAGRAM_API_URL", ig.uri()),
    ];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = TestApp::spawn_with(pool, &vars).await;
    let client = app.signed_in("real@example.de", &[]).await;
    let (_, home) = post(&client, &app, "/api/analytics_accounts", &[]).await;
    assert_eq!(home["instagram_app"], true);
    // With an app, accounts are real: no demo accounts.
    let (status, _) = post(
        &client,
        &app,
        "/api/analytics_connect_demo",
        &[("handle", "x.y")],
    )
    .await;
    assert_eq!(status, 403);

    // Off to Instagram's sign-in with a state of ours…
    let res = client
        .post(app.url("/connect/instagram/start"))
        .form(&[("lang", "de")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = reqwest::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    assert!(to
        .as_str()
        .starts_with(&format!("{}/oauth/authorize", ig.uri())));
    let q: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "app-1");
    assert!(q["scope"].contains("instagram_business_manage_insights"));
    assert_eq!(q["redirect_uri"], app.url("/connect/instagram/callback"));
    let state = q["state"].clone();

    // … a forged state is refused (and ends the round trip) …
    let res = client
        .get(app.url("/connect/instagram/callback?code=c0de&state=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .contains("connect_error=failed"));

    // … and the real return connects the account.
    let res = client
        .post(app.url("/connect/instagram/start"))
        .form(&[("lang", "de")])
        .send()
        .await
        .unwrap();
    let to = reqwest::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let state_now = to
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_ne!(state_now, state, "a fresh state each time");
    let res = client
        .get(app.url(&format!(
            "/connect/instagram/callback?code=c0de%23_&state={state_now}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let landing = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        landing.starts_with("/portal/analytics?account="),
        "{landing}"
    );
    let id = landing.rsplit('=').next().unwrap().to_owned();
    let (handle, sealed): (String, Vec<u8>) =
        sqlx::query_as("SELECT handle, token_sealed FROM social_accounts WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(handle, "real.shop");
    assert!(
        !String::from_utf8_lossy(&sealed).contains("IGlong-secret"),
        "the token is sealed"
    );

    // A token with 10 days left (and older than a day) is refreshed before the sync's calls.
    sqlx::query(
        "UPDATE social_accounts SET token_expires_at = now() + interval '10 days',
             token_refreshed_at = now() - interval '2 days'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    Mock::given(method("GET"))
        .and(path("/refresh_access_token"))
        .and(query_param("grant_type", "ig_refresh_token"))
        .and(query_param("access_token", "IGlong-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "IGrefreshed", "token_type": "bearer", "expires_in": 5_184_000
        })))
        .expect(1)
        .mount(&ig)
        .await;

    // Instagram refuses the (refreshed) token at the sync: the account waits for its client,
    // who is mailed once.
    Mock::given(method("GET"))
        .and(path("/v23.0/me"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"message": "Error validating access token: The session has been invalidated because the user changed their password.",
                      "type": "OAuthException", "code": 190, "error_subcode": 460, "fbtrace_id": "A1"}
        })))
        .mount(&ig)
        .await;
    sync_now(&app, &id).await;
    let (_, home) = post(&client, &app, "/api/analytics_accounts", &[]).await;
    assert_eq!(home["accounts"][0]["status"], "needs_reconnect");
    let days_left: f64 = sqlx::query_scalar(
        "SELECT (extract(epoch FROM token_expires_at - now()) / 86400)::float8 FROM social_accounts",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        days_left > 59.0,
        "the refreshed token's 60 days are kept: {days_left}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE kind = 'analytics_reconnect'")
            .await,
        1
    );
    // No further sync is queued for it.
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("UPDATE social_accounts SET next_sync_at = now() - interval '1 hour'")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        gd_analytics::sync::enqueue_due(&mut tx, 10).await.unwrap(),
        0
    );
}
