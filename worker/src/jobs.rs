//! Job types and their handlers. Each handler is thin: take the payload, call the domain
//! function that owns it. [`register`] adds what every job type shares: its queue, concurrency,
//! panic catching, logs, metrics and the retry back-off.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_sql::context::SqlContext;
use apalis_sql::postgres::PostgresStorage;
use gd_accounts::AccountMail;
use gd_jobs::Job;
use gd_leads::LeadReceived;

use crate::JobContext;

/// Every job type the worker runs: one line each.
pub(crate) fn register_all(monitor: Monitor, ctx: &JobContext) -> Monitor {
    let monitor = register(monitor, ctx, lead_received);
    let monitor = register(monitor, ctx, order_confirmation);
    let monitor = register(monitor, ctx, order_update);
    let monitor = register(monitor, ctx, subscription_notice);
    let monitor = register(monitor, ctx, test_gateway_delivery);
    let monitor = register(monitor, ctx, start_fulfilment);
    let monitor = register(monitor, ctx, submit_fulfilment);
    let monitor = register(monitor, ctx, submit_refill);
    let monitor = register(monitor, ctx, issue_invoice);
    let monitor = register(monitor, ctx, issue_credit_note);
    let monitor = register(monitor, ctx, render_invoice);
    let monitor = register(monitor, ctx, sync_invoice);
    let monitor = register(monitor, ctx, sync_social_account);
    register_keyed(monitor, ctx, account_mail)
}

/// A paid order or renewal becomes fulfilments (manual tasks, provider orders).
async fn start_fulfilment(
    job: gd_orders::StartFulfilment,
    ctx: JobContext,
) -> Result<(), gd_fulfilment::FulfilmentError> {
    let mut tx = ctx.pool.begin().await?;
    let planned = gd_fulfilment::plan(&mut tx, job.order_id, job.period_id).await?;
    tx.commit().await?;
    tracing::info!(order = %job.order_id, ?planned, "fulfilment planned");
    Ok(())
}

/// A paid order or renewal gets its invoice (once: the payment is its source).
async fn issue_invoice(
    job: gd_orders::IssueInvoice,
    ctx: JobContext,
) -> Result<(), gd_invoices::InvoiceError> {
    let settings = gd_invoices::Settings::from_config(&ctx.config);
    let mut tx = ctx.pool.begin().await?;
    let issued = match job.period_id {
        None => gd_invoices::issue::for_order(&mut tx, job.order_id, &settings).await?,
        Some(period) => gd_invoices::issue::for_period(&mut tx, period, &settings).await?,
    };
    tx.commit().await?;
    tracing::info!(order = %job.order_id, ?issued, "invoice issued");
    Ok(())
}

/// A refund gets its credit note, correcting the invoice of the payment it sends back (the
/// checkout's or a renewal's), issued first when its own job has not run yet.
async fn issue_credit_note(
    job: gd_orders::IssueCreditNote,
    ctx: JobContext,
) -> Result<(), gd_invoices::InvoiceError> {
    let settings = gd_invoices::Settings::from_config(&ctx.config);
    let mut tx = ctx.pool.begin().await?;
    let issued =
        gd_invoices::issue::credit_note(&mut tx, job.payment_id, job.reason.as_deref(), &settings)
            .await?;
    tx.commit().await?;
    tracing::info!(payment = %job.payment_id, ?issued, "credit note issued");
    Ok(())
}

/// An invoice's PDF (and e-invoice XML) rendered and stored.
async fn render_invoice(
    job: gd_invoices::RenderInvoice,
    ctx: JobContext,
) -> Result<(), gd_invoices::InvoiceError> {
    let logo = agency_logo(&ctx).await?;
    let rendered = gd_invoices::render::render_and_store(
        &ctx.pool,
        ctx.storage.as_ref(),
        job.invoice_id,
        logo,
    )
    .await?;
    tracing::info!(invoice = %job.invoice_id, ?rendered, "invoice rendered");
    Ok(())
}

