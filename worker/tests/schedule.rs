//! The worker's schedule against a real PostgreSQL: each task once per interval however many
//! workers look at once, and the clean-ups delete exactly what is past its retention.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gd_config::Config;
use sqlx::PgPool;
use worker::schedule::{run_due, Task, TASKS};
use worker::JobContext;

async fn context(pool: &PgPool, vars: &[(&str, &str)]) -> JobContext {
    gd_db::migrate(pool).await.unwrap();
    let outbox = std::env::temp_dir().join(format!("gd-worker-outbox-{}", uuid::Uuid::new_v4()));
    let mut env: HashMap<String, String> =
        HashMap::from([("MAIL_OUTBOX_DIR".into(), outbox.display().to_string())]);
    env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::from_vars(env).unwrap();
    JobContext {
        pool: pool.clone(),
        mailer: gd_mail::from_config(&config).unwrap(),
        storage: gd_storage::from_config(&config.storage).unwrap(),
        networks: gd_analytics::sync::Networks::from_config(&config).unwrap(),
        config: Arc::new(config),
    }
}

/// A task that leaves a trace of each run and takes a moment, so runs would overlap.
async fn tick(ctx: JobContext) -> anyhow::Result<u64> {
    sqlx::query("INSERT INTO ticks DEFAULT VALUES")
        .execute(&ctx.pool)
        .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(1)
}

static TICK: &[Task] = &[worker::task!("test_tick", Duration::from_secs(3600), tick)];

async fn ticks(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM ticks")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn workers_looking_at_once_run_a_task_once(pool: PgPool) {
    let ctx = context(&pool, &[]).await;
    sqlx::query("CREATE TABLE ticks (at timestamptz NOT NULL DEFAULT now())")
        .execute(&pool)
        .await
        .unwrap();

    let at_once = |ctx: &JobContext| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let ctx = ctx.clone();
                tokio::spawn(async move { run_due(&ctx, TICK).await })
            })
            .collect();
        async move {
            let mut ran = 0;
            for h in handles {
                ran += h.await.unwrap();
            }
            ran
        }
    };
    assert_eq!(at_once(&ctx).await, 1);
    assert_eq!(ticks(&pool).await, 1);
    // Still within the interval: nobody runs it.
    assert_eq!(at_once(&ctx).await, 0);
    assert_eq!(ticks(&pool).await, 1);
    // An interval later: once more, by one of them.
    sqlx::query("UPDATE scheduled_runs SET last_run_at = last_run_at - interval '1 hour'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(at_once(&ctx).await, 1);
    assert_eq!(ticks(&pool).await, 2);
    let error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM scheduled_runs WHERE name = 'test_tick'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(error, None);
}

async fn names(pool: &PgPool, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql).fetch_all(pool).await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn the_schedule_sweeps_what_is_past_its_retention(pool: PgPool) {
    let ctx = context(
        &pool,
        &[
            ("TOKEN_RETENTION_DAYS", "3"),
            ("RATE_LIMIT_RETENTION_HOURS", "2"),
        ],
    )
    .await;
    let user: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (id, email) VALUES ($1, 'anna@example.de') RETURNING id",
    )
    .bind(uuid::Uuid::now_v7())
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::raw_sql(
        "INSERT INTO tower_sessions.session (id, data, expiry_date) VALUES
             ('alive', '', now() + interval '1 hour'),
             ('expired', '', now() - interval '1 second');
         INSERT INTO rate_limits (bucket, window_start, hits) VALUES
             ('3-hours-ago', now() - interval '3 hours', 1),
             ('1-hour-ago', now() - interval '1 hour', 1);",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO user_sessions (session_id, user_id) VALUES
             ('alive', $1), ('expired', $1), ('signed-out', $1)",
    )
    .bind(user)
    .execute(&pool)
    .await
    .unwrap();
    for (name, used, expires) in [
        ("used-4-days-ago", Some("-4 days"), "+1 day"),
        ("used-2-days-ago", Some("-2 days"), "+1 day"),
        ("expired-4-days-ago", None, "-4 days"),
        ("live", None, "+1 hour"),
    ] {
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at, used_at)
             VALUES (convert_to($1, 'UTF8'), $2, 'reset_password', now() + $3::interval,
                     now() + $4::interval)",
        )
        .bind(name)
        .bind(user)
        .bind(expires)
        .bind(used)
        .execute(&pool)
        .await
        .unwrap();
    }

    assert_eq!(run_due(&ctx, TASKS).await, TASKS.len());

    assert_eq!(
        names(&pool, "SELECT id FROM tower_sessions.session").await,
        ["alive"]
    );
    // The expired session went first, so its link goes in the same pass.
    assert_eq!(
        names(&pool, "SELECT session_id FROM user_sessions").await,
        ["alive"]
    );
    assert_eq!(
        names(
            &pool,
            "SELECT convert_from(token_hash, 'UTF8') FROM account_tokens ORDER BY 1"
        )
        .await,
        ["live", "used-2-days-ago"]
    );
    assert_eq!(
        names(&pool, "SELECT bucket FROM rate_limits").await,
        ["1-hour-ago"]
    );
    let runs: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT name, last_error FROM scheduled_runs ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(runs.len(), TASKS.len());
    assert!(runs.iter().all(|(_, e)| e.is_none()), "{runs:?}");

    // Not again within the hour, by this worker or another.
    assert_eq!(run_due(&ctx, TASKS).await, 0);
}
