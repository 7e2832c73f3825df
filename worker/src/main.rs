//! `worker`: runs Growthdesk's background jobs until SIGTERM/Ctrl-C.

use std::sync::Arc;

use anyhow::Context;
use gd_config::Config;
use worker::JobContext;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env().context("reading configuration")?;
    gd_process::init_logging(&config, "worker");
    let pool = gd_db::connect(&config.database_url, config.database_max_connections).await?;
    gd_db::migrate_as_owner(
        &pool,
        config.migration_database_url.as_ref().map(|u| u.expose()),
    )
    .await?;
    let mailer = gd_mail::from_config(&config)?;
    tracing::info!(mail = %mailer.describe(), "worker started");
    let storage = gd_storage::from_config(&config.storage)?;
    let ctx = JobContext {
        pool: pool.clone(),
        mailer,
        storage,
        networks: gd_analytics::sync::Networks::from_config(&config)?,
        config: Arc::new(config),
    };
    worker::run(ctx, gd_process::shutdown_signal()).await?;
    pool.close().await;
    tracing::info!("worker stopped");
    Ok(())
}
