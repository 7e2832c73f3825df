//! The server side of the UI crate meets the web platform (`gd-web`) here: thin adapters
//! that take the request's context, session and address from Leptos and hand them to the
//! platform. Server functions call these; the logic lives in `gd-web`.

use gd_accounts::{Role, User};
use leptos::prelude::*;

use crate::error::AppError;

pub use gd_web::{rate_limit_key, RequestUser, ServerContext};

/// The server context, or an internal error if the server forgot to provide it.
pub fn server_context() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| AppError::internal("ServerContext missing"))
}

fn request_parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

async fn session() -> Result<gd_web::Session, AppError> {
    leptos_axum::extract::<gd_web::Session>()
        .await
        .map_err(AppError::internal)
}

/// True when the request is a plain HTML form post (JavaScript off): the answer is a redirect.
pub fn is_plain_form_post() -> bool {
    request_parts()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)?
                .to_str()
                .ok()
                .map(|a| a.contains("text/html"))
        })
        .unwrap_or(false)
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
            Err(AppError::RateLimited(secs))
        }
    }
}

/// The client's address for rate limits and the audit log (see [`gd_web::client_ip_of`]).
pub fn client_ip() -> Option<String> {
    let parts = request_parts()?;
    let ctx = use_context::<ServerContext>()?;
    gd_web::client_ip_of(&parts.headers, &parts.extensions, &ctx.config)
}

/// The client for rate-limit buckets: its IPv4 address or IPv6 /64 ("unknown" if the socket
/// did not say).
pub fn ip() -> String {
    client_ip()
        .map(|ip| rate_limit_key(&ip))
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

/// Starts a signed-in session for `user` under a new session id.
pub async fn sign_in(user: &User) -> Result<(), AppError> {
    let ctx = server_context()?;
    let user_agent = request_parts().and_then(|p| {
        p.headers
            .get(http::header::USER_AGENT)?
            .to_str()
            .ok()
            .map(str::to_owned)
    });
    gd_web::start_session(
        &session().await?,
        &ctx.pool,
        user,
        user_agent.as_deref(),
        client_ip().as_deref(),
    )
    .await?;
    Ok(())
}

/// The first step of a sign-in that needs a second factor (see
/// [`gd_web::begin_second_factor`]).
pub async fn await_second_factor(user: &User) -> Result<(), AppError> {
    Ok(gd_web::begin_second_factor(&session().await?, user).await?)
}

/// The account waiting for its second factor in this session, if the first step was recent.
pub async fn pending_second_factor() -> Result<Option<uuid::Uuid>, AppError> {
    Ok(gd_web::pending_second_factor(&session().await?).await?)
}

/// Notes in this session that its person has just proven who they are again.
pub async fn mark_reauthenticated() -> Result<(), AppError> {
    let ctx = server_context()?;
    Ok(gd_web::mark_reauthenticated(&session().await?, &ctx.pool).await?)
}

/// The id of this request's session, if it has one.
pub async fn current_session_id() -> Result<Option<String>, AppError> {
    Ok(gd_web::current_session_id(&session().await?))
}

/// Ends this session (the row is deleted, the cookie expires).
pub async fn sign_out() -> Result<(), AppError> {
    Ok(gd_web::sign_out(&session().await?).await?)
}

/// The user the page middleware found signed in (page loads only).
pub fn request_user() -> Option<User> {
    request_parts()?
        .extensions
        .get::<RequestUser>()
        .map(|u| u.0.clone())
}

/// The signed-in user, if the session is valid (see [`gd_web::session_user`]).
pub async fn current_user() -> Result<Option<User>, AppError> {
    if let Some(user) = request_user() {
        return Ok(Some(user));
    }
    let ctx = server_context()?;
    Ok(gd_web::session_user(
        &session().await?,
        &ctx.pool,
        ctx.config.session_absolute_days,
    )
    .await?)
}

/// The signed-in user, or 401.
pub async fn require_user() -> Result<User, AppError> {
    Ok(gd_web::require_user(current_user().await?)?)
}

/// The signed-in user holding `role`: 401 when nobody is signed in, 403 without the role,
/// and 403 `SecondFactorRequired` for a role that needs two-factor sign-in before it is set up.
pub async fn require_role(role: Role) -> Result<User, AppError> {
    Ok(gd_web::require_role(current_user().await?, role)?)
}

/// The signed-in user holding one of `roles` (as [`require_role`]; without any of them 403,
/// or `SecondFactorRequired` when one is held but its second factor is not set up yet).
pub async fn require_any_role(roles: &[Role]) -> Result<User, AppError> {
    let user = gd_web::require_user(current_user().await?)?;
    let mut refusal = gd_web::WebError::Forbidden;
    for role in roles {
        match gd_web::role_check(&user, *role) {
            Ok(()) => return Ok(user),
            Err(e @ gd_web::WebError::SecondFactorRequired) => refusal = e,
            Err(_) => {}
        }
    }
    Err(refusal.into())
}

/// This visitor's cart (see [`gd_web::cart_id`]); with `create`, a guest gets one.
pub async fn cart_id(create: bool) -> Result<Option<uuid::Uuid>, AppError> {
    let ctx = server_context()?;
    let user = current_user().await?;
    Ok(gd_web::cart_id(&session().await?, &ctx.pool, user.as_ref(), create).await?)
}

/// The signed-in user, with a proof of identity from the last ten minutes (403
/// `ReauthRequired` otherwise).
pub async fn require_recent_auth() -> Result<User, AppError> {
    let user = current_user().await?;
    let ctx = server_context()?;
    Ok(gd_web::require_recent_auth(&session().await?, &ctx.pool, user).await?)
}
