//! Users: sign-up, verification, authentication, password reset, and the first admin.

use chrono::{DateTime, Utc};
use gd_common::{Email, Locale};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use gd_jobs::enqueue;

use crate::{
    consume_token, hash_password, record, verify_password, AccountError, AccountMail,
    AccountMailKind, AuditEvent, Password, Role, TokenPurpose,
};

/// An account as the rest of the application sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub locale: Locale,
    pub locked: bool,
    pub has_password: bool,
    pub roles: Vec<Role>,
    /// Signs in with a second factor (TOTP).
    pub two_factor: bool,
    pub created_at: DateTime<Utc>,
    /// Sessions that began before this moment are no longer valid (password reset or change,
    /// deletion request).
    pub sessions_valid_after: DateTime<Utc>,
}

impl User {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// True when a role of this account needs a second factor that is not set up yet.
    pub fn must_enrol_two_factor(&self) -> bool {
        !self.two_factor && self.roles.iter().any(|r| r.needs_two_factor())
    }
}

struct UserRow {
    id: Uuid,
    email: String,
    password_hash: Option<String>,
    email_verified_at: Option<DateTime<Utc>>,
    locale: String,
    locked_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    sessions_valid_after: DateTime<Utc>,
    roles: Vec<String>,
    two_factor: bool,
    /// Only for the session check: its activity mark was over a minute old.
    stale: Option<bool>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        let mut roles: Vec<Role> = r.roles.iter().filter_map(|s| Role::parse(s)).collect();
        roles.sort();
        User {
            id: r.id,
            email: r.email,
            email_verified_at: r.email_verified_at,
            locale: Locale::parse(&r.locale),
            locked: r.locked_at.is_some(),
            has_password: r.password_hash.is_some(),
            roles,
            two_factor: r.two_factor,
            created_at: r.created_at,
            sessions_valid_after: r.sessions_valid_after,
        }
    }
}

/// A user lookup: the account's columns, its roles and whether it has two-factor sign-in,
/// then the rest of the query (`WHERE …`); the session check adds its `WITH …` and its
/// `stale` column, which plain lookups leave NULL. A macro, so
/// every query stays one literal that the compiler checks against the schema.
macro_rules! user_query {
    (with $with:tt select $extra:tt then $rest:tt, $($arg:expr),*) => {
        sqlx::query_as!(
            UserRow,
            $with + r#"SELECT u.id, u.email, u.password_hash,
                u.email_verified_at AS "email_verified_at: _", u.locale,
                u.locked_at AS "locked_at: _", u.created_at AS "created_at: _",
                u.sessions_valid_after AS "sessions_valid_after: _",
                coalesce(array_agg(r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS "roles!",
                EXISTS (SELECT 1 FROM user_totp t
                        WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) AS "two_factor!""#
                + $extra + " FROM users u LEFT JOIN user_roles r ON r.user_id = u.id " + $rest,
            $($arg),*
        )
    };
    ($rest:tt, $($arg:expr),*) => {
        user_query!(with "" select r#", NULL::bool AS "stale""# then $rest, $($arg),*)
    };
}

async fn row_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    user_query!(
        "WHERE lower(u.email) = lower($1) GROUP BY u.id",
        email.trim()
    )
    .fetch_optional(conn)
    .await
}

pub async fn find_user(conn: &mut PgConnection, id: Uuid) -> Result<Option<User>, AccountError> {
    Ok(user_query!("WHERE u.id = $1 GROUP BY u.id", id)
        .fetch_optional(conn)
        .await?
        .map(User::from))
}

/// The owner of a signed-in session, if the session still counts: recorded for this user,
/// begun within the last `absolute_days` however active it was, not before the account's last
/// "sign out everywhere" (password reset or change), and the account not locked. The flag says
/// the session was last seen more than a minute ago: its activity mark has just moved, and the
/// caller should push the session's idle expiry forward too.
pub async fn find_session_user(
    conn: &mut PgConnection,
    session_id: &str,
    user: Uuid,
    absolute_days: i64,
) -> Result<Option<(User, bool)>, AccountError> {
    // One round trip: the check, the activity mark (at most once a minute) and the account.
    let row = user_query!(
        with "WITH valid AS (
             SELECT us.session_id, us.last_seen_at < now() - interval '1 minute' AS stale
             FROM user_sessions us JOIN users u ON u.id = us.user_id
             WHERE us.session_id = $1 AND us.user_id = $2 AND u.locked_at IS NULL
               AND us.created_at > now() - make_interval(days => $3)
               AND us.created_at >= u.sessions_valid_after
         ), touched AS (
             UPDATE user_sessions SET last_seen_at = now()
             WHERE session_id = (SELECT session_id FROM valid WHERE stale)
         ) "
        select r#", bool_or(valid.stale) AS "stale""#
        then "CROSS JOIN valid WHERE u.id = $2 GROUP BY u.id",
        session_id,
        user,
        i32::try_from(absolute_days).unwrap_or(i32::MAX)
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        let stale = r.stale.unwrap_or(false);
        (User::from(r), stale)
    }))
}

