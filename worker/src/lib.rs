//! Growthdesk's background worker: every job type, each on its own apalis queue in PostgreSQL.
//!
//! Job payloads and the functions that handle them live in their domain crates; [`jobs`] lists
//! them, one line each, and wraps every handler in the same logs, metrics and retry back-off.
//! [`schedule`] is the table of tasks the worker runs by itself (clean-ups today), each once
//! per interval across all worker processes. [`metrics`] serves what the worker counts, and
//! the queue's depth and latency, to Prometheus.

pub mod jobs;
pub mod metrics;
pub mod schedule;

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use gd_config::Config;
use gd_mail::Mailer;
use sqlx::PgPool;

pub use jobs::{backoff, register, register_keyed};

/// What every job handler may use.
#[derive(Clone)]
pub struct JobContext {
    pub pool: PgPool,
    pub mailer: Arc<dyn Mailer>,
    pub config: Arc<Config>,
    /// Where invoice files go (the configured object storage).
    pub storage: Arc<dyn gd_storage::ObjectStore>,
    /// The analytics sources: the networks' APIs that are configured, and the demo source.
    pub networks: gd_analytics::sync::Networks,
}

/// Runs every job worker, the schedule and (when `WORKER_METRICS_ADDR` is set) the metrics
/// listener until `shutdown` resolves, then lets in-flight jobs and a running scheduled task
/// finish (each up to the configured grace period).
pub async fn run(
    ctx: JobContext,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(ctx.config.shutdown_grace_secs);
    // Fans the one shutdown signal out to the schedule and the metrics listener; dropped
    // (= stop) if the monitor ends on its own.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let metrics = match ctx.config.worker_metrics_addr {
        Some(addr) => Some(metrics::serve(addr, ctx.clone(), stop_rx.clone()).await?),
        None => None,
    };
    let schedule = tokio::spawn(schedule::run(ctx.clone(), schedule::TASKS, stop_rx));

    let jobs = jobs::register_all(Monitor::new(), &ctx)
        .on_event(|e| tracing::debug!(worker = %e.id(), event = ?e.inner(), "worker event"))
        .with_terminator(tokio::time::sleep(grace))
        .run_with_signal(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
            Ok(())
        })
        .await;

    let abort = schedule.abort_handle();
    match tokio::time::timeout(grace, schedule).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "the schedule ended abnormally"),
        Err(_) => {
            abort.abort();
            tracing::warn!("a scheduled task outlived the shutdown grace period; abandoned");
        }
    }
    if let Some(listener) = metrics {
        let abort = listener.abort_handle();
        if tokio::time::timeout(grace, listener).await.is_err() {
            abort.abort();
        }
    }
    jobs
}
