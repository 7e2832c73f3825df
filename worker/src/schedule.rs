//! The schedule: what the worker does by itself, how often. [`TASKS`] is the one table of
//! scheduled tasks, one line each; a task is an async fn that takes the [`JobContext`] and
//! answers how many things it handled.
//!
//! Every worker process runs the same table, and each task still runs once per interval across
//! all of them: before running, a process claims the run in `scheduled_runs`
//! ([`gd_jobs::schedule::claim_run`]) and only the claimant runs it. A failed run is logged and
//! counted, and tried again at the next interval. Tasks run one after another, so a task should
//! be short; long work (one provider call per account, say) belongs in jobs the task enqueues.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::JobContext;

/// What a scheduled task's function returns: how many things it handled (rows deleted, …).
pub type TaskFuture = Pin<Box<dyn Future<Output = anyhow::Result<u64>> + Send>>;

/// One scheduled task.
#[derive(Clone, Copy)]
pub struct Task {
    /// Its name in `scheduled_runs`, logs and metrics. Renaming a task resets its schedule.
    pub name: &'static str,
    /// How often it runs, at most (across all worker processes).
    pub every: Duration,
    pub run: fn(JobContext) -> TaskFuture,
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("name", &self.name)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

/// `task!("name", every, async_fn)`: a [`Task`] from an `async fn(JobContext) ->
/// anyhow::Result<u64>`.
#[macro_export]
macro_rules! task {
    ($name:literal, $every:expr, $run:path) => {
        $crate::schedule::Task {
            name: $name,
            every: $every,
            run: |ctx| Box::pin($run(ctx)),
        }
    };
}

const HOURLY: Duration = Duration::from_secs(3600);

/// Every scheduled task, in the order they run when several are due.
pub static TASKS: &[Task] = &[
    task!("delete_expired_sessions", HOURLY, delete_expired_sessions),
    task!("forget_ended_sessions", HOURLY, forget_ended_sessions),
    task!("forget_spent_tokens", HOURLY, forget_spent_tokens),
    task!("forget_old_rate_limits", HOURLY, forget_old_rate_limits),
    task!("delete_stale_guest_carts", HOURLY, delete_stale_guest_carts),
    task!("poll_fulfilment", Duration::from_secs(30), poll_fulfilment),
    task!("sync_lexoffice", Duration::from_secs(60), sync_lexoffice),
    task!("finance_digest", DAILY, finance_digest),
    task!("sync_analytics", Duration::from_secs(60), sync_analytics),
    task!("forget_old_analytics", DAILY, forget_old_analytics),
];

const DAILY: Duration = Duration::from_secs(24 * 3600);

/// How many invoices one run puts on the sync queue (at about 5 calls each and 2 calls a
/// second, a minute's worth).
const SYNC_BATCH: i64 = 25;

/// Invoices not in Lexoffice yet (or failed and due again, or whose payment is worth reading
/// again) are put on the sync queue. Without an API key they wait.
async fn sync_lexoffice(ctx: JobContext) -> anyhow::Result<u64> {
    if ctx.config.lexoffice_api_key.is_none() {
        return Ok(0);
    }
    let mut tx = ctx.pool.begin().await?;
    let queued = gd_invoices::sync::enqueue_due(&mut tx, SYNC_BATCH).await?;
    tx.commit().await?;
    Ok(queued)
}

/// How many account syncs one run queues (the interval keeps the rest coming).
const ANALYTICS_BATCH: i64 = 50;

/// Connected accounts whose sync is due (and whose network is not asking us to wait) are put
/// on the queue.
async fn sync_analytics(ctx: JobContext) -> anyhow::Result<u64> {
    let mut tx = ctx.pool.begin().await?;
    let queued = gd_analytics::sync::enqueue_due(&mut tx, ANALYTICS_BATCH).await?;
    tx.commit().await?;
    Ok(queued)
}

/// Daily snapshots older than `ANALYTICS_RETENTION_DAYS`.
async fn forget_old_analytics(ctx: JobContext) -> anyhow::Result<u64> {
    let mut conn = ctx.pool.acquire().await?;
    Ok(gd_analytics::store::forget_old(&mut conn, ctx.config.analytics_retention_days).await?)
}

/// Finance's daily digest: new invoices, failed payments, failed bookkeeping syncs.
async fn finance_digest(ctx: JobContext) -> anyhow::Result<u64> {
    let sent = gd_invoices::digest::send_daily(
        &ctx.pool,
        ctx.mailer.as_ref(),
        &ctx.config.public_url,
        ctx.config.finance_digest_to.as_deref(),
        chrono::Utc::now().date_naive(),
    )
    .await?;
    Ok(sent)
}

/// Asks providers where their open orders stand (in batches) and moves the fulfilments and
/// their orders on.
async fn poll_fulfilment(ctx: JobContext) -> anyhow::Result<u64> {
    let report = gd_fulfilment::poll(&ctx.pool, gd_fulfilment::providers::http(), 1000).await?;
    if report.failed_providers > 0 {
        tracing::warn!(?report, "some providers did not answer the status poll");
    }
    Ok(u64::try_from(report.asked + report.refills).unwrap_or(u64::MAX))
}

/// Carts of visitors who never signed in, unchanged for `GUEST_CART_DAYS`.
async fn delete_stale_guest_carts(ctx: JobContext) -> anyhow::Result<u64> {
    let mut conn = ctx.pool.acquire().await?;
    Ok(gd_cart::delete_stale_guest_carts(&mut conn, ctx.config.guest_cart_days).await?)
}

/// Sessions past their expiry.
async fn delete_expired_sessions(ctx: JobContext) -> anyhow::Result<u64> {
    let mut conn = ctx.pool.acquire().await?;
    Ok(gd_accounts::delete_expired_sessions(&mut conn).await?)
}

/// Links from users to sessions that no longer exist.
async fn forget_ended_sessions(ctx: JobContext) -> anyhow::Result<u64> {
    let mut conn = ctx.pool.acquire().await?;
    Ok(gd_accounts::forget_ended_sessions(&mut conn).await?)
}

/// Email and password links spent longer ago than `TOKEN_RETENTION_DAYS`.
async fn forget_spent_tokens(ctx: JobContext) -> anyhow::Result<u64> {
    let mut conn = ctx.pool.acquire().await?;
    Ok(gd_accounts::forget_spent_tokens(&mut conn, ctx.config.token_retention()).await?)
}

/// Rate-limit counters older than `RATE_LIMIT_RETENTION_HOURS`.
async fn forget_old_rate_limits(ctx: JobContext) -> anyhow::Result<u64> {
    let mut conn = ctx.pool.acquire().await?;
    Ok(gd_accounts::forget_old_rate_limits(&mut conn, ctx.config.rate_limit_retention()).await?)
}

/// How often a worker looks for due tasks (more often when a task's interval is shorter).
const TICK: Duration = Duration::from_secs(60);

/// Runs `tasks` when due until `stop` turns true (or its sender is gone). A task that is
/// running when the stop comes is finished first.
pub async fn run(ctx: JobContext, tasks: &'static [Task], mut stop: watch::Receiver<bool>) {
    let tick = tasks.iter().map(|t| t.every).fold(TICK, Duration::min);
    loop {
        run_due(&ctx, tasks).await;
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.wait_for(|stopped| *stopped) => break,
        }
    }
}

