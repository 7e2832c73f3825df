//! Claims of scheduled runs (`scheduled_runs`): with several worker processes, each scheduled
//! task runs once per interval across all of them. The database's clock decides, so processes
//! with skewed clocks still agree.

use std::time::Duration;

use sqlx::PgConnection;

/// Claims this interval's run of the task `name`. True for exactly one caller per interval,
/// whichever process it is in; that caller then runs the task. One statement: the first claim
/// ever inserts the row, later ones move `last_run_at` only when the interval has passed. Two
/// claims at once serialise on the row (or on its key when both insert); the second sees the
/// first's `last_run_at` and claims nothing.
pub async fn claim_run(
    conn: &mut PgConnection,
    name: &str,
    every: Duration,
) -> Result<bool, sqlx::Error> {
    let claimed: Option<String> = sqlx::query_scalar!(
        "INSERT INTO scheduled_runs AS r (name, last_run_at) VALUES ($1, now())
         ON CONFLICT (name) DO UPDATE SET last_run_at = now()
             WHERE r.last_run_at < now() - make_interval(secs => $2)
         RETURNING name",
        name,
        every.as_secs_f64()
    )
    .fetch_optional(conn)
    .await?;
    Ok(claimed.is_some())
}

/// Records how the claimed run of `name` ended (`error` is `None` when it succeeded), for
/// whoever looks at the table. A failed run is not retried before its next interval.
pub async fn record_outcome(
    conn: &mut PgConnection,
    name: &str,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE scheduled_runs SET last_finished_at = now(), last_error = $2 WHERE name = $1",
        name,
        error
    )
    .execute(conn)
    .await?;
    Ok(())
}
