//! A user's sign-ins: which sessions are theirs, and ending all but one. The sessions
//! themselves live in tower-sessions' table (`tower_sessions.session`); this module keeps the
//! link from a session to its user.

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::{record, AccountError, AuditEvent};

/// One live sign-in of a user.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActiveSession {
    pub session_id: String,
    pub created_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// Notes that `session_id` now belongs to `user`.
pub async fn record_session(
    conn: &mut PgConnection,
    session_id: &str,
    user: Uuid,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<(), AccountError> {
    sqlx::query!(
        "INSERT INTO user_sessions (session_id, user_id, user_agent, ip) VALUES ($1, $2, $3, $4)
         ON CONFLICT (session_id) DO UPDATE SET user_id = $2, created_at = now(), user_agent = $3, ip = $4,
             last_seen_at = now(), authenticated_at = now()",
        session_id,
        user,
        user_agent.map(|ua| ua.chars().take(300).collect::<String>()),
        ip
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes sessions past their expiry; returns how many.
pub async fn delete_expired_sessions(conn: &mut PgConnection) -> Result<u64, AccountError> {
    Ok(
        sqlx::query!("DELETE FROM tower_sessions.session WHERE expiry_date < now()")
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Notes that the person behind `session_id` has just proven who they are again (password or
/// second factor).
pub async fn mark_authenticated(
    conn: &mut PgConnection,
    session_id: &str,
) -> Result<(), AccountError> {
    sqlx::query!(
        "UPDATE user_sessions SET authenticated_at = now() WHERE session_id = $1",
        session_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// True when the person behind `session_id` signed in or re-authenticated within the last
/// `within_secs` seconds: sensitive changes ask for that.
pub async fn recently_authenticated(
    conn: &mut PgConnection,
    session_id: &str,
    within_secs: i64,
) -> Result<bool, AccountError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM user_sessions WHERE session_id = $1
                          AND authenticated_at > now() - make_interval(secs => $2)) AS "recent!""#,
        session_id,
        within_secs as f64
    )
    .fetch_one(conn)
    .await?)
}

/// The user's sessions that are still valid: not expired, not ended, not from before the last
/// "sign out everywhere" or password reset. Newest first.
pub async fn list_sessions(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<ActiveSession>, AccountError> {
    Ok(sqlx::query_as!(
        ActiveSession,
        r#"SELECT us.session_id, us.created_at AS "created_at: _", us.user_agent, us.ip
         FROM user_sessions us
         JOIN tower_sessions.session s ON s.id = us.session_id
         JOIN users u ON u.id = us.user_id
         WHERE us.user_id = $1 AND s.expiry_date > now() AND us.created_at >= u.sessions_valid_after
         ORDER BY us.created_at DESC"#,
        user
    )
    .fetch_all(conn)
    .await?)
}

/// Ends every session of `user` except `keep`. Returns how many ended.
pub async fn end_other_sessions(
    conn: &mut PgConnection,
    user: Uuid,
    keep: &str,
) -> Result<u64, AccountError> {
    let mut tx = conn.begin().await?;
    let ended = sqlx::query!(
        "DELETE FROM tower_sessions.session
         WHERE id IN (SELECT session_id FROM user_sessions WHERE user_id = $1 AND session_id <> $2)",
        user,
        keep
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "DELETE FROM user_sessions WHERE user_id = $1 AND session_id <> $2",
        user,
        keep
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &AuditEvent::own("session.end_others", user).details(serde_json::json!({ "ended": ended })),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// Deletes the links from users to sessions that no longer exist (expired and deleted, signed
/// out, replaced at the next sign-in); returns how many. A session row is always written before
/// its link (`record_session` runs after the session is saved), so a link being recorded is
/// never taken for a dangling one.
pub async fn forget_ended_sessions(conn: &mut PgConnection) -> Result<u64, AccountError> {
    Ok(sqlx::query!(
        "DELETE FROM user_sessions us
         WHERE NOT EXISTS (SELECT 1 FROM tower_sessions.session s WHERE s.id = us.session_id)"
    )
    .execute(conn)
    .await?
    .rows_affected())
}
