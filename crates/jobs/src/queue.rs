//! Every SQL statement on apalis's queue table (`apalis.jobs`): putting a job on its queue,
//! pushing a failed one back for a later retry, and what metrics read at scrape time.

use std::time::Duration;

use sqlx::PgConnection;

use crate::Job;

/// The statuses apalis gives a job row.
pub const STATUSES: [&str; 5] = ["Pending", "Running", "Done", "Failed", "Killed"];

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("cannot encode job payload: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cannot enqueue job: {0}")]
    Database(#[from] sqlx::Error),
}

/// Puts `job` on its queue using the caller's connection (usually inside a transaction).
/// Returns the job id apalis will use.
pub async fn enqueue<J: Job>(conn: &mut PgConnection, job: &J) -> Result<String, EnqueueError> {
    let payload = serde_json::to_value(job)?;
    // apalis.push_job is apalis's own SQL entry point: it generates the id and wakes the workers
    // (NOTIFY) once the transaction commits.
    let id: String = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM apalis.push_job($1, $2::json, 'Pending', now(), $3)"#,
        J::QUEUE,
        payload,
        J::MAX_ATTEMPTS
    )
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Makes the job `job_id` wait `delay` before apalis picks it up again. apalis retries a failed
/// job as soon as `run_at` has passed; pushing it back is how a flaky SMTP server gets time to
/// recover instead of every attempt being burnt at once.
pub async fn retry_later(
    conn: &mut PgConnection,
    job_id: &str,
    delay: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE apalis.jobs SET run_at = now() + make_interval(secs => $2) WHERE id = $1",
        job_id,
        delay.as_secs_f64()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// How many jobs one queue holds in one status.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueDepth {
    pub job_type: String,
    pub status: String,
    pub jobs: i64,
}

/// Jobs per queue and status, every status of every queue that has ever held a job (zeros
/// included, so a gauge drops back to 0 instead of keeping its last value).
pub async fn depths(conn: &mut PgConnection) -> Result<Vec<QueueDepth>, sqlx::Error> {
    sqlx::query_as!(
        QueueDepth,
        r#"SELECT q.job_type AS "job_type!", s.status AS "status!", count(j.id) AS "jobs!"
           FROM (SELECT DISTINCT job_type FROM apalis.jobs) q
           CROSS JOIN unnest($1::text[]) AS s(status)
           LEFT JOIN apalis.jobs j ON j.job_type = q.job_type AND j.status = s.status
           GROUP BY q.job_type, s.status
           ORDER BY q.job_type, s.status"#,
        &STATUSES.map(str::to_owned)[..]
    )
    .fetch_all(conn)
    .await
}

/// How long the longest-waiting job of one queue has been due.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct QueueLatency {
    pub job_type: String,
    /// Seconds since the oldest runnable job's `run_at`; 0 when nothing is due.
    pub oldest_due_secs: f64,
}

/// Per queue, how long its oldest runnable job (pending, or failed with attempts left — what
/// apalis fetches) has waited since it became due. A job pushed back for a retry is not late
/// until its new `run_at` has passed, so a healthy queue reads 0 and a stuck one grows.
pub async fn latencies(conn: &mut PgConnection) -> Result<Vec<QueueLatency>, sqlx::Error> {
    sqlx::query_as!(
        QueueLatency,
        r#"SELECT q.job_type AS "job_type!",
                COALESCE(extract(epoch FROM now() - min(j.run_at)), 0)::float8 AS "oldest_due_secs!""#
            + "
         FROM (SELECT DISTINCT job_type FROM apalis.jobs) q
         LEFT JOIN apalis.jobs j ON j.job_type = q.job_type
              AND (j.status = 'Pending' OR (j.status = 'Failed' AND j.attempts < j.max_attempts))
              AND j.run_at <= now()
         GROUP BY q.job_type
         ORDER BY q.job_type"
    )
    .fetch_all(conn)
    .await
}