pub async fn find_user_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<User>, AccountError> {
    Ok(row_by_email(conn, email).await?.map(User::from))
}

/// The outcome of a sign-up. Both cases look the same to the person signing up (no account
/// enumeration); the caller mails "verify your address" or "you already have an account".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUp {
    Created { user_id: Uuid },
    AlreadyRegistered { user_id: Uuid },
}

/// Creates an unverified `client` account.
pub async fn sign_up(
    conn: &mut PgConnection,
    email: &Email,
    password: &Password,
    locale: Locale,
) -> Result<SignUp, AccountError> {
    let hash = hash_password(password).await?;
    let mut tx = conn.begin().await?;
    let id = Uuid::now_v7();
    let created: Option<Uuid> = sqlx::query_scalar!(
        "INSERT INTO users (id, email, password_hash, locale) VALUES ($1, $2, $3, $4)
         ON CONFLICT (lower(email)) DO NOTHING RETURNING id",
        id,
        email.as_str(),
        &hash,
        locale.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?;
    let outcome = match created {
        Some(user_id) => {
            sqlx::query!(
                "INSERT INTO user_roles (user_id, role) VALUES ($1, 'client')",
                user_id
            )
            .execute(&mut *tx)
            .await?;
            record(&mut tx, &AuditEvent::own("account.sign_up", user_id)).await?;
            let mail = AccountMail {
                user_id,
                kind: AccountMailKind::VerifyEmail,
            };
            enqueue(&mut tx, &mail).await?;
            SignUp::Created { user_id }
        }
        None => {
            let existing = row_by_email(&mut tx, email.as_str())
                .await?
                .ok_or(AccountError::NotFound)?;
            let user_id = existing.id;
            let mail = AccountMail {
                user_id,
                kind: AccountMailKind::AlreadyRegistered,
            };
            enqueue(&mut tx, &mail).await?;
            SignUp::AlreadyRegistered { user_id }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Uses a link from a mail that proves an address: a verification link marks the account's
/// address verified; an email-change link moves the account to the new address.
pub async fn verify_email(conn: &mut PgConnection, raw_token: &str) -> Result<Uuid, AccountError> {
    let mut tx = conn.begin().await?;
    let user = match consume_token(&mut tx, raw_token, TokenPurpose::VerifyEmail).await {
        Ok(user) => {
            sqlx::query!(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1",
        user
    )
            .execute(&mut *tx)
            .await?;
            record(&mut tx, &AuditEvent::own("account.email_verified", user)).await?;
            user
        }
        Err(AccountError::InvalidToken) => {
            let (user, new_email) = crate::consume_email_change(&mut tx, raw_token).await?;
            let old_email = sqlx::query_scalar!("SELECT email FROM users WHERE id = $1", user)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query!(
                "UPDATE users SET email = $2, email_verified_at = now() WHERE id = $1",
                user,
                &new_email
            )
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                AccountError::on_constraint(e, crate::Constraint::Unique, AccountError::EmailTaken)
            })?;
            crate::tokens::void_links(&mut tx, user).await?;
            let change = crate::SecurityChange::EmailChanged {
                new_email: new_email.clone(),
            };
            crate::mails::notify_change_to(&mut tx, user, change, old_email).await?;
            record(
                &mut tx,
                &AuditEvent::own("account.email_changed", user)
                    .details(serde_json::json!({ "to": new_email })),
            )
            .await?;
            user
        }
        Err(other) => return Err(other),
    };
    tx.commit().await?;
    Ok(user)
}

/// Starts moving `user` to `new_email`: the address only changes when the link mailed to the
/// new address is used.
pub async fn request_email_change(
    conn: &mut PgConnection,
    user: Uuid,
    new_email: &Email,
) -> Result<(), AccountError> {
    let mut tx = conn.begin().await?;
    if row_by_email(&mut tx, new_email.as_str()).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let kind = AccountMailKind::ConfirmEmailChange {
        new_email: new_email.as_str().to_owned(),
    };
    enqueue(
        &mut tx,
        &AccountMail {
            user_id: user,
            kind,
        },
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::own("account.email_change_requested", user),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks an email and password. Unknown email, wrong password and an account without a
/// password all answer `InvalidCredentials` after the same Argon2 work; only the right
/// password learns that an account is locked or unverified. Every attempt is audited.
pub async fn authenticate(
    conn: &mut PgConnection,
    email: &str,
    password: &str,
    ip: Option<String>,
) -> Result<User, AccountError> {
    let row = row_by_email(&mut *conn, email).await?;
    let hash = row.as_ref().and_then(|r| r.password_hash.clone());
    let matches = verify_password(hash, password).await;
    let Some(row) = row.filter(|_| matches) else {
        record(
            &mut *conn,
            &AuditEvent::new("login.failure")
                .ip(ip)
                .details(serde_json::json!({ "email": email.trim().to_lowercase() })),
        )
        .await?;
        return Err(AccountError::InvalidCredentials);
    };
    let user = User::from(row);
    if user.locked {
        return Err(AccountError::Locked);
    }
    if user.email_verified_at.is_none() {
        return Err(AccountError::EmailNotVerified);
    }
    record(
        &mut *conn,
        &AuditEvent::new("login.success")
            .actor(Some(user.id))
            .subject(user.id)
            .ip(ip),
    )
    .await?;
    Ok(user)
}

/// Checks the password of a signed-in person who confirms it is them (before a sensitive
/// change). A wrong password is audited.
pub async fn confirm_password(
    conn: &mut PgConnection,
    user: Uuid,
    password: &str,
    ip: Option<String>,
) -> Result<(), AccountError> {
    let hash: Option<Option<String>> =
        sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user)
            .fetch_optional(&mut *conn)
            .await?;
    let hash = hash.ok_or(AccountError::NotFound)?;
    if verify_password(hash, password).await {
        Ok(())
    } else {
        record(conn, &AuditEvent::own("reauth.failure", user).ip(ip)).await?;
        Err(AccountError::InvalidCredentials)
    }
}

/// Sets a new password through a reset link. The caller ends the account's other sessions.
pub async fn reset_password(
    conn: &mut PgConnection,
    raw_token: &str,
    new_password: &Password,
) -> Result<Uuid, AccountError> {
    // An unknown, used or expired link is refused before any Argon2 work.
    if !crate::tokens::token_is_usable(&mut *conn, raw_token, TokenPurpose::ResetPassword).await? {
        return Err(AccountError::InvalidToken);
    }
    let hash = hash_password(new_password).await?;
    let mut tx = conn.begin().await?;
    let user = consume_token(&mut tx, raw_token, TokenPurpose::ResetPassword).await?;
    // Following a link from the mail proves the address too; every existing session ends.
    sqlx::query!(
        "UPDATE users SET password_hash = $2, email_verified_at = coalesce(email_verified_at, now()),
                sessions_valid_after = now()
         WHERE id = $1",
        user,
        &hash
    )
    .execute(&mut *tx)
    .await?;
    crate::tokens::void_links(&mut tx, user).await?;
    crate::mails::notify_change(&mut tx, user, crate::SecurityChange::PasswordReset).await?;
    record(&mut tx, &AuditEvent::own("password.reset", user)).await?;
    tx.commit().await?;
    Ok(user)
}

/// Queues a reset mail when `email` has an account; does nothing otherwise, so the answer to
/// the person asking is the same either way.
pub async fn request_password_reset(
    conn: &mut PgConnection,
    email: &str,
    ip: Option<String>,
) -> Result<(), AccountError> {
    let mut tx = conn.begin().await?;
    if let Some(row) = row_by_email(&mut tx, email).await? {
        enqueue(
            &mut tx,
            &AccountMail {
                user_id: row.id,
                kind: AccountMailKind::ResetPassword,
            },
        )
        .await?;
        record(
            &mut tx,
            &AuditEvent::new("password.reset_requested")
                .subject(row.id)
                .ip(ip),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What `server create-admin` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminBootstrap {
    pub user_id: Uuid,
    /// True when the account did not exist and was created without a password.
    pub created: bool,
}

/// Makes `email` an admin, creating the (verified, password-less) account if needed; the
/// caller then issues a reset link so the admin chooses a password.
pub async fn ensure_admin(
    conn: &mut PgConnection,
    email: &Email,
) -> Result<AdminBootstrap, AccountError> {
    let mut tx = conn.begin().await?;
    let created: Option<Uuid> = sqlx::query_scalar!(
        "INSERT INTO users (id, email, email_verified_at) VALUES ($1, $2, now())
         ON CONFLICT (lower(email)) DO NOTHING RETURNING id",
        Uuid::now_v7(),
        email.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?;
    let user_id = match created {
        Some(id) => id,
        None => {
            row_by_email(&mut tx, email.as_str())
                .await?
                .ok_or(AccountError::NotFound)?
                .id
        }
    };
    crate::grant_role(&mut tx, None, user_id, Role::Admin).await?;
    tx.commit().await?;
    Ok(AdminBootstrap {
        user_id,
        created: created.is_some(),
    })
}

/// Accounts for the admin page: newest first, optionally only those whose email contains
/// `search`.
pub async fn list_users(
    conn: &mut PgConnection,
    search: &str,
    limit: i64,
) -> Result<Vec<User>, AccountError> {
    let pattern = format!(
        "%{}%",
        search
            .trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = user_query!(
        "WHERE lower(u.email) LIKE $1 GROUP BY u.id ORDER BY u.created_at DESC LIMIT $2",
        pattern,
        limit.clamp(1, 200)
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(User::from).collect())
}

/// Changes the password of a signed-in user who knows the current one. Every session ends
/// (the caller starts a fresh one for the person who made the change).
pub async fn change_password(
    conn: &mut PgConnection,
    user: Uuid,
    current: &str,
    new_password: &Password,
) -> Result<(), AccountError> {
    let existing: Option<Option<String>> =
        sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(hash) = existing else {
        return Err(AccountError::NotFound);
    };
    if !verify_password(hash, current).await {
        return Err(AccountError::InvalidCredentials);
    }
    let new_hash = hash_password(new_password).await?;
    let mut tx = conn.begin().await?;
    sqlx::query!(
        "UPDATE users SET password_hash = $2, sessions_valid_after = now() WHERE id = $1",
        user,
        &new_hash
    )
    .execute(&mut *tx)
    .await?;
    crate::tokens::void_links(&mut tx, user).await?;
    crate::mails::notify_change(&mut tx, user, crate::SecurityChange::PasswordChanged).await?;
    record(&mut tx, &AuditEvent::own("password.change", user)).await?;
    tx.commit().await?;
    Ok(())
}

/// Records that the person wants their account deleted and locks it at once: no sign-in, every
/// session ends. The erasure itself (GDPR) follows the retention rules.
pub async fn request_deletion(conn: &mut PgConnection, user: Uuid) -> Result<(), AccountError> {
    let mut tx = conn.begin().await?;
    crate::roles::keep_an_active_admin(&mut tx, user).await?;
    let updated = sqlx::query!(
        "UPDATE users SET locked_at = coalesce(locked_at, now()),
                deletion_requested_at = coalesce(deletion_requested_at, now()),
                sessions_valid_after = now()
         WHERE id = $1",
        user
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(AccountError::NotFound);
    }
    record(
        &mut tx,
        &AuditEvent::own("account.deletion_requested", user),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a new verification mail when `email` has an account that is not verified yet; does
/// nothing otherwise, so the answer is the same for every address.
pub async fn resend_verification(conn: &mut PgConnection, email: &str) -> Result<(), AccountError> {
    let mut tx = conn.begin().await?;
    if let Some(row) = row_by_email(&mut tx, email).await? {
        if row.email_verified_at.is_none() && row.locked_at.is_none() {
            let mail = AccountMail {
                user_id: row.id,
                kind: AccountMailKind::VerifyEmail,
            };
            enqueue(&mut tx, &mail).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