/// The agency's letterhead logo, when one is configured.
async fn agency_logo(ctx: &JobContext) -> Result<Option<Vec<u8>>, gd_invoices::InvoiceError> {
    match &ctx.config.agency.logo {
        Some(path) => Ok(Some(tokio::fs::read(path).await.map_err(|e| {
            gd_invoices::InvoiceError::Render(format!("AGENCY_LOGO {}: {e}", path.display()))
        })?)),
        None => Ok(None),
    }
}

/// An invoice pushed to Lexoffice with its PDF, or its payment state read back. Failures
/// are recorded for finance and tried again by the schedule, not by the queue.
async fn sync_invoice(
    job: gd_invoices::sync::SyncInvoice,
    ctx: JobContext,
) -> Result<(), gd_invoices::InvoiceError> {
    let Some(key) = &ctx.config.lexoffice_api_key else {
        // Enqueued while a key was set; the schedule enqueues it again once one is.
        tracing::info!(invoice = %job.invoice_id, "Lexoffice not connected; sync waits");
        return Ok(());
    };
    let pacer = gd_invoices::sync::DbPacer::new(ctx.pool.clone(), gd_invoices::sync::SPACING);
    let client =
        gd_invoices::lexoffice::Client::new(&ctx.config.lexoffice_api_base, key.expose(), &pacer);
    let settings = gd_invoices::sync::SyncSettings::from_config(&ctx.config);
    let synced = gd_invoices::sync::sync_invoice(
        &ctx.pool,
        &client,
        ctx.storage.as_ref(),
        &settings,
        job.invoice_id,
        agency_logo(&ctx).await?,
    )
    .await?;
    tracing::info!(invoice = %job.invoice_id, ?synced, "Lexoffice sync");
    Ok(())
}

/// One connected account's numbers pulled and stored (its open dashboards hear of it).
/// Failures are recorded on the account and tried again by the schedule.
async fn sync_social_account(
    job: gd_analytics::sync::SyncAccount,
    ctx: JobContext,
) -> Result<(), gd_analytics::AnalyticsError> {
    let synced = gd_analytics::sync::sync_account(
        &ctx.pool,
        &ctx.networks,
        &gd_analytics::crypto::TokenKey::from_config(&ctx.config),
        ctx.mailer.as_ref(),
        &gd_analytics::sync::SyncSettings::from_config(&ctx.config),
        job.account_id,
        chrono::Utc::now().date_naive(),
    )
    .await?;
    tracing::info!(account = %job.account_id, ?synced, "analytics sync");
    Ok(())
}

/// One fulfilment sent to its provider, at most once.
async fn submit_fulfilment(
    job: gd_fulfilment::SubmitFulfilment,
    ctx: JobContext,
) -> Result<(), gd_fulfilment::FulfilmentError> {
    let outcome = gd_fulfilment::submit(
        &ctx.pool,
        gd_fulfilment::providers::http(),
        job.fulfilment_id,
    )
    .await?;
    tracing::info!(fulfilment = %job.fulfilment_id, ?outcome, "fulfilment submitted");
    Ok(())
}

/// A client's refill sent to the provider.
async fn submit_refill(
    job: gd_fulfilment::refills::SubmitRefill,
    ctx: JobContext,
) -> Result<(), gd_fulfilment::FulfilmentError> {
    gd_fulfilment::refills::submit_refill(
        &ctx.pool,
        gd_fulfilment::providers::http(),
        job.refill_id,
    )
    .await
}

/// The buyer's order confirmation, at most once.
async fn order_confirmation(
    job: gd_orders::OrderConfirmation,
    ctx: JobContext,
) -> Result<(), gd_orders::ConfirmationError> {
    gd_orders::deliver_confirmation(
        &ctx.pool,
        ctx.mailer.as_ref(),
        job.order_id,
        &ctx.config.public_url,
        &ctx.config.agency_email,
    )
    .await
}

/// A change an admin made to an order by hand, told to the client once.
async fn order_update(
    job: gd_orders::OrderUpdate,
    ctx: JobContext,
) -> Result<(), gd_orders::ConfirmationError> {
    gd_orders::deliver_update(
        &ctx.pool,
        ctx.mailer.as_ref(),
        &job,
        &ctx.config.public_url,
        &ctx.config.agency_email,
    )
    .await
}

