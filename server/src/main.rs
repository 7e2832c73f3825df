//! `server`: serves Growthdesk over HTTP.
//!
//! Sub-commands: `server` (or `server serve`) runs the site; `server migrate` only brings the
//! database schema up to date; `server seed` loads the demo data (idempotent);
//! `server create-admin EMAIL` makes EMAIL an admin and prints a link to set the password.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use gd_config::Config;
use server::{AppParts, AppState};

/// mimalloc instead of glibc's allocator: rendering a page is mostly many small strings, and
/// glibc's malloc and free took a third of the server's time (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env().context("reading configuration")?;
    gd_process::init_logging(&config, "server");
    let command = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "serve".to_owned());

    let pool = gd_db::connect(&config.database_url, config.database_max_connections).await?;
    gd_db::migrate_as_owner(
        &pool,
        config.migration_database_url.as_ref().map(|u| u.expose()),
    )
    .await?;

    match command.as_str() {
        "serve" => serve(config, pool).await,
        "migrate" => {
            tracing::info!("database schema is up to date");
            Ok(())
        }
        "seed" => {
            gd_db::seed_demo_data(&pool).await?;
            tracing::info!("demo data loaded");
            Ok(())
        }
        "create-admin" => {
            let Some(address) = std::env::args().nth(2) else {
                bail!("usage: server create-admin EMAIL");
            };
            create_admin(&config, &pool, &address).await
        }
        other => bail!("unknown command `{other}`; expected serve, migrate, seed or create-admin"),
    }
}

async fn create_admin(config: &Config, pool: &sqlx::PgPool, address: &str) -> anyhow::Result<()> {
    let email = gd_accounts::Email::parse(address)
        .map_err(|p| anyhow::anyhow!("`{address}` is not a usable email address ({p:?})"))?;
    let mut tx = pool.begin().await?;
    let boot = gd_accounts::ensure_admin(&mut tx, &email).await?;
    let token = gd_accounts::issue_token(
        &mut tx,
        boot.user_id,
        gd_accounts::TokenPurpose::ResetPassword,
    )
    .await?;
    tx.commit().await?;
    let verb = if boot.created {
        "created"
    } else {
        "already existed; now"
    };
    println!("{email} {verb} an admin.");
    println!(
        "Set the password within one hour at: {}/reset-password?token={}",
        config.public_url,
        token.expose()
    );
    Ok(())
}

async fn serve(config: Config, pool: sqlx::PgPool) -> anyhow::Result<()> {
    let leptos_config = config.leptos_config.to_string_lossy().into_owned();
    let mut leptos_options = leptos::config::get_configuration(Some(&leptos_config))
        .with_context(|| format!("reading Leptos settings from {leptos_config}"))?
        .leptos_options;
    leptos_options.site_addr = config.listen_addr;
    // cargo-leptos writes the asset hashes beside the binary; without that file (a plain
    // `cargo build`) the assets have their plain names.
    let hash_file = std::env::current_exe()?
        .parent()
        .map(|dir| dir.join(leptos_options.hash_file.as_ref()));
    if leptos_options.hash_files && !hash_file.as_ref().is_some_and(|f| f.exists()) {
        tracing::warn!("no asset hash file beside the binary: serving unhashed asset names");
        leptos_options.hash_files = false;
    }

    let outbox_dir = config.smtp.is_none().then(|| config.outbox_dir.clone());
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    let listen = config.listen_addr;
    let public_url = config.public_url.clone();
    let login_providers = gd_oauth::LoginProviders::from_config(&config)
        .context("setting up the login providers (OAUTH_* variables)")?;
    for provider in login_providers.enabled() {
        tracing::info!(provider = provider.id(), "login provider enabled");
    }
    let storage = gd_storage::from_config(&config.storage)
        .context("setting up the file storage (STORAGE_DIR or S3_* variables)")?;
    tracing::info!(storage = %storage.describe(), "file storage");
    if let Err(e) = storage.prepare().await {
        tracing::warn!(error = %e, "the file storage is not ready; uploads will fail until it is");
    }
    let instagram = gd_instagram::from_config(&config)
        .context("setting up the Instagram account check (INSTAGRAM_DISCOVERY_*)")?;
    if instagram.is_local() {
        tracing::info!("Instagram account check: format only (INSTAGRAM_DISCOVERY_* unset)");
    }
    let instagram_app = match &config.instagram_app {
        Some(app) => Some(Arc::new(
            gd_analytics::instagram::Instagram::new(app)
                .context("setting up the Instagram app (INSTAGRAM_APP_*)")?,
        )),
        None => {
            tracing::info!("analytics: no Instagram app (INSTAGRAM_APP_* unset); clients connect demo accounts");
            None
        }
    };
    let vat_register =
        gd_vies::from_config(&config).context("setting up the VAT id check (VIES_URL)")?;
    if vat_register.is_demo() {
        tracing::info!("VAT ids: the local demo register (demo agency, VIES_URL unset)");
    }
    let live = gd_analytics::live::Live::start(&pool)
        .await
        .context("listening for analytics updates")?;
    let state = AppState::new(AppParts {
        storage,
        instagram,
        instagram_app,
        vat_register,
        live,
        pages: Default::default(),
        gateway: gd_payments::Gateway::from_config(&config.payments)
            .context("setting up the payment gateway")?,
        leptos_options,
        pool: pool.clone(),
        config: Arc::new(config),
        outbox_dir,
        login_providers: Arc::new(login_providers),
        catalog: gd_catalog::Cache::start(pool.clone())
            .await
            .context("loading the catalog")?,
    });
    server::metrics_handle();
    let app = server::router(state);

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(%listen, %public_url, "Growthdesk is up: open {public_url}");

    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        gd_process::shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    // In-flight requests get `grace` to finish after the signal; then we stop regardless.
    let deadline = async move {
        let _ = stop_rx.wait_for(|stopped| *stopped).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.context("server error")?,
        _ = deadline => tracing::warn!("shutdown grace period over; closing remaining connections"),
    }
    pool.close().await;
    tracing::info!("server stopped");
    Ok(())
}
