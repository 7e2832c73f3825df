//! Claims of scheduled runs against a real PostgreSQL: one claimant per interval, however many
//! processes ask at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gd_jobs::schedule::{claim_run, record_outcome};
use sqlx::{Connection, PgConnection, PgPool};

const HOUR: Duration = Duration::from_secs(3600);

/// `n` claims of `name` at once, each on a connection of its own (as from `n` worker
/// processes); answers how many won.
async fn claims_at_once(pool: &PgPool, name: &'static str, n: usize) -> usize {
    let mut conns = Vec::new();
    for _ in 0..n {
        conns.push(
            PgConnection::connect_with(&pool.connect_options())
                .await
                .unwrap(),
        );
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let handles: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                claim_run(&mut conn, name, HOUR).await.unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for h in handles {
        won += usize::from(h.await.unwrap());
    }
    won
}

#[sqlx::test(migrations = false)]
async fn concurrent_claims_run_a_task_once_per_interval(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();

    // The very first claims race to insert the row: one wins.
    assert_eq!(claims_at_once(&pool, "sweep", 8).await, 1);
    // Within the interval nobody wins, however often they ask.
    assert_eq!(claims_at_once(&pool, "sweep", 8).await, 0);
    // Another task has its own schedule.
    assert_eq!(claims_at_once(&pool, "other", 8).await, 1);

    // Once the interval has passed, exactly one claimant again.
    sqlx::query("UPDATE scheduled_runs SET last_run_at = now() - interval '61 minutes' WHERE name = 'sweep'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(claims_at_once(&pool, "sweep", 8).await, 1);
    // ... and not a minute early.
    sqlx::query("UPDATE scheduled_runs SET last_run_at = now() - interval '59 minutes' WHERE name = 'sweep'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(claims_at_once(&pool, "sweep", 8).await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_outcome_of_a_run_is_recorded(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    assert!(claim_run(&mut conn, "sweep", HOUR).await.unwrap());
    record_outcome(&mut conn, "sweep", Some("database went away"))
        .await
        .unwrap();
    let (error, finished): (Option<String>, bool) = sqlx::query_as(
        "SELECT last_error, last_finished_at >= last_run_at FROM scheduled_runs WHERE name = 'sweep'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(error.as_deref(), Some("database went away"));
    assert!(finished);
    // A failed run does not make the task due again before its interval.
    assert!(!claim_run(&mut conn, "sweep", HOUR).await.unwrap());
    record_outcome(&mut conn, "sweep", None).await.unwrap();
    let error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM scheduled_runs WHERE name = 'sweep'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(error, None);
}