/// A subscription's renewal, failed payment or end, told to the client once.
async fn subscription_notice(
    job: gd_orders::SubscriptionNotice,
    ctx: JobContext,
) -> Result<(), gd_orders::ConfirmationError> {
    gd_orders::deliver_notice(
        &ctx.pool,
        ctx.mailer.as_ref(),
        &job,
        &ctx.config.public_url,
        &ctx.config.agency_email,
    )
    .await
}

/// One event of the built-in test gateway, posted to our own webhook as Stripe would post
/// it (signed anew at each attempt; retried with back-off until the webhook takes it).
async fn test_gateway_delivery(
    job: gd_payments::test_gateway::DeliverEvent,
    ctx: JobContext,
) -> Result<(), gd_payments::test_gateway::DeliveryError> {
    static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let http = HTTP.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default()
    });
    let secret = ctx
        .config
        .payments
        .webhook_secrets
        .first()
        .map_or("", |s| s.expose());
    let url = format!("{}/webhooks/stripe", ctx.config.public_url);
    gd_payments::test_gateway::deliver(&ctx.pool, http, &url, secret, &job.event_id).await
}

/// Both lead mails, each at most once.
async fn lead_received(job: LeadReceived, ctx: JobContext) -> Result<(), gd_leads::DeliverError> {
    let to = gd_leads::Delivery {
        agency_email: &ctx.config.agency_email,
        public_url: &ctx.config.public_url,
    };
    gd_leads::deliver_mails(&ctx.pool, ctx.mailer.as_ref(), job.lead_id, &to).await
}

/// A verification, reset, email-change or "already registered" mail, once per job (its id is
/// the mail's outbox key: the job's payload alone does not tell two requests apart).
async fn account_mail(
    job: AccountMail,
    ctx: JobContext,
    task: String,
) -> Result<(), gd_accounts::DeliverError> {
    gd_accounts::deliver_account_mail(
        &ctx.pool,
        ctx.mailer.as_ref(),
        &job,
        &ctx.config.public_url,
        &format!("account_mail:{task}"),
    )
    .await
}

/// Adds a worker for job type `J` to `monitor`: it takes jobs from `J::QUEUE` and hands each to
/// `handler`.
pub fn register<J, H, Fut, E>(monitor: Monitor, ctx: &JobContext, handler: H) -> Monitor
where
    J: Job,
    H: Fn(J, JobContext) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    register_keyed(monitor, ctx, move |job, ctx, _task| handler(job, ctx))
}

/// [`register`] for a handler that also needs the job's id, which stays the same across its
/// retries (what makes a side effect of this job, and of no other, happen once).
pub fn register_keyed<J, H, Fut, E>(monitor: Monitor, ctx: &JobContext, handler: H) -> Monitor
where
    J: Job,
    H: Fn(J, JobContext, String) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let worker = WorkerBuilder::new(worker_name(J::QUEUE))
        .concurrency(ctx.config.worker_concurrency.max(1))
        .catch_panic()
        .data(ctx.clone())
        .backend(storage::<J>(ctx))
        .build_fn(
            move |job: J,
                  ctx: Data<JobContext>,
                  task: TaskId,
                  attempt: Attempt,
                  sql: SqlContext| {
                let handler = handler.clone();
                async move {
                    let ctx = JobContext::clone(&ctx);
                    let outcome = handler(job, ctx.clone(), task.to_string()).await;
                    finish(&ctx, J::QUEUE, &task, &attempt, &sql, outcome).await
                }
            },
        );
    monitor.register(worker)
}

/// `growthdesk::lead_received` → `lead-received@<process>`: one name per job type and worker
/// process. apalis keeps each worker's heartbeat under its name and hands the jobs of a
/// worker whose heartbeat stopped back to the queue; two processes under one name would keep
/// each other's heartbeat alive and a killed worker's jobs would never come back.
fn worker_name(queue: &str) -> String {
    let kind = queue.rsplit("::").next().unwrap_or(queue).replace('_', "-");
    format!("{kind}@{}", process_tag())
}

/// This process's tag: its id and a random part (ids repeat across restarts and machines).
fn process_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| {
        let random = uuid::Uuid::new_v4().simple().to_string();
        format!("{}-{}", std::process::id(), &random[..8])
    })
}

