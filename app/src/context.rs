//! What server functions get from the server process (provided per request as context).

use std::path::PathBuf;
use std::sync::Arc;

use gd_config::Config;
use leptos::prelude::*;
use sqlx::PgPool;

use crate::error::AppError;

#[derive(Clone)]
pub struct ServerContext {
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// Set when mail goes to the local outbox folder instead of SMTP.
    pub outbox_dir: Option<PathBuf>,
}

/// The server context, or an internal error if the server forgot to provide it.
pub fn server_context() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| AppError::internal("ServerContext missing"))
}

/// True when the request is a plain HTML form post (JavaScript off): the answer is a redirect.
pub fn is_plain_form_post() -> bool {
    use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)?
                .to_str()
                .ok()
                .map(|a| a.contains("text/html"))
        })
        .unwrap_or(false)
}

/// Sets the HTTP status of a server function's error answer (a form post without JavaScript
/// keeps its redirect instead).
pub fn set_error_status(error: &AppError) {
    if !is_plain_form_post() {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(error.status());
        }
    }
}

/// Counts an attempt against `limits`; 429 with `Retry-After` once one is used up.
pub async fn throttle(limits: &[gd_accounts::Limit]) -> Result<(), AppError> {
    let ctx = server_context()?;
    match gd_accounts::throttle(&ctx.pool, limits)
        .await
        .map_err(AppError::internal)?
    {
        Ok(()) => Ok(()),
        Err(secs) => {
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                if let Ok(v) = http::HeaderValue::from_str(&secs.to_string()) {
                    res.insert_header(http::header::RETRY_AFTER, v);
                }
            }
            let error = AppError::RateLimited(secs);
            set_error_status(&error);
            Err(error)
        }
    }
}

/// The client for rate-limit buckets: its IPv4 address or IPv6 /64 ("unknown" if the socket
/// did not say).
pub fn ip() -> String {
    crate::auth::session::client_ip()
        .map(|ip| crate::auth::session::rate_limit_key(&ip))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Begins the transaction a server function's writes share (the caller owns it: domain
/// functions take `&mut PgConnection`). Dropped without [`commit`], it rolls back.
pub async fn begin() -> Result<sqlx::Transaction<'static, sqlx::Postgres>, AppError> {
    server_context()?
        .pool
        .begin()
        .await
        .map_err(AppError::internal)
}

/// Commits what a server function wrote.
pub async fn commit(tx: sqlx::Transaction<'static, sqlx::Postgres>) -> Result<(), AppError> {
    tx.commit().await.map_err(AppError::internal)
}
