//! Two-factor sign-in and re-authentication over HTTP: admins enrol before their pages answer,
//! the code is the second step of every sign-in, recovery codes work once, and sensitive
//! changes need a proof from the last ten minutes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{totp_now, unix_now, TestApp, PASSWORD};
use serde_json::Value;
use sqlx::PgPool;

async fn call(
    app: &TestApp,
    browser: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let res = browser
        .post(app.url(&format!("/api/{endpoint}")))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// An admin made the way `make admin` makes one: a password, no second factor yet.
async fn fresh_admin(app: &TestApp, email: &str) -> reqwest::Client {
    let mut conn = app.pool.acquire().await.unwrap();
    let boot = gd_accounts::ensure_admin(&mut conn, &gd_accounts::Email::parse(email).unwrap())
        .await
        .unwrap();
    let token = gd_accounts::issue_token(
        &mut conn,
        boot.user_id,
        gd_accounts::TokenPurpose::ResetPassword,
    )
    .await
    .unwrap();
    let password = gd_accounts::Password::parse(PASSWORD, &[]).unwrap();
    gd_accounts::reset_password(&mut conn, token.expose(), &password)
        .await
        .unwrap();
    let browser = app.browser();
    let (status, step) = call(
        app,
        &browser,
        "log_in",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!((status, step), (200, Value::from("SignedIn")));
    browser
}

#[sqlx::test(migrations = false)]
async fn an_admin_enrols_before_anything_admin_answers_then_signs_in_with_a_code(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let chef = fresh_admin(&app, "chef@growthdesk.de").await;
    // Signed in somewhere else too, before the second factor existed.
    let elsewhere = app.browser();
    let (status, _) = call(
        &app,
        &elsewhere,
        "log_in",
        &[("email", "chef@growthdesk.de"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(status, 200);

    // Nothing of the admin role answers yet; the pages say what to do.
    let (status, body) = call(&app, &chef, "admin_list_users", &[]).await;
    assert_eq!((status, body), (403, Value::from("SecondFactorRequired")));
    let page = chef
        .get(app.url("/admin/users"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Set up") || page.contains("einrichten"),
        "{page}"
    );

    // Enrolment: QR code and key, a wrong code refused, the right one turns it on.
    let (status, enrolment) = call(&app, &chef, "start_two_factor", &[]).await;
    assert_eq!(status, 200, "{enrolment}");
    assert!(enrolment["qr"]
        .as_str()
        .unwrap()
        .starts_with("data:image/svg+xml;base64,"));
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    let (status, body) = call(&app, &chef, "confirm_two_factor", &[("code", "123456")]).await;
    assert_eq!(status, 422);
    assert_eq!(body["Validation"]["issues"][0]["code"], "WrongCode");
    let first = totp_now(&secret);
    let (status, codes) = call(&app, &chef, "confirm_two_factor", &[("code", &first)]).await;
    assert_eq!(status, 200);
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(call(&app, &chef, "admin_list_users", &[]).await.0, 200);
    // The session that never gave a code ended with the change.
    assert_eq!(call(&app, &elsewhere, "admin_list_users", &[]).await.0, 401);
    let (_, status) = call(&app, &chef, "two_factor_status", &[]).await;
    assert_eq!(status["enabled"], true);
    assert_eq!(status["required"], true);
    // Admins cannot turn it off.
    let (status, body) = call(&app, &chef, "disable_two_factor", &[]).await;
    assert_eq!(
        (status, body["Conflict"].clone()),
        (409, "two_factor_required".into())
    );

    // Signing in elsewhere: the password only opens the second step.
    let phone = app.browser();
    let (status, step) = call(
        &app,
        &phone,
        "log_in",
        &[("email", "chef@growthdesk.de"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!((status, step), (200, Value::from("CodeNeeded")));
    assert_eq!(call(&app, &phone, "admin_list_users", &[]).await.0, 401);
    // The code used for enrolment does not work a second time.
    let (status, _) = call(&app, &phone, "verify_login_code", &[("code", &first)]).await;
    assert_eq!(status, 422);
    // A recovery code does, once.
    let (status, _) = call(&app, &phone, "verify_login_code", &[("code", &codes[0])]).await;
    assert_eq!(status, 200);
    assert_eq!(call(&app, &phone, "admin_list_users", &[]).await.0, 200);

    let laptop = app.browser();
    call(
        &app,
        &laptop,
        "log_in",
        &[("email", "chef@growthdesk.de"), ("password", PASSWORD)],
    )
    .await;
    let (status, _) = call(&app, &laptop, "verify_login_code", &[("code", &codes[0])]).await;
    assert_eq!(status, 422, "a recovery code works once");
    let next = gd_accounts::code_at(&secret, unix_now() + 30).unwrap();
    let (status, _) = call(&app, &laptop, "verify_login_code", &[("code", &next)]).await;
    assert_eq!(status, 200);

    // Without the first step there is no second.
    let stranger = app.browser();
    let (status, body) = call(&app, &stranger, "verify_login_code", &[("code", &next)]).await;
    assert_eq!(
        (status, body["Conflict"].clone()),
        (409, "sign_in_expired".into())
    );

    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE '2fa.%' ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        audit,
        [
            "2fa.enable",
            "2fa.failure",
            "2fa.success",
            "2fa.failure",
            "2fa.success"
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn guessing_the_code_is_rate_limited(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (_, secret) = app
        .signed_in_with_secret("fin@growthdesk.de", &[gd_accounts::Role::Finance])
        .await;
    assert!(secret.is_some());
    let browser = app.browser();
    call(
        &app,
        &browser,
        "log_in",
        &[("email", "fin@growthdesk.de"), ("password", PASSWORD)],
    )
    .await;
    // The helper's sign-in used one try already.
    for _ in 0..9 {
        let (status, _) = call(&app, &browser, "verify_login_code", &[("code", "000000")]).await;
        assert_eq!(status, 422);
    }
    let (status, _) = call(&app, &browser, "verify_login_code", &[("code", "000000")]).await;
    assert_eq!(status, 429);
}

#[sqlx::test(migrations = false)]
async fn sensitive_changes_need_a_recent_proof(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let anna = app.signed_in("anna@example.de", &[]).await;
    // Just signed in: fine.
    let (status, _) = call(
        &app,
        &anna,
        "request_email_change",
        &[("new_email", "anna.neu@example.de")],
    )
    .await;
    assert_eq!(status, 200);

    // Eleven minutes later it needs the password again.
    sqlx::query("UPDATE user_sessions SET authenticated_at = now() - interval '11 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let change = [("new_email", "anna.neuer@example.de")];
    let (status, body) = call(&app, &anna, "request_email_change", &change).await;
    assert_eq!((status, body), (403, Value::from("ReauthRequired")));
    let (status, _) = call(&app, &anna, "start_two_factor", &[]).await;
    assert_eq!(status, 403);
    // A code from an account without two-factor sign-in is simply a wrong code.
    let (status, body) = call(&app, &anna, "reauthenticate", &[("code", "123456")]).await;
    assert_eq!(status, 422);
    assert_eq!(body["Validation"]["issues"][0]["code"], "WrongCode");
    let (status, body) = call(&app, &anna, "reauthenticate", &[("password", "falsch")]).await;
    assert_eq!(status, 422);
    assert_eq!(body["Validation"]["issues"][0]["code"], "WrongPassword");
    let (status, _) = call(&app, &anna, "reauthenticate", &[("password", PASSWORD)]).await;
    assert_eq!(status, 200);
    assert_eq!(
        call(&app, &anna, "request_email_change", &change).await.0,
        200
    );

    // An admin granting a role: the same, and a code serves as proof too.
    let (chef, secret) = app
        .signed_in_with_secret("chef@growthdesk.de", &[gd_accounts::Role::Admin])
        .await;
    sqlx::query("UPDATE user_sessions SET authenticated_at = now() - interval '11 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let anna_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'anna@example.de'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let grant = [
        ("user_id", anna_id.to_string()),
        ("role", "finance".to_owned()),
        ("grant", "true".to_owned()),
    ];
    let grant: Vec<(&str, &str)> = grant.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = call(&app, &chef, "admin_set_role", &grant).await;
    assert_eq!((status, body), (403, Value::from("ReauthRequired")));
    let code = gd_accounts::code_at(&secret.unwrap(), unix_now() + 30).unwrap();
    let (status, _) = call(&app, &chef, "reauthenticate", &[("code", &code)]).await;
    assert_eq!(status, 200);
    assert_eq!(call(&app, &chef, "admin_set_role", &grant).await.0, 200);
}

#[sqlx::test(migrations = false)]
async fn a_password_change_voids_links_sent_before_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let anna = app.signed_in("anna@example.de", &[]).await;
    let user: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    let reset = gd_accounts::issue_token(&mut conn, user, gd_accounts::TokenPurpose::ResetPassword)
        .await
        .unwrap();
    let (status, _) = call(
        &app,
        &anna,
        "change_password",
        &[
            ("current", PASSWORD),
            ("password", "ein ganz anderes langes passwort"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &app,
        &app.browser(),
        "reset_password",
        &[
            ("token", reset.expose()),
            ("password", "noch ein anderes langes passwort"),
        ],
    )
    .await;
    assert_eq!((status, body), (400, Value::from("InvalidLink")));
}

#[sqlx::test(migrations = false)]
async fn the_owner_hears_of_every_change_to_how_they_sign_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let worker = common::RunningWorker::start(&app);
    let anna = app.signed_in("anna@example.de", &[]).await;
    let notices = |app: &TestApp, to: &'static str| {
        let outbox = app.outbox.clone();
        async move {
            gd_mail::read_outbox(&outbox, 50)
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.to.contains(to) && m.subject.contains("Konto wurde geändert"))
                .map(|m| m.body)
                .collect::<Vec<_>>()
        }
    };
    // Setting the password in the helper was a reset: the first notice.
    app.wait_for_idle_queue().await;
    let seen = notices(&app, "anna@example.de").await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].contains("über einen Link"), "{}", seen[0]);

    let (status, _) = call(
        &app,
        &anna,
        "change_password",
        &[
            ("current", PASSWORD),
            ("password", "ein ganz anderes langes passwort"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &app,
        &anna,
        "request_email_change",
        &[("new_email", "anna.neu@example.de")],
    )
    .await;
    assert_eq!(status, 200);
    app.wait_for_idle_queue().await;
    let confirm = gd_mail::read_outbox(&app.outbox, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.to.contains("anna.neu@example.de"))
        .expect("the confirmation to the new address");
    let token = confirm.body[confirm.body.find("token=").unwrap() + 6..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let (status, _) = call(&app, &app.browser(), "verify_email", &[("token", &token)]).await;
    assert_eq!(status, 200);
    app.wait_for_idle_queue().await;

    // Every notice went to the old address, the last one naming the new address.
    let seen = notices(&app, "anna@example.de").await;
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen
        .iter()
        .any(|b| b.contains("Ihr Passwort wurde geändert.")));
    assert!(seen
        .iter()
        .any(|b| b.contains("verwendet jetzt die Adresse anna.neu@example.de")));
    assert!(notices(&app, "anna.neu@example.de").await.is_empty());
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_browser_signed_in_as_someone_else_reaches_the_second_step(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let shared = app.signed_in("anna@example.de", &[]).await;
    let (_, secret) = app
        .signed_in_with_secret("fin@growthdesk.de", &[gd_accounts::Role::Finance])
        .await;
    // On Anna's computer, the finance colleague signs in with password and code.
    let (status, step) = call(
        &app,
        &shared,
        "log_in",
        &[("email", "fin@growthdesk.de"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!((status, step), (200, Value::from("CodeNeeded")));
    // The code page loads (the page middleware looks the session up on the way).
    let page = shared
        .get(app.url("/login/code"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let code = gd_accounts::code_at(&secret.unwrap(), unix_now() + 30).unwrap();
    let (status, _) = call(&app, &shared, "verify_login_code", &[("code", &code)]).await;
    assert_eq!(status, 200);
    let (_, me) = call(&app, &shared, "current_account", &[]).await;
    assert_eq!(me["email"], "fin@growthdesk.de");
}
