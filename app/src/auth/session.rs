//! Who is signed in. The session (tower-sessions, stored in PostgreSQL, cookie HttpOnly,
//! SameSite=Lax, Secure and `__Host-` over https) holds only the user's id and when they
//! signed in; roles and the locked flag are read fresh from the database on every request.

use gd_accounts::{Role, User};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use crate::context::server_context;
use crate::error::AppError;

const KEY: &str = "signed_in";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SignedIn {
    user_id: Uuid,
    /// Milliseconds since the epoch.
    at_ms: i64,
}

async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(AppError::internal)
}

/// Starts a signed-in session for `user` under a new session id (no fixation), and notes it
/// among the user's sessions.
pub async fn sign_in(user: &User) -> Result<(), AppError> {
    let session = session().await?;
    let ctx = server_context()?;
    let user_agent = use_context::<http::request::Parts>().and_then(|p| {
        p.headers
            .get(http::header::USER_AGENT)?
            .to_str()
            .ok()
            .map(str::to_owned)
    });
    start_session(
        &session,
        &ctx.pool,
        user,
        user_agent.as_deref(),
        client_ip().as_deref(),
    )
    .await
}

/// [`sign_in`] for handlers outside Leptos, which hold the session and the request's details
/// themselves.
pub async fn start_session(
    session: &Session,
    pool: &sqlx::PgPool,
    user: &User,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<(), AppError> {
    session.cycle_id().await.map_err(AppError::internal)?;
    let data = SignedIn {
        user_id: user.id,
        at_ms: chrono::Utc::now().timestamp_millis(),
    };
    session
        .insert(KEY, data)
        .await
        .map_err(AppError::internal)?;
    session.save().await.map_err(AppError::internal)?;
    let id = session
        .id()
        .ok_or_else(|| AppError::internal("session has no id after saving"))?;
    let mut conn = pool.acquire().await.map_err(AppError::internal)?;
    gd_accounts::record_session(&mut conn, &id.to_string(), user.id, user_agent, ip)
        .await
        .map_err(AppError::internal)
}

/// The id of this request's session, if it has one.
pub async fn current_session_id() -> Result<Option<String>, AppError> {
    Ok(session().await?.id().map(|id| id.to_string()))
}

/// Ends this session (the row is deleted, the cookie expires).
pub async fn sign_out() -> Result<(), AppError> {
    session().await?.flush().await.map_err(AppError::internal)
}

/// The user the server's page middleware found signed in (page loads only), kept in the
/// request's extensions so the header, the page and the server functions it calls while
/// rendering do not look them up again.
#[derive(Debug, Clone)]
pub struct RequestUser(pub User);

/// This request's [`RequestUser`], if the middleware found one.
pub fn request_user() -> Option<User> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<RequestUser>()
        .map(|u| u.0.clone())
}

/// The signed-in user, if the session is valid: not older than the absolute limit, not from
/// before a password reset, and the account still exists and is not locked.
pub async fn current_user() -> Result<Option<User>, AppError> {
    if let Some(user) = request_user() {
        return Ok(Some(user));
    }
    let session = session().await?;
    let ctx = server_context()?;
    session_user(&session, &ctx.pool, ctx.config.session_absolute_days).await
}

/// [`current_user`] for handlers outside Leptos. An invalid session is ended.
pub async fn session_user(
    session: &Session,
    pool: &sqlx::PgPool,
    absolute_days: i64,
) -> Result<Option<User>, AppError> {
    let Some(signed_in) = session
        .get::<SignedIn>(KEY)
        .await
        .map_err(AppError::internal)?
    else {
        return Ok(None);
    };
    let max_age_ms = absolute_days * 24 * 3600 * 1000;
    let expired = chrono::Utc::now().timestamp_millis() - signed_in.at_ms > max_age_ms;
    // One query: the account, its roles and the moment before which sessions no longer count.
    let mut conn = pool.acquire().await.map_err(AppError::internal)?;
    let user = gd_accounts::find_user(&mut conn, signed_in.user_id)
        .await
        .map_err(AppError::internal)?
        .filter(|u| {
            !expired && !u.locked && signed_in.at_ms >= u.sessions_valid_after.timestamp_millis()
        });
    if user.is_none() {
        session.flush().await.map_err(AppError::internal)?;
    }
    Ok(user)
}

/// The signed-in user, or 401.
pub async fn require_user() -> Result<User, AppError> {
    current_user().await?.ok_or(AppError::Unauthorized)
}

/// The signed-in user holding `role`: 401 when nobody is signed in, 403 without the role.
pub async fn require_role(role: Role) -> Result<User, AppError> {
    let user = require_user().await?;
    if user.has_role(role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The client's address for rate limits and the audit log: the socket's peer, or, behind a
/// trusted reverse proxy (`TRUST_PROXY`), the last `X-Forwarded-For` entry, which that proxy
/// wrote itself.
pub fn client_ip() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    let trust_proxy =
        use_context::<crate::context::ServerContext>().is_some_and(|c| c.config.trust_proxy);
    client_ip_of(&parts.headers, &parts.extensions, trust_proxy)
}

/// [`client_ip`] from a request's headers and extensions.
pub fn client_ip_of(
    headers: &http::HeaderMap,
    extensions: &http::Extensions,
    trust_proxy: bool,
) -> Option<String> {
    if trust_proxy {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
            .and_then(|v| v.parse::<std::net::IpAddr>().ok());
        if let Some(ip) = forwarded {
            return Some(ip.to_string());
        }
    }
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}
