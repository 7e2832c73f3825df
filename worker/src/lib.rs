//! Growthdesk's background worker: every job type, each on its own apalis queue in PostgreSQL.
//!
//! Job payloads and the functions that handle them live in their domain crates; [`jobs`] lists
//! them, one line each, and wraps every handler in the same logs, metrics and retry back-off.

pub mod jobs;
pub mod metrics;

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use gd_config::Config;
use gd_mail::Mailer;
use sqlx::PgPool;

pub use jobs::{backoff, register};

/// What every job handler may use.
#[derive(Clone)]
pub struct JobContext {
    pub pool: PgPool,
    pub mailer: Arc<dyn Mailer>,
    pub config: Arc<Config>,
}

/// Runs every worker until `shutdown` resolves, then lets in-flight jobs finish (up to the
/// configured grace period).
pub async fn run(
    ctx: JobContext,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(ctx.config.shutdown_grace_secs);
    jobs::register_all(Monitor::new(), &ctx)
        .on_event(|e| tracing::debug!(worker = %e.id(), event = ?e.inner(), "worker event"))
        .with_terminator(tokio::time::sleep(grace))
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await
}
