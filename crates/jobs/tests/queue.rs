//! The queue SQL against a real PostgreSQL with apalis's schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gd_jobs::queue::{depths, latencies, retry_later, QueueDepth};
use gd_jobs::{enqueue, Job};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgPool};

#[derive(Debug, Serialize, Deserialize)]
struct Ping {
    n: u32,
}

impl Job for Ping {
    const QUEUE: &'static str = "test::ping";
}

async fn migrated(pool: &PgPool) {
    gd_db::migrate(pool).await.unwrap();
}

fn depth(rows: &[QueueDepth], status: &str) -> i64 {
    rows.iter()
        .find(|d| d.job_type == "test::ping" && d.status == status)
        .map(|d| d.jobs)
        .unwrap_or(-1)
}

#[sqlx::test(migrations = false)]
async fn a_job_commits_or_rolls_back_with_its_transaction(pool: PgPool) {
    migrated(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    enqueue(&mut tx, &Ping { n: 1 }).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(
        depths(&mut conn).await.unwrap().is_empty(),
        "nothing queued"
    );

    let mut tx = conn.begin().await.unwrap();
    let id = enqueue(&mut tx, &Ping { n: 2 }).await.unwrap();
    tx.commit().await.unwrap();
    let (payload, max_attempts): (serde_json::Value, i32) =
        sqlx::query_as("SELECT job, max_attempts FROM apalis.jobs WHERE id = $1")
            .bind(&id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(payload, serde_json::json!({ "n": 2 }));
    assert_eq!(max_attempts, Ping::MAX_ATTEMPTS);
}

#[sqlx::test(migrations = false)]
async fn depth_and_latency_follow_the_queue(pool: PgPool) {
    migrated(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let late = enqueue(&mut conn, &Ping { n: 1 }).await.unwrap();
    let done = enqueue(&mut conn, &Ping { n: 2 }).await.unwrap();
    sqlx::query("UPDATE apalis.jobs SET run_at = now() - interval '90 seconds' WHERE id = $1")
        .bind(&late)
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE apalis.jobs SET status = 'Done', run_at = now() - interval '1 hour' WHERE id = $1",
    )
    .bind(&done)
    .execute(&mut *conn)
    .await
    .unwrap();

    let rows = depths(&mut conn).await.unwrap();
    assert_eq!(depth(&rows, "Pending"), 1);
    assert_eq!(depth(&rows, "Done"), 1);
    assert_eq!(
        depth(&rows, "Failed"),
        0,
        "every status is listed: {rows:?}"
    );
    assert_eq!(rows.len(), 5);

    // The done job, though older, does not count: only what still waits.
    let age = latencies(&mut conn).await.unwrap()[0].oldest_due_secs;
    assert!((90.0..120.0).contains(&age), "{age}");

    // Pushed back for a retry, the job is not late until its new time comes.
    retry_later(&mut conn, &late, Duration::from_secs(600))
        .await
        .unwrap();
    let waits: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM run_at - now())::float8 FROM apalis.jobs WHERE id = $1",
    )
    .bind(&late)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert!((590.0..=600.0).contains(&waits), "{waits}");
    let latency = latencies(&mut conn).await.unwrap();
    assert_eq!(latency.len(), 1);
    assert_eq!(latency[0].job_type, "test::ping");
    assert_eq!(latency[0].oldest_due_secs, 0.0);

    // A failed job with attempts left is waiting too; a killed one is not.
    sqlx::query("UPDATE apalis.jobs SET status = 'Failed', attempts = 1, run_at = now() - interval '30 seconds' WHERE id = $1")
        .bind(&late)
        .execute(&mut *conn)
        .await
        .unwrap();
    let age = latencies(&mut conn).await.unwrap()[0].oldest_due_secs;
    assert!((30.0..60.0).contains(&age), "{age}");
    sqlx::query("UPDATE apalis.jobs SET status = 'Killed' WHERE id = $1")
        .bind(&late)
        .execute(&mut *conn)
        .await
        .unwrap();
    assert_eq!(latencies(&mut conn).await.unwrap()[0].oldest_due_secs, 0.0);
}
