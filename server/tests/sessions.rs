//! Session lifetimes over HTTP, with the clock moved in the database: the idle timeout slides
//! with activity, the absolute limit ends a session however active it is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use sqlx::PgPool;

async fn me(app: &TestApp, browser: &reqwest::Client) -> u16 {
    browser
        .post(app.url("/api/current_account"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.pool).await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn an_active_session_slides_and_an_idle_one_ends(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("SESSION_IDLE_HOURS", "24")]).await;
    let anna = app.signed_in("anna@example.de", &[]).await;
    assert_eq!(me(&app, &anna).await, 200);

    // Unused for 23 h 50 min: ten minutes left. One request starts the 24 hours anew.
    exec(
        &app,
        "UPDATE tower_sessions.session SET expiry_date = now() + interval '10 minutes'",
    )
    .await;
    exec(
        &app,
        "UPDATE user_sessions SET last_seen_at = now() - interval '23 hours 50 minutes'",
    )
    .await;
    assert_eq!(me(&app, &anna).await, 200);
    let slid = app
        .count(
            "SELECT count(*) FROM tower_sessions.session
             WHERE expiry_date > now() + interval '23 hours 59 minutes'",
        )
        .await;
    assert_eq!(slid, 1, "the idle expiry moved forward");
    let seen = app
        .count(
            "SELECT count(*) FROM user_sessions WHERE last_seen_at > now() - interval '1 minute'",
        )
        .await;
    assert_eq!(seen, 1);

    // Unused past its expiry: gone.
    exec(
        &app,
        "UPDATE tower_sessions.session SET expiry_date = now() - interval '1 second'",
    )
    .await;
    assert_eq!(me(&app, &anna).await, 401);
}

#[sqlx::test(migrations = false)]
async fn the_absolute_limit_ends_even_a_busy_session(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("SESSION_ABSOLUTE_DAYS", "14")]).await;
    let anna = app.signed_in("anna@example.de", &[]).await;
    // The account's own timestamps move back with the clock too (the password was set just
    // before signing in, which would otherwise void the older session).
    exec(
        &app,
        "UPDATE users SET sessions_valid_after = now() - interval '30 days'",
    )
    .await;

    // Signed in 13 days ago and used all the time: still valid.
    exec(
        &app,
        "UPDATE user_sessions SET created_at = now() - interval '13 days'",
    )
    .await;
    assert_eq!(me(&app, &anna).await, 200);

    // 14 days and a minute: over, used a second ago or not.
    exec(
        &app,
        "UPDATE user_sessions SET created_at = now() - interval '14 days 1 minute',
                                  last_seen_at = now()",
    )
    .await;
    assert_eq!(me(&app, &anna).await, 401);
    assert_eq!(
        app.count("SELECT count(*) FROM tower_sessions.session")
            .await,
        0,
        "the session was ended, not just refused"
    );
}