/// `J`'s queue. Each worker beats (`apalis.workers.last_seen`) five times per orphan time: a
/// worker silent for the whole `WORKER_ORPHAN_AFTER_SECS` is dead, and every worker of the
/// queue hands the jobs it was running back to the queue. apalis's own beat (30 s) would make
/// a live worker look dead under an orphan time that short.
///
/// A poll claims up to 1,000 due jobs, and the worker runs them `WORKER_CONCURRENCY` at a
/// time: a queue drains at most buffer ÷ poll interval jobs per second, 16/s with the former
/// 8 (`scripts/job-bench.sh`, docs/BENCHMARKS.md). A short queue is taken in one poll as before;
/// the poll interval stays, as it sets the idle load (two statements per queue and poll). The
/// price: in a backlog a worker holds that many jobs as running before it starts them.
fn storage<J: Job>(ctx: &JobContext) -> PostgresStorage<J> {
    let orphan_after = ctx.config.worker_orphan_after();
    let config = apalis_sql::Config::new(J::QUEUE)
        .set_poll_interval(Duration::from_millis(500))
        .set_buffer_size(1000)
        .set_reenqueue_orphaned_after(orphan_after)
        .set_keep_alive((orphan_after / 5).min(Duration::from_secs(30)));
    PostgresStorage::new_with_config(ctx.pool.clone(), config)
}

/// Records metrics, logs failures and schedules the retry's back-off.
async fn finish<E: std::error::Error + Send + Sync + 'static>(
    ctx: &JobContext,
    queue: &'static str,
    task: &TaskId,
    attempt: &Attempt,
    sql: &SqlContext,
    outcome: Result<(), E>,
) -> Result<(), Error> {
    let e = match outcome {
        Ok(()) => {
            metrics::counter!(crate::metrics::JOBS_PROCESSED, "job_type" => queue).increment(1);
            tracing::info!(queue, task_id = %task, "job done");
            return Ok(());
        }
        Err(e) => e,
    };
    // apalis kills the job once this attempt is its last (see apalis_sql::calculate_status).
    let last = attempt.current() >= usize::try_from(sql.max_attempts()).unwrap_or(0);
    if last {
        metrics::counter!(crate::metrics::JOBS_FAILED, "job_type" => queue).increment(1);
        tracing::error!(queue, task_id = %task, attempt = attempt.current(), error = %e,
            "job failed for good: no attempts left");
    } else {
        metrics::counter!(crate::metrics::JOBS_RETRIED, "job_type" => queue).increment(1);
        let delay = backoff(attempt.current());
        tracing::warn!(queue, task_id = %task, attempt = attempt.current(), error = %e,
            retry_in_secs = delay.as_secs(), "job failed; will retry");
        let pushed_back = match ctx.pool.acquire().await {
            Ok(mut conn) => gd_jobs::queue::retry_later(&mut conn, &task.to_string(), delay).await,
            Err(db) => Err(db),
        };
        if let Err(db) = pushed_back {
            tracing::error!(error = %db, "cannot schedule the retry back-off");
        }
    }
    Err(Error::Failed(Arc::new(Box::new(e))))
}

/// 10 s, 20 s, 40 s … capped at one hour.
pub fn backoff(attempt: usize) -> Duration {
    let exp = attempt.min(12) as u32;
    Duration::from_secs((10u64 << exp).min(3600))
}

#[cfg(test)]
mod tests {
    use super::{backoff, worker_name};
    use std::time::Duration;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(10));
        assert_eq!(backoff(1), Duration::from_secs(20));
        assert_eq!(backoff(3), Duration::from_secs(80));
        assert_eq!(backoff(20), Duration::from_secs(3600));
    }

    #[test]
    fn worker_names_say_the_job_type_and_the_process() {
        let lead = worker_name("growthdesk::lead_received");
        let mail = worker_name("growthdesk::account_mail");
        let (kind, process) = lead.split_once('@').unwrap_or_default();
        assert_eq!(kind, "lead-received");
        assert!(process.starts_with(&format!("{}-", std::process::id())));
        assert_eq!(mail, format!("account-mail@{process}"));
    }
}
