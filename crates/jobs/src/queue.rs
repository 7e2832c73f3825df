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

/// One job as the admins' jobs page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: String,
    pub job_type: String,
    /// queued (pending), running, retrying (failed with attempts left), failed (no attempts
    /// left: dead), done, cancelled.
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: chrono::DateTime<chrono::Utc>,
    pub done_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
}

/// The job states the jobs page filters by, from apalis's statuses.
pub const STATES: [&str; 6] = ["queued", "running", "retrying", "dead", "done", "cancelled"];

/// Jobs in `state` (one of [`STATES`]; empty: every state but done), newest first.
pub async fn list(
    conn: &mut PgConnection,
    state: &str,
    limit: i64,
) -> Result<Vec<JobRow>, sqlx::Error> {
    sqlx::query_as!(
        JobRow,
        r#"SELECT id, job_type, state AS "state!", attempts, max_attempts,
                  run_at AS "run_at: chrono::DateTime<chrono::Utc>",
                  done_at AS "done_at: chrono::DateTime<chrono::Utc>", last_error
           FROM (SELECT *, CASE
                     WHEN status = 'Pending' THEN 'queued'
                     WHEN status = 'Running' THEN 'running'
                     WHEN status = 'Failed' AND attempts < max_attempts THEN 'retrying'
                     WHEN status = 'Killed' AND last_error = $3 THEN 'cancelled'
                     WHEN status IN ('Failed', 'Killed') THEN 'dead'
                     ELSE 'done' END AS state
                 FROM apalis.jobs) j
           WHERE ($1 = '' AND state <> 'done') OR state = $1
           ORDER BY run_at DESC
           LIMIT $2"#,
        state,
        limit,
        CANCELLED
    )
    .fetch_all(conn)
    .await
}

/// What a cancelled job says as its last error.
pub const CANCELLED: &str = "cancelled by an admin";

/// Runs a dead or retrying job again now, with its attempts counted afresh. False when the
/// job is not in such a state (it ran meanwhile).
pub async fn retry_now(conn: &mut PgConnection, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE apalis.jobs SET status = 'Pending', attempts = 0, run_at = now(),
             lock_by = NULL, lock_at = NULL, done_at = NULL
         WHERE id = $1 AND status IN ('Failed', 'Killed')",
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels a job that is waiting (queued or waiting for a retry): it never runs. False when
/// it is running or finished.
pub async fn cancel(conn: &mut PgConnection, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE apalis.jobs SET status = 'Killed', last_error = $2, done_at = now(),
             lock_by = NULL, lock_at = NULL
         WHERE id = $1 AND (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))",
        id,
        CANCELLED
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
