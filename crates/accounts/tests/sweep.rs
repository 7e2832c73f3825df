//! The clean-ups the worker schedules: each deletes exactly what is past its retention and
//! keeps everything else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use sqlx::PgPool;

const DAY: Duration = Duration::from_secs(24 * 3600);

async fn names(pool: &PgPool, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql).fetch_all(pool).await.unwrap()
}

async fn user(pool: &PgPool, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("INSERT INTO users (id, email) VALUES ($1, $2) RETURNING id")
        .bind(uuid::Uuid::now_v7())
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn spent_tokens_go_after_the_retention(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let u = user(&pool, "anna@example.de").await;
    // (name, used, expires): intervals relative to now; the name is the token hash.
    for (name, used, expires) in [
        ("used-8-days-ago", Some("-8 days"), "+40 days"),
        ("used-6-days-ago", Some("-6 days"), "-5 days"),
        ("expired-8-days-ago", None, "-8 days"),
        ("expired-6-days-ago", None, "-6 days"),
        ("live", None, "+1 hour"),
        ("used-just-now", Some("-1 second"), "+1 hour"),
    ] {
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at, used_at)
             VALUES (convert_to($1, 'UTF8'), $2, 'verify_email', now() + $3::interval,
                     now() + $4::interval)",
        )
        .bind(name)
        .bind(u)
        .bind(expires)
        .bind(used)
        .execute(&pool)
        .await
        .unwrap();
    }
    let mut conn = pool.acquire().await.unwrap();
    let deleted = gd_accounts::forget_spent_tokens(&mut conn, 7 * DAY)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(
        names(
            &pool,
            "SELECT convert_from(token_hash, 'UTF8') FROM account_tokens ORDER BY 1"
        )
        .await,
        [
            "expired-6-days-ago",
            "live",
            "used-6-days-ago",
            "used-just-now"
        ]
    );
    // A shorter retention takes more, never a link that still works.
    assert_eq!(
        gd_accounts::forget_spent_tokens(&mut conn, Duration::ZERO)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        names(
            &pool,
            "SELECT convert_from(token_hash, 'UTF8') FROM account_tokens"
        )
        .await,
        ["live"]
    );
}

#[sqlx::test(migrations = false)]
async fn links_to_ended_sessions_go(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let u = user(&pool, "anna@example.de").await;
    sqlx::query(
        "INSERT INTO tower_sessions.session (id, data, expiry_date) VALUES
         ('alive', '', now() + interval '1 hour'),
         ('expired-not-yet-deleted', '', now() - interval '1 hour')",
    )
    .execute(&pool)
    .await
    .unwrap();
    for id in ["alive", "expired-not-yet-deleted", "signed-out", "replaced"] {
        let mut conn = pool.acquire().await.unwrap();
        gd_accounts::record_session(&mut conn, id, u, None, None)
            .await
            .unwrap();
    }
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(
        gd_accounts::forget_ended_sessions(&mut conn).await.unwrap(),
        2
    );
    assert_eq!(
        names(&pool, "SELECT session_id FROM user_sessions ORDER BY 1").await,
        ["alive", "expired-not-yet-deleted"]
    );
    // Once the expired session itself is deleted, its link follows.
    gd_accounts::delete_expired_sessions(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        gd_accounts::forget_ended_sessions(&mut conn).await.unwrap(),
        1
    );
    assert_eq!(
        names(&pool, "SELECT session_id FROM user_sessions").await,
        ["alive"]
    );
}

#[sqlx::test(migrations = false)]
async fn old_rate_limit_counters_go(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES
         ('25-hours-ago', now() - interval '25 hours', 3),
         ('23-hours-ago', now() - interval '23 hours', 3),
         ('running', now() - interval '10 minutes', 3)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(
        gd_accounts::forget_old_rate_limits(&mut conn, DAY)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        names(&pool, "SELECT bucket FROM rate_limits ORDER BY 1").await,
        ["23-hours-ago", "running"]
    );
    // The shortest allowed retention (one hour, the longest window) keeps a running window.
    assert_eq!(
        gd_accounts::forget_old_rate_limits(&mut conn, Duration::from_secs(3600))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        names(&pool, "SELECT bucket FROM rate_limits").await,
        ["running"]
    );
}