/// Runs each task of `tasks` whose run this process could claim; answers how many ran.
pub async fn run_due(ctx: &JobContext, tasks: &[Task]) -> usize {
    let mut ran = 0;
    for task in tasks {
        match claim(ctx, task).await {
            Ok(true) => {
                run_one(ctx, task).await;
                ran += 1;
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(task = task.name, error = %e, "cannot claim a scheduled run")
            }
        }
    }
    ran
}

async fn claim(ctx: &JobContext, task: &Task) -> Result<bool, sqlx::Error> {
    let mut conn = ctx.pool.acquire().await?;
    gd_jobs::schedule::claim_run(&mut conn, task.name, task.every).await
}

async fn run_one(ctx: &JobContext, task: &Task) {
    let started = Instant::now();
    let outcome = (task.run)(ctx.clone()).await;
    let secs = started.elapsed().as_secs_f64();
    let error = match &outcome {
        Ok(handled) => {
            tracing::info!(task = task.name, handled, secs, "scheduled task done");
            None
        }
        Err(e) => {
            tracing::warn!(
                task = task.name,
                error = format!("{e:#}"),
                secs,
                "scheduled task failed"
            );
            Some(format!("{e:#}"))
        }
    };
    let outcome_label = if error.is_none() { "ok" } else { "error" };
    metrics::counter!(crate::metrics::SCHEDULED_RUNS, "task" => task.name, "outcome" => outcome_label)
        .increment(1);
    let recorded = match ctx.pool.acquire().await {
        Ok(mut conn) => {
            gd_jobs::schedule::record_outcome(&mut conn, task.name, error.as_deref()).await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = recorded {
        tracing::warn!(task = task.name, error = %e, "cannot record a scheduled run's outcome");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_names_are_unique() {
        let mut names: Vec<_> = TASKS.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TASKS.len());
    }
}
