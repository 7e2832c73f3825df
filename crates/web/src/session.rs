//! Who is signed in. The session (tower-sessions, stored in PostgreSQL, cookie HttpOnly,
//! SameSite=Lax, Secure and `__Host-` over https) holds only the user's id and when they
//! signed in; roles and the locked flag are read fresh from the database on every request.

use gd_accounts::User;
use gd_config::Config;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use crate::WebError;

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

/// Server-side sessions in PostgreSQL. The cookie is HttpOnly and SameSite=Lax; over https it
/// is also Secure and `__Host-` prefixed (bound to this exact host, path `/`). It expires after
/// `SESSION_IDLE_HOURS` without use.
pub fn layer(
    pool: &PgPool,
    config: &Config,
) -> tower_sessions::SessionManagerLayer<tower_sessions_sqlx_store::PostgresStore> {
    use tower_sessions::cookie::{time::Duration, SameSite};
    let https = config.is_https();
    tower_sessions::SessionManagerLayer::new(tower_sessions_sqlx_store::PostgresStore::new(
        pool.clone(),
    ))
    .with_name(if https {
        "__Host-gd_session"
    } else {
        "gd_session"
    })
    .with_secure(https)
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_path("/")
    .with_expiry(tower_sessions::Expiry::OnInactivity(Duration::hours(
        config.session_idle_hours,
    )))
}

/// Starts a signed-in session for `user` under a new session id (no fixation), and notes it
/// among the user's sessions.
pub async fn start_session(
    session: &Session,
    pool: &PgPool,
    user: &User,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<(), WebError> {
    session.cycle_id().await?;
    let _ = session.remove::<Pending>(PENDING_KEY).await?;
    let data = SignedIn {
        user_id: user.id,
        at_ms: chrono::Utc::now().timestamp_millis(),
    };
    session.insert(KEY, data).await?;
    session.save().await?;
    let id = session
        .id()
        .ok_or(WebError::Internal("session has no id after saving"))?;
    let mut conn = pool.acquire().await?;
    gd_accounts::record_session(&mut conn, &id.to_string(), user.id, user_agent, ip).await?;
    Ok(())
}

/// The first step of a sign-in for an account with two-factor sign-in: the session (under a
/// new id) remembers who passed the password or the provider for five minutes; it is not
/// signed in until the code follows.
pub async fn begin_second_factor(session: &Session, user: &User) -> Result<(), WebError> {
    let _ = session.remove::<SignedIn>(KEY).await?;
    session.cycle_id().await?;
    let pending = Pending {
        user_id: user.id,
        at_ms: chrono::Utc::now().timestamp_millis(),
    };
    session.insert(PENDING_KEY, pending).await?;
    session.save().await?;
    Ok(())
}

/// The account waiting for its second factor in this session, if the first step was recent.
pub async fn pending_second_factor(session: &Session) -> Result<Option<Uuid>, WebError> {
    let pending = session.get::<Pending>(PENDING_KEY).await?;
    Ok(pending
        .filter(|p| chrono::Utc::now().timestamp_millis() - p.at_ms < PENDING_MS)
        .map(|p| p.user_id))
}

/// Notes in this session that its person has just proven who they are again.
pub async fn mark_reauthenticated(session: &Session, pool: &PgPool) -> Result<(), WebError> {
    let id = current_session_id(session).ok_or(WebError::Unauthorized)?;
    let mut conn = pool.acquire().await?;
    gd_accounts::mark_authenticated(&mut conn, &id).await?;
    Ok(())
}

/// True when this session's person signed in or confirmed who they are within the last
/// [`REAUTH_SECS`].
pub async fn recently_authenticated(session: &Session, pool: &PgPool) -> Result<bool, WebError> {
    let Some(id) = current_session_id(session) else {
        return Ok(false);
    };
    let mut conn = pool.acquire().await?;
    Ok(gd_accounts::recently_authenticated(&mut conn, &id, REAUTH_SECS).await?)
}

/// The id of the session, if it has one.
pub fn current_session_id(session: &Session) -> Option<String> {
    session.id().map(|id| id.to_string())
}

/// Ends the session (the row is deleted, the cookie expires).
pub async fn sign_out(session: &Session) -> Result<(), WebError> {
    Ok(session.flush().await?)
}

/// The user the server's page middleware found signed in (page loads only), kept in the
/// request's extensions so the header, the page and the server functions it calls while
/// rendering do not look them up again.
#[derive(Debug, Clone)]
pub struct RequestUser(pub User);

/// The signed-in user, if the session is valid: not older than the absolute limit, not from
/// before a password reset, and the account still exists and is not locked. An invalid
/// session is ended. A session in use slides: once a minute at most, its idle expiry
/// (`SESSION_IDLE_HOURS`) starts anew; the absolute limit (`SESSION_ABSOLUTE_DAYS`, from
/// sign-in) ends it however active it is.
pub async fn session_user(
    session: &Session,
    pool: &PgPool,
    absolute_days: i64,
) -> Result<Option<User>, WebError> {
    let Some(signed_in) = session.get::<SignedIn>(KEY).await? else {
        return Ok(None);
    };
    let Some(id) = session.id() else {
        return Ok(None);
    };
    let mut conn = pool.acquire().await?;
    let found = gd_accounts::find_session_user(
        &mut conn,
        &id.to_string(),
        signed_in.user_id,
        absolute_days,
    )
    .await?;
    match found {
        Some((user, stale)) => {
            if stale {
                // Marks the session changed: the session layer saves it with a fresh expiry.
                session.set_expiry(session.expiry());
            }
            Ok(Some(user))
        }
        None => {
            session.flush().await?;
            Ok(None)
        }
    }
}
