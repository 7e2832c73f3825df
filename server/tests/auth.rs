//! Accounts over HTTP: sign-up with the verification mail, sign-in with a server-side session,
//! sign-out, password reset ending other sessions, cookie flags, and the cross-site guard.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{RunningWorker, TestApp};
use sqlx::PgPool;

const PW: &str = "pferd batterie heftklammer richtig";

/// Waits for a mail to `to` whose subject contains `subject`, and returns the link token in it.
async fn token_from_mail(app: &TestApp, to: &str, subject: &str) -> String {
    for _ in 0..100 {
        let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
        if let Some(mail) = mails
            .iter()
            .find(|m| m.to.contains(to) && m.subject.contains(subject))
        {
            let start = mail.body.find("token=").expect("a link with a token") + "token=".len();
            return mail.body[start..]
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let jobs: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT job_type, status, last_error FROM apalis.jobs")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    panic!("no mail '{subject}' to {to}; jobs: {jobs:?}");
}

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(&format!("/api/{endpoint}")))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn sign_up_and_verify(app: &TestApp, email: &str) {
    let res = call(
        app,
        &app.client,
        "sign_up",
        &[("email", email), ("password", PW), ("lang", "de")],
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let token = token_from_mail(app, email, "bestätigen").await;
    let res = call(
        app,
        &app.client,
        "verify_email",
        &[("token", &token), ("lang", "de")],
    )
    .await;
    assert_eq!(res.status(), 200);
}

/// The status of a call made with the app's own browser (`app.client`).
async fn status(app: &TestApp, endpoint: &str, form: &[(&str, &str)]) -> u16 {
    call(app, &app.client, endpoint, form)
        .await
        .status()
        .as_u16()
}

/// A running app and worker with Anna's verified account.
async fn anna_verified(pool: PgPool) -> (TestApp, RunningWorker) {
    let app = TestApp::spawn(pool).await;
    let worker = RunningWorker::start(&app);
    sign_up_and_verify(&app, "anna@example.de").await;
    (app, worker)
}

/// The same, with Anna signed in through `app.client`.
async fn anna_signed_in(pool: PgPool) -> (TestApp, RunningWorker) {
    let (app, worker) = anna_verified(pool).await;
    let form = [("email", "anna@example.de"), ("password", PW)];
    assert_eq!(status(&app, "log_in", &form).await, 200);
    (app, worker)
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("gd_session="))
        .map(str::to_owned)
}

#[sqlx::test(migrations = false)]
async fn sign_up_verify_sign_in_and_out(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let worker = RunningWorker::start(&app);

    // Before verifying, the right password is told to verify first.
    let res = call(
        &app,
        &app.client,
        "sign_up",
        &[
            ("email", "anna@example.de"),
            ("password", PW),
            ("lang", "de"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = call(
        &app,
        &app.client,
        "log_in",
        &[("email", "anna@example.de"), ("password", PW)],
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!("EmailNotVerified")
    );

    let token = token_from_mail(&app, "anna@example.de", "bestätigen").await;
    assert_eq!(
        status(&app, "verify_email", &[("token", &token)]).await,
        200
    );
    // The link works once.
    assert_eq!(
        status(&app, "verify_email", &[("token", &token)]).await,
        400
    );

    let res = call(
        &app,
        &app.client,
        "log_in",
        &[
            ("email", "Anna@Example.de"),
            ("password", PW),
            ("lang", "en"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let cookie = session_cookie(&res).expect("a session cookie");
    assert!(cookie.starts_with("gd_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http locally: {cookie}");

    let me: serde_json::Value = call(&app, &app.client, "current_account", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "anna@example.de");
    assert_eq!(me["roles"], serde_json::json!(["client"]));

    assert_eq!(status(&app, "log_out", &[]).await, 200);
    let res = call(&app, &app.client, "current_account", &[]).await;
    assert_eq!(res.status(), 401);
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn wrong_password_and_unknown_email_look_the_same(pool: PgPool) {
    let (app, worker) = anna_verified(pool).await;
    let wrong = call(
        &app,
        &app.client,
        "log_in",
        &[
            ("email", "anna@example.de"),
            ("password", "nicht das richtige passwort"),
        ],
    )
    .await;
    let unknown = call(
        &app,
        &app.client,
        "log_in",
        &[("email", "niemand@example.de"), ("password", PW)],
    )
    .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn signing_up_twice_answers_the_same_and_mails_the_owner(pool: PgPool) {
    let (app, worker) = anna_verified(pool).await;
    let again = call(
        &app,
        &app.client,
        "sign_up",
        &[
            ("email", "anna@example.de"),
            ("password", "ein anderes langes passwort"),
            ("lang", "de"),
        ],
    )
    .await;
    assert_eq!(again.status(), 200);
    for _ in 0..100 {
        let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
        if mails
            .iter()
            .any(|m| m.subject.contains("bereits ein Konto"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.subject == "Sie haben bereits ein Konto bei Growthdesk"),
        "{mails:#?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM users").await, 1);
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn bad_passwords_are_refused_with_field_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (password, code) in [
        ("kurz", "TooShort"),
        ("passwort123", "TooCommon"),
        ("anna@example.de", "TooCommon"),
    ] {
        let res = call(
            &app,
            &app.client,
            "sign_up",
            &[("email", "anna@example.de"), ("password", password)],
        )
        .await;
        assert_eq!(res.status(), 422, "{password}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["Validation"]["issues"][0]["field"], "password");
        assert_eq!(body["Validation"]["issues"][0]["code"], code, "{password}");
        assert_eq!(
            body["Validation"]["echo"],
            serde_json::json!({}),
            "passwords are never echoed"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
}

#[sqlx::test(migrations = false)]
async fn sign_in_gets_a_new_session_id_and_the_old_one_dies(pool: PgPool) {
    let (app, worker) = anna_verified(pool).await;
    let first = call(
        &app,
        &app.client,
        "log_in",
        &[("email", "anna@example.de"), ("password", PW)],
    )
    .await;
    let first = session_cookie(&first).unwrap();
    let second = call(
        &app,
        &app.client,
        "log_in",
        &[("email", "anna@example.de"), ("password", PW)],
    )
    .await;
    let second = session_cookie(&second).unwrap();
    let value = |c: &str| c.split(';').next().unwrap().to_owned();
    assert_ne!(value(&first), value(&second));

    // Someone holding the first cookie is not signed in.
    let stale = reqwest::Client::new();
    let res = stale
        .post(app.url("/api/current_account"))
        .header("origin", app.config.public_origin())
        .header("cookie", value(&first))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_password_reset_ends_every_other_session(pool: PgPool) {
    let (app, worker) = anna_signed_in(pool).await;
    assert_eq!(status(&app, "current_account", &[]).await, 200);

    // From another browser: forgot password, then the link from the mail.
    let other = app.browser();
    let post = |endpoint: &str, form: Vec<(&str, String)>| {
        other
            .post(app.url(&format!("/api/{endpoint}")))
            .form(&form)
            .send()
    };
    assert_eq!(
        post(
            "request_password_reset",
            vec![("email", "anna@example.de".into())]
        )
        .await
        .unwrap()
        .status(),
        200
    );
    // Unknown addresses get the same answer.
    assert_eq!(
        post(
            "request_password_reset",
            vec![("email", "niemand@example.de".into())]
        )
        .await
        .unwrap()
        .status(),
        200
    );
    let token = token_from_mail(&app, "anna@example.de", "Neues Passwort").await;
    let res = post(
        "reset_password",
        vec![
            ("token", token.clone()),
            ("password", "ein neues sehr langes passwort".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);

    // The first browser's session is over; the old password no longer works, the new one does.
    assert_eq!(status(&app, "current_account", &[]).await, 401);
    assert_eq!(
        status(
            &app,
            "log_in",
            &[("email", "anna@example.de"), ("password", PW)]
        )
        .await,
        401
    );
    assert_eq!(
        status(
            &app,
            "log_in",
            &[
                ("email", "anna@example.de"),
                ("password", "ein neues sehr langes passwort")
            ]
        )
        .await,
        200
    );
    let audit: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(audit.contains(&"password.reset".to_owned()), "{audit:?}");
    assert!(audit.contains(&"login.failure".to_owned()), "{audit:?}");
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn over_https_the_cookie_is_secure_and_host_bound(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        &[
            ("PUBLIC_URL", "https://growthdesk.example"),
            ("METRICS_TOKEN", "scraper-token"),
            (
                "TWO_FACTOR_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            (
                "ANALYTICS_TOKEN_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            ("STRIPE_SECRET_KEY", "sk_test_https"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_https"),
        ],
    )
    .await;
    let worker = RunningWorker::start(&app);
    sign_up_and_verify(&app, "anna@example.de").await;
    let res = call(
        &app,
        &app.client,
        "log_in",
        &[("email", "anna@example.de"), ("password", PW)],
    )
    .await;
    assert_eq!(res.status(), 200);
    let cookie = session_cookie(&res).unwrap();
    assert!(cookie.starts_with("__Host-gd_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain="),
        "{cookie}"
    );
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn cross_site_writes_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = [("email", "anna@example.de"), ("password", PW)];
    let send = |origin: Option<&'static str>, site: Option<&'static str>| {
        let mut req = bare
            .post(app.url("/api/log_in"))
            .header("accept", "application/json")
            .form(&form);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(s) = site {
            req = req.header("sec-fetch-site", s);
        }
        req.send()
    };
    assert_eq!(
        send(Some("https://evil.example"), Some("cross-site"))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(send(None, Some("cross-site")).await.unwrap().status(), 403);
    assert_eq!(send(None, None).await.unwrap().status(), 403);
    // From our own pages it goes through (and fails on the credentials instead).
    assert_eq!(send(None, Some("same-origin")).await.unwrap().status(), 401);
    assert_eq!(
        send(
            Some(Box::leak(
                app.config.public_origin().to_owned().into_boxed_str()
            )),
            None
        )
        .await
        .unwrap()
        .status(),
        401
    );
    // Reading stays open.
    assert_eq!(bare.get(app.url("/")).send().await.unwrap().status(), 200);
}

async fn guess(app: &TestApp, password: &str) -> reqwest::Response {
    call(
        app,
        &app.client,
        "log_in",
        &[("email", "anna@example.de"), ("password", password)],
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn guessing_is_slowed_down_without_locking_the_owner_out(pool: PgPool) {
    let (app, worker) = anna_verified(pool).await;

    // The attacker, from 127.0.0.1: ten guesses, then 429 with Retry-After, even for the
    // right password.
    for _ in 0..10 {
        assert_eq!(guess(&app, "falsch geraten nummer x").await.status(), 401);
    }
    let limited = guess(&app, "falsch geraten nummer x").await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_eq!(
        limited.json::<serde_json::Value>().await.unwrap()["RateLimited"],
        retry
    );
    assert_eq!(guess(&app, PW).await.status(), 429);

    // The owner, from another address, signs in as usual.
    let owner = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let res = owner
        .post(app.url("/api/log_in"))
        .header("origin", app.config.public_origin())
        .header("accept", "application/json")
        .form(&[("email", "anna@example.de"), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn reset_requests_are_limited_per_address(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for n in 0..10 {
        let email = format!("person{n}@example.de");
        let res = call(
            &app,
            &app.client,
            "request_password_reset",
            &[("email", &email)],
        )
        .await;
        assert_eq!(res.status(), 200);
    }
    let res = call(
        &app,
        &app.client,
        "request_password_reset",
        &[("email", "one.more@example.de")],
    )
    .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

#[sqlx::test(migrations = false)]
async fn an_admin_grants_finance_and_the_audit_log_shows_it(pool: PgPool) {
    let (app, worker) = anna_verified(pool).await;

    // The first admin, as `server create-admin` makes one: then the reset link sets a password.
    let email = gd_accounts::Email::parse("chef@example.de").unwrap();
    let boot = gd_accounts::ensure_admin(&mut app.pool.acquire().await.unwrap(), &email)
        .await
        .unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    let token = gd_accounts::issue_token(
        &mut conn,
        boot.user_id,
        gd_accounts::TokenPurpose::ResetPassword,
    )
    .await
    .unwrap();
    let admin = app.browser();
    let post = |endpoint: &str, form: Vec<(&str, String)>| {
        admin
            .post(app.url(&format!("/api/{endpoint}")))
            .form(&form)
            .send()
    };
    let res = post(
        "reset_password",
        vec![
            ("token", token.expose().to_owned()),
            ("password", PW.into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let res = post(
        "log_in",
        vec![("email", "chef@example.de".into()), ("password", PW.into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    // Admins set up two-factor sign-in before their pages answer (the HTTP steps are tested
    // in two_factor.rs).
    assert_eq!(
        post("admin_list_users", vec![]).await.unwrap().status(),
        403
    );
    // Enrolling ends the sessions that never gave a code: sign in again, with the code.
    let secret = app.enrol_two_factor(boot.user_id, "chef@example.de").await;
    assert_eq!(
        post("admin_list_users", vec![]).await.unwrap().status(),
        401
    );
    let res = post(
        "log_in",
        vec![("email", "chef@example.de".into()), ("password", PW.into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let res = post(
        "verify_login_code",
        vec![("code", common::totp_now(&secret))],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);

    let users: serde_json::Value = post("admin_list_users", vec![("search", "anna".into())])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let anna = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "anna@example.de")
        .unwrap()
        .clone();
    let anna_id = anna["id"].as_str().unwrap().to_owned();
    let set_role = |user_id: &str, role: &str, grant: &str| {
        post(
            "admin_set_role",
            vec![
                ("user_id", user_id.to_owned()),
                ("role", role.to_owned()),
                ("grant", grant.to_owned()),
            ],
        )
    };
    let res = set_role(&anna_id, "finance", "true").await.unwrap();
    assert_eq!(res.status(), 200);
    let users: serde_json::Value = post("admin_list_users", vec![("search", "anna@".into())])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users[0]["roles"], serde_json::json!(["client", "finance"]));

    // Bad input is a clear error, not a 500.
    let res = set_role("not-a-uuid", "finance", "true").await.unwrap();
    assert_eq!(res.status(), 422);
    let res = set_role(&anna_id, "root", "true").await.unwrap();
    assert_eq!(res.status(), 422);
    // An admin cannot drop their own admin role.
    let res = set_role(&boot.user_id.to_string(), "admin", "false")
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    let audit: serde_json::Value = post("admin_audit_log", vec![("action", "role".into())])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let newest = &audit[0];
    assert_eq!(newest["action"], "role.grant");
    assert_eq!(newest["actor"], boot.user_id.to_string());
    assert_eq!(newest["subject"], anna_id);
    assert!(newest["details"].as_str().unwrap().contains("finance"));

    // Anna, now finance but not admin, may not use the admin functions.
    assert_eq!(
        status(
            &app,
            "log_in",
            &[("email", "anna@example.de"), ("password", PW)]
        )
        .await,
        200
    );
    assert_eq!(status(&app, "admin_list_users", &[]).await, 403);
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn sessions_are_listed_and_the_others_can_be_ended(pool: PgPool) {
    let (app, worker) = anna_verified(pool).await;
    let laptop = &app.client;
    let phone = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent("Phone/1.0")
        .build()
        .unwrap();
    let phone_post = |endpoint: &str| {
        phone
            .post(app.url(&format!("/api/{endpoint}")))
            .header("origin", app.config.public_origin())
            .header("accept", "application/json")
            .form(&[("email", "anna@example.de"), ("password", PW)])
            .send()
    };
    assert_eq!(
        call(
            &app,
            laptop,
            "log_in",
            &[("email", "anna@example.de"), ("password", PW)]
        )
        .await
        .status(),
        200
    );
    assert_eq!(phone_post("log_in").await.unwrap().status(), 200);

    let list: serde_json::Value = call(&app, laptop, "my_sessions", &[])
        .await
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(list.iter().any(|s| s["device"] == "Phone/1.0"));

    let ended: serde_json::Value = call(&app, laptop, "end_other_sessions", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ended, serde_json::json!(1));
    assert_eq!(phone_post("current_account").await.unwrap().status(), 401);
    assert_eq!(
        call(&app, laptop, "current_account", &[]).await.status(),
        200
    );
    let list: serde_json::Value = call(&app, laptop, "my_sessions", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(pool: PgPool) {
    let (app, worker) = anna_verified(pool).await;
    let other = app.browser();
    let sign_in = |client: &reqwest::Client, password: &'static str| {
        client
            .post(app.url("/api/log_in"))
            .header("origin", app.config.public_origin())
            .header("accept", "application/json")
            .form(&[("email", "anna@example.de"), ("password", password)])
            .send()
    };
    assert_eq!(sign_in(&app.client, PW).await.unwrap().status(), 200);
    assert_eq!(sign_in(&other, PW).await.unwrap().status(), 200);

    let new = "ein ganz neues langes passwort";
    let wrong = call(
        &app,
        &app.client,
        "change_password",
        &[("current", "falsch falsch falsch"), ("password", new)],
    )
    .await;
    assert_eq!(wrong.status(), 422);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["Validation"]["issues"][0]["field"], "current");
    assert_eq!(body["Validation"]["issues"][0]["code"], "WrongPassword");

    let res = call(
        &app,
        &app.client,
        "change_password",
        &[("current", PW), ("password", new)],
    )
    .await;
    assert_eq!(res.status(), 200);
    // This browser stays signed in; the other one is out.
    assert_eq!(status(&app, "current_account", &[]).await, 200);
    let res = other
        .post(app.url("/api/current_account"))
        .header("origin", app.config.public_origin())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(sign_in(&other, new).await.unwrap().status(), 200);
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_deletion_request_locks_the_account(pool: PgPool) {
    let (app, worker) = anna_signed_in(pool).await;
    // Without the confirmation box, nothing happens.
    assert_eq!(status(&app, "request_account_deletion", &[]).await, 422);
    assert_eq!(status(&app, "current_account", &[]).await, 200);

    let res = call(
        &app,
        &app.client,
        "request_account_deletion",
        &[("confirm", "on")],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(status(&app, "current_account", &[]).await, 401);
    let res = call(
        &app,
        &app.client,
        "log_in",
        &[("email", "anna@example.de"), ("password", PW)],
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!("AccountLocked")
    );
    assert_eq!(app.count("SELECT count(*) FROM users WHERE deletion_requested_at IS NOT NULL AND locked_at IS NOT NULL").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'account.deletion_requested'")
            .await,
        1
    );
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn the_verification_link_can_be_sent_again_within_limits(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let worker = RunningWorker::start(&app);
    let res = call(
        &app,
        &app.client,
        "sign_up",
        &[("email", "anna@example.de"), ("password", PW)],
    )
    .await;
    assert_eq!(res.status(), 200);
    let first = token_from_mail(&app, "anna@example.de", "bestätigen").await;
    for _ in 0..3 {
        let res = call(
            &app,
            &app.client,
            "resend_verification",
            &[("email", "anna@example.de")],
        )
        .await;
        assert_eq!(res.status(), 200);
    }
    assert_eq!(
        status(&app, "resend_verification", &[("email", "anna@example.de")]).await,
        429
    );
    // Unknown addresses get the same answer (from a fresh per-account bucket).
    assert_eq!(
        status(
            &app,
            "resend_verification",
            &[("email", "niemand@example.de")]
        )
        .await,
        200
    );

    // Only the newest link works.
    for _ in 0..100 {
        if app.count("SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::account_mail' AND status = 'Done'").await == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status(&app, "verify_email", &[("token", &first)]).await,
        400
    );
    // The worker sends mails concurrently, so the newest file need not hold the newest link:
    // of the four links exactly one works.
    let mails = gd_mail::read_outbox(&app.outbox, 50).await.unwrap();
    let tokens: Vec<&str> = mails
        .iter()
        .filter(|m| m.subject.contains("bestätigen"))
        .map(|m| {
            let start = m.body.find("token=").unwrap() + "token=".len();
            m.body[start..].split_whitespace().next().unwrap()
        })
        .collect();
    assert_eq!(tokens.len(), 4);
    let mut working = 0;
    for token in tokens {
        if status(&app, "verify_email", &[("token", token)]).await == 200 {
            working += 1;
        }
    }
    assert_eq!(working, 1);
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_new_email_address_counts_once_confirmed_from_that_address(pool: PgPool) {
    let (app, worker) = anna_signed_in(pool).await;
    sign_up_and_verify(&app, "bernd@example.de").await;
    // Someone else's address is refused.
    let res = call(
        &app,
        &app.client,
        "request_email_change",
        &[("new_email", "BERND@example.de")],
    )
    .await;
    assert_eq!(res.status(), 409);
    let res = call(
        &app,
        &app.client,
        "request_email_change",
        &[("new_email", "kaputt")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["Validation"]["issues"][0]["field"], "new_email");

    assert_eq!(
        status(
            &app,
            "request_email_change",
            &[("new_email", "anna.neu@example.de")]
        )
        .await,
        200
    );
    // Until the link is used, the old address is the account's.
    let me: serde_json::Value = call(&app, &app.client, "current_account", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "anna@example.de");

    let token = token_from_mail(&app, "anna.neu@example.de", "neue E-Mail-Adresse").await;
    assert_eq!(
        status(&app, "verify_email", &[("token", &token)]).await,
        200
    );
    assert_eq!(
        status(&app, "verify_email", &[("token", &token)]).await,
        400
    );
    let me: serde_json::Value = call(&app, &app.client, "current_account", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "anna.neu@example.de");
    let form = [("email", "anna.neu@example.de"), ("password", PW)];
    assert_eq!(status(&app, "log_in", &form).await, 200);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'account.email_changed'")
            .await,
        1
    );
    worker.stop().await;
}

#[sqlx::test(migrations = false)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client(pool: PgPool) {
    // The tests connect from 127.0.0.1: that is the proxy.
    let app = TestApp::spawn_with(pool.clone(), &[("TRUST_PROXY", "127.0.0.1")]).await;
    let worker = RunningWorker::start(&app);
    sign_up_and_verify(&app, "anna@example.de").await;
    // Eleven sign-ins must fall into one 15-minute window of the limit.
    common::in_one_window(900, 90).await;
    // Everyone arrives from the proxy's address; the proxy appends each client's own.
    let from = |app: &TestApp, client_ip: &str| {
        app.client
            .post(app.url("/api/log_in"))
            .header("accept", "application/json")
            .header("x-forwarded-for", format!("203.0.113.99, {client_ip}"))
            .form(&[
                ("email", "anna@example.de"),
                ("password", "falsch geraten nummer x"),
            ])
            .send()
    };
    for _ in 0..10 {
        assert_eq!(from(&app, "198.51.100.7").await.unwrap().status(), 401);
    }
    assert_eq!(from(&app, "198.51.100.7").await.unwrap().status(), 429);
    // Another client behind the same proxy is not affected; the spoofable first entry is ignored.
    assert_eq!(from(&app, "198.51.100.8").await.unwrap().status(), 401);
    let last_failure = |pool: PgPool| async move {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT ip FROM audit_log WHERE action = 'login.failure' ORDER BY id DESC LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    assert_eq!(
        last_failure(app.pool.clone()).await,
        Some("198.51.100.8".to_owned())
    );

    // IPv6 clients count by their /64: a fresh address in the same network does not help.
    for i in 0..10 {
        let ip = format!("2001:db8:77:1::{:x}", i + 1);
        assert_eq!(from(&app, &ip).await.unwrap().status(), 401);
    }
    assert_eq!(
        from(&app, "2001:db8:77:1:ffff::9").await.unwrap().status(),
        429
    );
    assert_eq!(from(&app, "2001:db8:77:2::1").await.unwrap().status(), 401);
    worker.stop().await;

    // A proxy we were not told about is just a client: its X-Forwarded-For is ignored.
    let app = TestApp::spawn_with(pool, &[("TRUST_PROXY", "10.9.9.9")]).await;
    assert_eq!(from(&app, "198.51.100.9").await.unwrap().status(), 401);
    assert_eq!(
        last_failure(app.pool.clone()).await,
        Some("127.0.0.1".to_owned())
    );
}
