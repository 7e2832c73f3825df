//! The worker's Prometheus metrics, served at `/metrics` on `WORKER_METRICS_ADDR` when set.
//!
//! Counters are recorded where things happen (job runs in [`crate::jobs`], scheduled runs in
//! [`crate::schedule`]); they count what this process did. Queue gauges are read with the
//! queue SQL ([`gd_jobs::queue`]) at scrape time, so they describe the whole queue whichever
//! process ran the jobs.
//!
//! The listener is a few lines of axum rather than metrics-exporter-prometheus's
//! `http-listener` feature: axum and hyper are built for the server already, with the same
//! features, so the worker adds no crate; `http-listener` would add h2 and turn on hyper's
//! http2, client and server-auto features for the whole workspace (more to build for the
//! server too, checked with `cargo tree`). And its listener renders a recorder of its own,
//! while ours renders the one process-wide recorder that the worker's counters go to (also
//! when the server and the worker share a process, as in tests), after refreshing the queue
//! gauges, and applies `METRICS_TOKEN` like the server's `/metrics`.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::watch;

use crate::JobContext;

/// Counter: job runs that succeeded, by `job_type` (the queue).
pub const JOBS_PROCESSED: &str = "worker_jobs_processed_total";
/// Counter: job runs that failed and will be tried again after the back-off, by `job_type`.
pub const JOBS_RETRIED: &str = "worker_jobs_retried_total";
/// Counter: job runs that failed with no attempt left (apalis marks the job `Killed`), by
/// `job_type`. Together with the two above: every run counts exactly once.
pub const JOBS_FAILED: &str = "worker_jobs_failed_total";
/// Counter: scheduled task runs, by `task` and `outcome` (`ok`, `error`); only the process
/// that claimed a run counts it.
pub const SCHEDULED_RUNS: &str = "worker_scheduled_runs_total";
/// Gauge: jobs in the queue table, by `job_type` and `status`.
pub const QUEUE_JOBS: &str = "worker_queue_jobs";
/// Gauge: seconds the oldest runnable job of a queue has been due (0 when none waits), by
/// `job_type`.
pub const QUEUE_OLDEST_PENDING: &str = "worker_queue_oldest_pending_seconds";

/// Starts serving `/metrics` on `addr` until `stop` turns true. Binding happens here, so a
/// taken or bad address stops the worker at start instead of going unnoticed.
pub async fn serve(
    addr: SocketAddr,
    ctx: JobContext,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    gd_process::metrics_handle();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "worker metrics at /metrics");
    let app = Router::new()
        .route("/metrics", get(metrics))
        .with_state(ctx);
    Ok(tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(error = %e, "the worker metrics listener failed");
        }
    }))
}

async fn metrics(State(ctx): State<JobContext>, headers: HeaderMap) -> Response {
    if let Some(token) = &ctx.config.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !presented.is_some_and(|p| token.matches(p)) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need a token",
            )
                .into_response();
        }
    }
    if let Err(e) = read_queue_gauges(&ctx).await {
        tracing::warn!(error = %e, "cannot read the queue for /metrics");
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        gd_process::metrics_handle().render(),
    )
        .into_response()
}

async fn read_queue_gauges(ctx: &JobContext) -> Result<(), sqlx::Error> {
    let mut conn = ctx.pool.acquire().await?;
    for d in gd_jobs::queue::depths(&mut conn).await? {
        metrics::gauge!(QUEUE_JOBS, "job_type" => d.job_type, "status" => d.status)
            .set(d.jobs as f64);
    }
    for l in gd_jobs::queue::latencies(&mut conn).await? {
        metrics::gauge!(QUEUE_OLDEST_PENDING, "job_type" => l.job_type).set(l.oldest_due_secs);
    }
    Ok(())
}
