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
/// A sign-in that passed the password (or the provider) and waits for the second factor.
const PENDING_KEY: &str = "second_factor_pending";
/// How long the second step may take.
const PENDING_MS: i64 = 5 * 60 * 1000;
/// How recent a proof of identity must be for a sensitive change.
pub const REAUTH_SECS: i64 = 10 * 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    user_id: Uuid,
    at_ms: i64,
}

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
    let _ = session
        .remove::<Pending>(PENDING_KEY)
        .await
        .map_err(AppError::internal)?;
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

/// The first step of a sign-in for an account with two-factor sign-in: the session (under a
/// new id) remembers who passed the password or the provider for five minutes; it is not
/// signed in until the code follows.
pub async fn begin_second_factor(session: &Session, user: &User) -> Result<(), AppError> {
    let _ = session
        .remove::<SignedIn>(KEY)
        .await
        .map_err(AppError::internal)?;
    session.cycle_id().await.map_err(AppError::internal)?;
    let pending = Pending {
        user_id: user.id,
        at_ms: chrono::Utc::now().timestamp_millis(),
    };
    session
        .insert(PENDING_KEY, pending)
        .await
        .map_err(AppError::internal)?;
    session.save().await.map_err(AppError::internal)
}

/// [`begin_second_factor`] inside a server function.
pub async fn await_second_factor(user: &User) -> Result<(), AppError> {
    begin_second_factor(&session().await?, user).await
}

/// The account waiting for its second factor in this session, if the first step was recent.
pub async fn pending_second_factor() -> Result<Option<Uuid>, AppError> {
    let pending = session()
        .await?
        .get::<Pending>(PENDING_KEY)
        .await
        .map_err(AppError::internal)?;
    Ok(pending
        .filter(|p| chrono::Utc::now().timestamp_millis() - p.at_ms < PENDING_MS)
        .map(|p| p.user_id))
}

/// Notes in this session that its person has just proven who they are again.
pub async fn mark_reauthenticated() -> Result<(), AppError> {
    let Some(id) = current_session_id().await? else {
        return Err(AppError::Unauthorized);
    };
    let ctx = server_context()?;
    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
    gd_accounts::mark_authenticated(&mut conn, &id)
        .await
        .map_err(AppError::internal)
}

/// The signed-in user, who must have proven who they are (signed in, password or second
/// factor) within the last ten minutes: before changing the address, the second factor or a
/// sign-in method, and before granting roles.
pub async fn require_recent_auth() -> Result<User, AppError> {
    let user = require_user().await?;
    let id = current_session_id().await?.ok_or(AppError::Unauthorized)?;
    let ctx = server_context()?;
    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
    let recent = gd_accounts::recently_authenticated(&mut conn, &id, REAUTH_SECS)
        .await
        .map_err(AppError::internal)?;
    if recent {
        Ok(user)
    } else {
        Err(AppError::ReauthRequired)
    }
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

/// [`current_user`] for handlers outside Leptos. An invalid session is ended. A session in
/// use slides: once a minute at most, its idle expiry (`SESSION_IDLE_HOURS`) starts anew; the
/// absolute limit (`SESSION_ABSOLUTE_DAYS`, from sign-in) ends it however active it is.
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
    let Some(id) = session.id() else {
        return Ok(None);
    };
    let mut conn = pool.acquire().await.map_err(AppError::internal)?;
    let found = gd_accounts::find_session_user(
        &mut conn,
        &id.to_string(),
        signed_in.user_id,
        absolute_days,
    )
    .await
    .map_err(AppError::internal)?;
    match found {
        Some((user, stale)) => {
            if stale {
                // Marks the session changed: the session layer saves it with a fresh expiry.
                session.set_expiry(session.expiry());
            }
            Ok(Some(user))
        }
        None => {
            session.flush().await.map_err(AppError::internal)?;
            Ok(None)
        }
    }
}

/// The signed-in user, or 401.
pub async fn require_user() -> Result<User, AppError> {
    current_user().await?.ok_or(AppError::Unauthorized)
}

/// The signed-in user holding `role`: 401 when nobody is signed in, 403 without the role,
/// and 403 `SecondFactorRequired` for a role that needs two-factor sign-in before it is set up.
pub async fn require_role(role: Role) -> Result<User, AppError> {
    let user = require_user().await?;
    role_check(&user, role)?;
    Ok(user)
}

/// Whether `user` may act in `role` now.
pub fn role_check(user: &User, role: Role) -> Result<(), AppError> {
    if !user.has_role(role) {
        Err(AppError::Forbidden)
    } else if role.needs_two_factor() && !user.two_factor {
        Err(AppError::SecondFactorRequired)
    } else {
        Ok(())
    }
}

/// The client's address for rate limits and the audit log: the socket's peer, or, when the
/// peer is one of the configured reverse proxies (`TRUST_PROXY`), the last `X-Forwarded-For`
/// entry that is not a proxy itself (entries further left are whatever the client sent).
pub fn client_ip() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    let ctx = use_context::<crate::context::ServerContext>()?;
    client_ip_of(&parts.headers, &parts.extensions, &ctx.config)
}

/// [`client_ip`] from a request's headers and extensions.
pub fn client_ip_of(
    headers: &http::HeaderMap,
    extensions: &http::Extensions,
    config: &gd_config::Config,
) -> Option<String> {
    let peer = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())?;
    if !config.is_trusted_proxy(peer) {
        return Some(peer.to_string());
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        match entry.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !config.is_trusted_proxy(client) {
                    break;
                }
            }
            // A malformed entry ends what can be trusted: the last good one stands.
            Err(_) => break,
        }
    }
    Some(client.to_string())
}

/// The part of an address that rate limits count by: an IPv4 address as it is, an IPv6
/// address by its /64 network (one customer line or host usually holds a whole /64, and
/// could otherwise pick a fresh address for every attempt).
pub fn rate_limit_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
        Ok(v4) => v4.to_string(),
        Err(_) => ip.chars().take(64).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::rate_limit_key;

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(rate_limit_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            rate_limit_key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_ne!(rate_limit_key("2001:db8:1:3::1"), "2001:db8:1:2::/64");
        assert_eq!(rate_limit_key("198.51.100.7"), "198.51.100.7");
        assert_eq!(rate_limit_key("::ffff:198.51.100.7"), "198.51.100.7");
    }
}
