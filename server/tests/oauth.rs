//! Sign-in through a login provider over HTTP, against a local OpenID Connect server
//! (oauth2-mock-server from npm, which checks PKCE, our client secret and the redirect URI):
//! the authorization-code round trip, state and single use, cancelling, linking from account
//! settings, unlinking, and providers without a verified address.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{OidcMock, TestApp};
use serde_json::{json, Value};
use sqlx::PgPool;

async fn app_with(pool: PgPool, providers: &[(&OidcMock, &str)]) -> TestApp {
    let vars: Vec<(String, String)> = providers
        .iter()
        .flat_map(|(mock, name)| mock.vars(name))
        .collect();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestApp::spawn_with(pool, &vars).await
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no redirect: {}", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

fn query(url: &str) -> std::collections::HashMap<String, String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The browser on the provider's own page: another site, so none of our cookies.
fn provider_page() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Presses "Continue with …" (or "Link") and lets the provider answer; returns the callback
/// URL the provider sends the browser back to.
async fn to_provider_and_back(
    app: &TestApp,
    browser: &reqwest::Client,
    provider: &str,
    form: &[(&str, &str)],
) -> String {
    let res = browser
        .post(app.url(&format!("/auth/{provider}/start")))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "start");
    let authorize = location(&res);
    let res = provider_page().get(&authorize).send().await.unwrap();
    assert_eq!(res.status(), 302, "the provider approves at once");
    location(&res)
}

async fn me(app: &TestApp, browser: &reqwest::Client) -> (u16, Value) {
    let res = browser
        .post(app.url("/api/current_account"))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn actions(pool: &PgPool) -> Vec<(String, Value)> {
    sqlx::query_as("SELECT action, details FROM audit_log ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_new_person_signs_in_with_the_provider(pool: PgPool) {
    let google = OidcMock::start(json!({
        "sub": "g-anna", "email": "anna@example.com", "email_verified": true, "name": "Anna"
    }))
    .await;
    let app = app_with(pool, &[(&google, "GOOGLE")]).await;

    // The sign-in page offers the configured provider, and its forms may go there.
    let providers: Value = app
        .client
        .post(app.url("/api/login_providers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(providers, json!([{ "provider": "google", "local": true }]));
    let page = app.get("/en/login").await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!(
            "form-action 'self' http://127.0.0.1:{};",
            google.port
        )),
        "{csp}"
    );

    let browser = app.browser();
    let res = browser
        .post(app.url("/auth/google/start"))
        .form(&[("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let authorize = location(&res);
    assert!(
        authorize.starts_with(&google.url("/authorize?")),
        "{authorize}"
    );
    let q = query(&authorize);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], OidcMock::CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["state"].len() >= 16);
    assert_eq!(q["redirect_uri"], app.url("/auth/google/callback"));
    assert!(!authorize.contains(OidcMock::CLIENT_SECRET));

    let back = provider_page().get(&authorize).send().await.unwrap();
    let callback = location(&back);
    assert!(callback.starts_with(&app.url("/auth/google/callback?")));
    let res = browser.get(&callback).send().await.unwrap();
    assert_eq!(location(&res), "/en/account");
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let (status, account) = me(&app, &browser).await;
    assert_eq!(status, 200);
    assert_eq!(account["email"], "anna@example.com");
    assert_eq!(account["roles"], json!(["client"]));
    assert_eq!(account["has_password"], false);
    assert_eq!(account["logins"][0]["provider"], "google");
    assert_eq!(account["logins"][0]["account"], "anna@example.com");

    // The same way back a second time is refused: the round trip is used up.
    let other = app.browser();
    let res = other.get(&callback).send().await.unwrap();
    assert_eq!(
        location(&res),
        "/login?provider_error=failed&provider=google"
    );
    let res = browser.get(&callback).send().await.unwrap();
    assert_eq!(
        location(&res),
        "/login?provider_error=failed&provider=google"
    );
    assert_eq!(me(&app, &other).await.0, 401);

    // Signing in again finds the same account.
    let again = app.browser();
    let callback = to_provider_and_back(&app, &again, "google", &[("lang", "de")]).await;
    let res = again.get(&callback).send().await.unwrap();
    assert_eq!(location(&res), "/account");
    assert_eq!(me(&app, &again).await.1["email"], "anna@example.com");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);

    let log = actions(&app.pool).await;
    let names: Vec<&str> = log.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "account.sign_up",
            "login.success",
            "login.failure",
            "login.failure",
            "login.success"
        ]
    );
    assert_eq!(log[1].1["provider"], "google");
}

