//! Single-use, expiring links: the raw token travels only in the mail; the database keeps its
//! SHA-256.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::AccountError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
            TokenPurpose::ChangeEmail => "change_email",
        }
    }

    /// Verification links last two days; reset links one hour.
    fn lifetime_secs(self) -> f64 {
        match self {
            TokenPurpose::VerifyEmail | TokenPurpose::ChangeEmail => 48.0 * 3600.0,
            TokenPurpose::ResetPassword => 3600.0,
        }
    }
}

/// The secret part of a link, as it goes into the mail. Never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct RawToken(String);

impl std::fmt::Debug for RawToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawToken(***)")
    }
}

impl RawToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn digest(raw: &str) -> Vec<u8> {
    Sha256::digest(raw.as_bytes()).to_vec()
}

/// Creates a new link for `user`; earlier unused links for the same purpose stop working.
pub async fn issue_token(
    conn: &mut PgConnection,
    user: Uuid,
    purpose: TokenPurpose,
) -> Result<RawToken, AccountError> {
    issue(conn, user, purpose, None).await
}

/// A link that moves `user` to `new_email` once it is used (it goes to the new address).
pub async fn issue_email_change_token(
    conn: &mut PgConnection,
    user: Uuid,
    new_email: &str,
) -> Result<RawToken, AccountError> {
    issue(conn, user, TokenPurpose::ChangeEmail, Some(new_email)).await
}

async fn issue(
    conn: &mut PgConnection,
    user: Uuid,
    purpose: TokenPurpose,
    new_email: Option<&str>,
) -> Result<RawToken, AccountError> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    // One issuer at a time per account and purpose (the worker sends mails concurrently):
    // otherwise two links issued at once would both stay valid. A savepoint when the caller
    // already holds a transaction; the lock lasts until the outermost one ends.
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        format!("account_token:{user}:{}", purpose.as_str())
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE account_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        user,
        purpose.as_str()
    )
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at, new_email)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)",
        digest(&raw),
        user,
        purpose.as_str(),
        purpose.lifetime_secs(),
        new_email
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(RawToken(raw))
}

/// Voids every outstanding link of `user` (after a change of password or address, links sent
/// before it must not work any more).
pub async fn void_links(conn: &mut PgConnection, user: Uuid) -> Result<u64, AccountError> {
    Ok(sqlx::query!(
        "UPDATE account_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
        user
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// True when `raw` is a link of this purpose that could be used now (nothing is used up).
/// Tokens are 43 characters; anything far longer is refused without touching the database.
pub async fn token_is_usable(
    conn: &mut PgConnection,
    raw: &str,
    purpose: TokenPurpose,
) -> Result<bool, AccountError> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 128 {
        return Ok(false);
    }
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM account_tokens
           WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now())
           AS "usable!""#,
        digest(raw),
        purpose.as_str()
    )
    .fetch_one(conn)
    .await?)
}

/// Uses up a link: returns its user if the token exists, has this purpose, is unused and has
/// not expired. A second use fails.
pub async fn consume_token(
    conn: &mut PgConnection,
    raw: &str,
    purpose: TokenPurpose,
) -> Result<Uuid, AccountError> {
    sqlx::query_scalar!(
        "UPDATE account_tokens SET used_at = now()
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id",
        digest(raw.trim()),
        purpose.as_str()
    )
    .fetch_optional(conn)
    .await?
    .ok_or(AccountError::InvalidToken)
}

/// Uses up an email-change link: its user and the new address.
pub async fn consume_email_change(
    conn: &mut PgConnection,
    raw: &str,
) -> Result<(Uuid, String), AccountError> {
    let row = sqlx::query!(
        "UPDATE account_tokens SET used_at = now()
         WHERE token_hash = $1 AND purpose = 'change_email' AND used_at IS NULL AND expires_at > now()
         RETURNING user_id, new_email",
        digest(raw.trim())
    )
    .fetch_optional(conn)
    .await?;
    match row {
        Some(r) => r
            .new_email
            .map(|email| (r.user_id, email))
            .ok_or(AccountError::InvalidToken),
        None => Err(AccountError::InvalidToken),
    }
}

/// Deletes links that stopped being usable (used, replaced, voided or expired) more than
/// `retention` ago; returns how many. Until then they stay for looking into "my link did not
/// work". Links that still work are never touched.
pub async fn forget_spent_tokens(
    conn: &mut PgConnection,
    retention: std::time::Duration,
) -> Result<u64, AccountError> {
    // LEAST ignores NULL: an unused link ended when it expired, a used one when it was used.
    Ok(sqlx::query!(
        "DELETE FROM account_tokens
         WHERE LEAST(used_at, expires_at) < now() - make_interval(secs => $1)",
        retention.as_secs_f64()
    )
    .execute(conn)
    .await?
    .rows_affected())
}
