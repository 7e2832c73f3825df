//! Growthdesk's background worker: every job type, each on its own apalis queue in PostgreSQL.
//!
//! Handlers are thin: take the payload, call one domain function, report the outcome. A failed
//! job is retried by apalis with an exponential back-off that we set on the job row.

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_sql::postgres::PostgresStorage;
use gd_config::Config;
use gd_jobs::{AccountMail, Job, LeadReceived};
use gd_mail::Mailer;
use sqlx::PgPool;

/// What every job handler may use.
#[derive(Clone)]
pub struct JobContext {
    pub pool: PgPool,
    pub mailer: Arc<dyn Mailer>,
    pub config: Arc<Config>,
}

/// Runs a `LeadReceived` job: both lead mails, each at most once.
pub async fn run_lead_received(
    job: &LeadReceived,
    ctx: &JobContext,
) -> Result<(), gd_leads::DeliverError> {
    let to = gd_leads::Delivery {
        agency_email: &ctx.config.agency_email,
        public_url: &ctx.config.public_url,
    };
    gd_leads::deliver_mails(&ctx.pool, ctx.mailer.as_ref(), job.lead_id, &to).await
}

async fn lead_received(
    job: LeadReceived,
    ctx: Data<JobContext>,
    task_id: TaskId,
    attempt: Attempt,
) -> Result<(), Error> {
    let outcome = run_lead_received(&job, &ctx).await;
    finish(&ctx.pool, LeadReceived::QUEUE, &task_id, &attempt, outcome).await
}

/// Runs an `AccountMail` job: verification, reset or "already registered" mail.
pub async fn run_account_mail(
    job: &AccountMail,
    ctx: &JobContext,
) -> Result<(), gd_accounts::DeliverError> {
    gd_accounts::deliver_account_mail(&ctx.pool, ctx.mailer.as_ref(), job, &ctx.config.public_url)
        .await
}

async fn account_mail(
    job: AccountMail,
    ctx: Data<JobContext>,
    task_id: TaskId,
    attempt: Attempt,
) -> Result<(), Error> {
    let outcome = run_account_mail(&job, &ctx).await;
    finish(&ctx.pool, AccountMail::QUEUE, &task_id, &attempt, outcome).await
}

/// Records metrics, logs failures and schedules the retry's back-off.
async fn finish<E: std::error::Error + Send + Sync + 'static>(
    pool: &PgPool,
    queue: &'static str,
    task_id: &TaskId,
    attempt: &Attempt,
    outcome: Result<(), E>,
) -> Result<(), Error> {
    match outcome {
        Ok(()) => {
            metrics::counter!("jobs_total", "queue" => queue, "outcome" => "done").increment(1);
            tracing::info!(queue, task_id = %task_id, "job done");
            Ok(())
        }
        Err(e) => {
            metrics::counter!("jobs_total", "queue" => queue, "outcome" => "failed").increment(1);
            let delay = backoff(attempt.current());
            tracing::warn!(queue, task_id = %task_id, attempt = attempt.current(), error = %e,
                retry_in_secs = delay.as_secs(), "job failed");
            // apalis picks failed jobs up again once run_at has passed; pushing it back is how
            // a flaky SMTP server gets time to recover instead of burning every attempt at once.
            if let Err(db) = sqlx::query(
                "UPDATE apalis.jobs SET run_at = now() + make_interval(secs => $2) WHERE id = $1",
            )
            .bind(task_id.to_string())
            .bind(delay.as_secs_f64())
            .execute(pool)
            .await
            {
                tracing::error!(error = %db, "cannot schedule the retry back-off");
            }
            Err(Error::Failed(Arc::new(Box::new(e))))
        }
    }
}

/// 10 s, 20 s, 40 s … capped at one hour.
pub fn backoff(attempt: usize) -> Duration {
    let exp = attempt.min(12) as u32;
    Duration::from_secs((10u64 << exp).min(3600))
}

fn storage<J: Job>(pool: &PgPool) -> PostgresStorage<J> {
    let config = apalis_sql::Config::new(J::QUEUE)
        .set_poll_interval(Duration::from_millis(500))
        .set_buffer_size(8);
    PostgresStorage::new_with_config(pool.clone(), config)
}

/// Runs every worker until `shutdown` resolves, then lets in-flight jobs finish (up to the
/// configured grace period).
pub async fn run(
    ctx: JobContext,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(ctx.config.shutdown_grace_secs);
    let concurrency = ctx.config.worker_concurrency.max(1);
    let lead_worker = WorkerBuilder::new("lead-received")
        .concurrency(concurrency)
        .catch_panic()
        .data(ctx.clone())
        .backend(storage::<LeadReceived>(&ctx.pool))
        .build_fn(lead_received);

    let account_worker = WorkerBuilder::new("account-mail")
        .concurrency(concurrency)
        .catch_panic()
        .data(ctx.clone())
        .backend(storage::<AccountMail>(&ctx.pool))
        .build_fn(account_mail);

    Monitor::new()
        .register(lead_worker)
        .register(account_worker)
        .on_event(|e| tracing::debug!(worker = %e.id(), event = ?e.inner(), "worker event"))
        .with_terminator(tokio::time::sleep(grace))
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(10));
        assert_eq!(backoff(1), Duration::from_secs(20));
        assert_eq!(backoff(3), Duration::from_secs(80));
        assert_eq!(backoff(20), Duration::from_secs(3600));
    }
}