#[sqlx::test(migrations = false)]
async fn a_foreign_state_or_a_cancel_signs_nobody_in(pool: PgPool) {
    let google = OidcMock::start(json!({
        "sub": "g-eve", "email": "eve@example.com", "email_verified": true
    }))
    .await;
    let app = app_with(pool, &[(&google, "GOOGLE")]).await;
    let browser = app.browser();

    // A callback whose state is not the one this browser was sent off with.
    let callback = to_provider_and_back(&app, &browser, "google", &[("lang", "en")]).await;
    let q = query(&callback);
    let forged = app.url(&format!(
        "/auth/google/callback?code={}&state=not-the-state",
        q["code"]
    ));
    let res = browser.get(&forged).send().await.unwrap();
    assert_eq!(
        location(&res),
        "/en/login?provider_error=failed&provider=google"
    );
    // …and the genuine answer cannot be used after that either.
    let res = browser.get(&callback).send().await.unwrap();
    assert!(location(&res).contains("provider_error=failed"));

    // Cancelled at the provider.
    to_provider_and_back(&app, &browser, "google", &[("lang", "en")]).await;
    let res = browser
        .get(app.url("/auth/google/callback?error=access_denied&error_description=User+cancelled"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        "/en/login?provider_error=cancelled&provider=google"
    );
    assert_eq!(me(&app, &browser).await.0, 401);

    // Providers that are not configured, or do not exist.
    let res = browser
        .post(app.url("/auth/facebook/start"))
        .form(&[("lang", "de")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        "/login?provider_error=unavailable&provider=facebook"
    );
    let res = browser
        .post(app.url("/auth/myspace/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // A cross-site page cannot start a sign-in in someone's browser.
    let res = reqwest::Client::new()
        .post(app.url("/auth/google/start"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[sqlx::test(migrations = false)]
async fn instagram_signs_in_only_once_linked_and_unlinking_keeps_a_way_in(pool: PgPool) {
    let instagram =
        OidcMock::start(json!({ "user_id": 17841400001i64, "username": "anna.shop" })).await;
    let google = OidcMock::start(json!({
        "sub": "g-anna", "email": "anna@example.com", "email_verified": true
    }))
    .await;
    let app = app_with(pool, &[(&instagram, "INSTAGRAM"), (&google, "GOOGLE")]).await;

    // Instagram gives no address: a stranger cannot sign up with it.
    let browser = app.browser();
    let callback = to_provider_and_back(&app, &browser, "instagram", &[("lang", "de")]).await;
    let res = browser.get(&callback).send().await.unwrap();
    assert_eq!(
        location(&res),
        "/login?provider_error=no_email&provider=instagram"
    );

    // Anna has an account with a password; she links Instagram in account settings.
    let anna = app
        .signed_in("anna@example.com", &[gd_accounts::Role::Client])
        .await;

    // Linking needs a signed-in user.
    let res = browser
        .post(app.url("/auth/instagram/start"))
        .form(&[("lang", "de"), ("intent", "link")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login");

    let callback = to_provider_and_back(
        &app,
        &anna,
        "instagram",
        &[("lang", "en"), ("intent", "link")],
    )
    .await;
    let res = anna.get(&callback).send().await.unwrap();
    assert_eq!(location(&res), "/en/account?linked=instagram");
    let (_, account) = me(&app, &anna).await;
    assert_eq!(account["has_password"], true);
    assert_eq!(account["logins"][0]["provider"], "instagram");
    assert_eq!(account["logins"][0]["account"], "anna.shop");
    assert_eq!(
        account["providers"],
        json!([
            { "provider": "google", "local": true },
            { "provider": "instagram", "local": true }
        ])
    );

    // Now Instagram signs her in, in another browser.
    let phone = app.browser();
    let callback = to_provider_and_back(&app, &phone, "instagram", &[("lang", "de")]).await;
    let res = phone.get(&callback).send().await.unwrap();
    assert_eq!(location(&res), "/account");
    assert_eq!(me(&app, &phone).await.1["email"], "anna@example.com");

    // The same Instagram account cannot be linked to a second Growthdesk account.
    let ben = app
        .signed_in("ben@example.com", &[gd_accounts::Role::Client])
        .await;
    let callback = to_provider_and_back(
        &app,
        &ben,
        "instagram",
        &[("lang", "de"), ("intent", "link")],
    )
    .await;
    let res = ben.get(&callback).send().await.unwrap();
    assert_eq!(
        location(&res),
        "/account?provider_error=taken&provider=instagram"
    );

    // Unlinking: fine while the password remains; unknown links are 404.
    let unlink = |client: &reqwest::Client, provider: &'static str| {
        client
            .post(app.url("/api/unlink_login"))
            .form(&[("provider", provider)])
            .send()
    };
    assert_eq!(unlink(&anna, "instagram").await.unwrap().status(), 200);
    assert_eq!(unlink(&anna, "instagram").await.unwrap().status(), 404);
    assert!(me(&app, &anna).await.1["logins"]
        .as_array()
        .unwrap()
        .is_empty());

    // An account made through Google has no password: Google is its last way in.
    let carla = OidcMock::start(json!({
        "sub": "g-carla", "email": "carla@example.com", "email_verified": true
    }))
    .await;
    drop(google);
    let app2 = app_with(app.pool.clone(), &[(&carla, "GOOGLE")]).await;
    let carla_browser = app2.browser();
    let callback = to_provider_and_back(&app2, &carla_browser, "google", &[("lang", "de")]).await;
    carla_browser.get(&callback).send().await.unwrap();
    let res = carla_browser
        .post(app2.url("/api/unlink_login"))
        .form(&[("provider", "google")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Conflict"], "last_login_method", "{body}");
    assert_eq!(
        me(&app2, &carla_browser).await.1["logins"][0]["provider"],
        "google"
    );

    let unlinks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'oauth.unlink'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(unlinks, 1);
}

#[sqlx::test(migrations = false)]
async fn a_provider_with_an_existing_address_signs_nobody_in_until_linked(pool: PgPool) {
    let google = OidcMock::start(json!({
        "sub": "g-anna", "email": "anna@example.com", "email_verified": true
    }))
    .await;
    let app = app_with(pool, &[(&google, "GOOGLE")]).await;
    let anna = app
        .signed_in("anna@example.com", &[gd_accounts::Role::Client])
        .await;

    // Whoever holds a Google account with Anna's address does not get into her account.
    let stranger = app.browser();
    let callback = to_provider_and_back(&app, &stranger, "google", &[("lang", "en")]).await;
    let res = stranger.get(&callback).send().await.unwrap();
    assert_eq!(
        location(&res),
        "/en/login?provider_error=not_linked&provider=google"
    );
    assert_eq!(me(&app, &stranger).await.0, 401);
    assert!(me(&app, &anna).await.1["logins"]
        .as_array()
        .unwrap()
        .is_empty());
    let page = app
        .get("/en/login?provider_error=not_linked&provider=google")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("already has an account. Sign in as usual, then link Google"),
        "{page}"
    );

    // Anna links it herself; from then on Google signs her in.
    let callback =
        to_provider_and_back(&app, &anna, "google", &[("lang", "de"), ("intent", "link")]).await;
    let res = anna.get(&callback).send().await.unwrap();
    assert_eq!(location(&res), "/account?linked=google");
    let phone = app.browser();
    let callback = to_provider_and_back(&app, &phone, "google", &[("lang", "de")]).await;
    let res = phone.get(&callback).send().await.unwrap();
    assert_eq!(location(&res), "/account");
    assert_eq!(me(&app, &phone).await.1["email"], "anna@example.com");

    // Linking again later needs a fresh proof of who is asking.
    let unlinked = anna
        .post(app.url("/api/unlink_login"))
        .form(&[("provider", "google")])
        .send()
        .await
        .unwrap();
    assert_eq!(unlinked.status(), 200);
    sqlx::query("UPDATE user_sessions SET authenticated_at = now() - interval '11 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let res = anna
        .post(app.url("/auth/google/start"))
        .form(&[("lang", "de"), ("intent", "link")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        "/account?provider_error=reauth&provider=google"
    );

    // Confirmed with her password, she links it again.
    let confirmed = anna
        .post(app.url("/api/reauthenticate"))
        .form(&[("password", common::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    let callback =
        to_provider_and_back(&app, &anna, "google", &[("lang", "de"), ("intent", "link")]).await;
    let res = anna.get(&callback).send().await.unwrap();
    assert_eq!(location(&res), "/account?linked=google");

    // With two-factor sign-in on, Google only opens the second step.
    let anna_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    app.enrol_two_factor(anna_id, "anna@example.com").await;
    let tablet = app.browser();
    let callback = to_provider_and_back(&app, &tablet, "google", &[("lang", "en")]).await;
    let res = tablet.get(&callback).send().await.unwrap();
    assert_eq!(location(&res), "/en/login/code");
    assert_eq!(me(&app, &tablet).await.0, 401);
}
