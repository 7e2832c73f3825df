//! Sign-in through a login provider: finding, creating and linking accounts from what the
//! provider vouches for, and unlinking while another way to sign in remains.

use chrono::{DateTime, Utc};
use gd_common::{Email, Locale, LoginProvider};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::{find_user, record, AccountError, AuditEvent, User};

/// Who a provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalLogin {
    pub provider: LoginProvider,
    pub subject: String,
    /// Only an address the provider vouches for.
    pub verified_email: Option<Email>,
    pub display_name: Option<String>,
}

/// How a provider sign-in found its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderSignIn {
    /// The provider account was linked already.
    Known,
    /// A new account was made from the verified address.
    Created,
}

/// A provider account linked to a Growthdesk account, for account settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedLogin {
    pub provider: LoginProvider,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub linked_at: DateTime<Utc>,
}

pub async fn list_linked_logins(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<LinkedLogin>, AccountError> {
    let rows = sqlx::query!(
        r#"SELECT provider, email, display_name, linked_at AS "linked_at: DateTime<Utc>"
           FROM user_identities WHERE user_id = $1 ORDER BY linked_at"#,
        user
    )
    .fetch_all(conn)
    .await?;
    // A provider this build no longer knows is left out (its row stays until unlinked).
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(LinkedLogin {
                provider: LoginProvider::parse(&r.provider)?,
                email: r.email,
                display_name: r.display_name,
                linked_at: r.linked_at,
            })
        })
        .collect())
}

async fn linked_user(
    conn: &mut PgConnection,
    login: &ExternalLogin,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2",
        login.provider.id(),
        &login.subject
    )
    .fetch_optional(conn)
    .await
}

async fn insert_link(
    conn: &mut PgConnection,
    user: Uuid,
    login: &ExternalLogin,
) -> Result<(), AccountError> {
    sqlx::query!(
        "INSERT INTO user_identities (user_id, provider, subject, email, display_name, last_login_at)
         VALUES ($1, $2, $3, $4, $5, now())",
        user,
        login.provider.id(),
        &login.subject,
        login.verified_email.as_ref().map(Email::as_str),
        login.display_name.as_deref()
    )
    .execute(conn)
    .await
    .map_err(|e| {
            AccountError::on_constraint(e, crate::Constraint::Unique, AccountError::LoginTaken)
        })?;
    Ok(())
}

/// Signs in with a provider account: the account it is linked to; else, for an address the
/// provider vouches for that no account uses yet, a new verified `client` account. Without a
/// verified address (Instagram never gives one, Facebook's does not count) only an already
/// linked provider account can sign in. Every outcome is audited.
///
/// An address that already has an account is never linked silently ([`AccountError::NotLinked`]):
/// whoever controls the provider account would otherwise take over the Growthdesk account. The
/// owner signs in the usual way and links the provider in account settings.
pub async fn sign_in_with_provider(
    conn: &mut PgConnection,
    login: &ExternalLogin,
    locale: Locale,
    ip: Option<String>,
) -> Result<(User, ProviderSignIn), AccountError> {
    let mut tx = conn.begin().await?;
    let (user_id, outcome) = if let Some(user_id) = linked_user(&mut tx, login).await? {
        sqlx::query!(
            "UPDATE user_identities SET last_login_at = now() WHERE provider = $1 AND subject = $2",
            login.provider.id(),
            &login.subject
        )
        .execute(&mut *tx)
        .await?;
        (user_id, ProviderSignIn::Known)
    } else {
        let email = login
            .verified_email
            .as_ref()
            .ok_or(AccountError::NoVerifiedEmail)?;
        let user_id = Uuid::now_v7();
        let created: Option<Uuid> = sqlx::query_scalar!(
            "INSERT INTO users (id, email, email_verified_at, locale) VALUES ($1, $2, now(), $3)
             ON CONFLICT (lower(email)) DO NOTHING RETURNING id",
            user_id,
            email.as_str(),
            locale.as_str()
        )
        .fetch_optional(&mut *tx)
        .await?;
        if created.is_none() {
            return Err(AccountError::NotLinked);
        }
        sqlx::query!(
            "INSERT INTO user_roles (user_id, role) VALUES ($1, 'client')",
            user_id
        )
        .execute(&mut *tx)
        .await?;
        insert_link(&mut tx, user_id, login).await?;
        record(
            &mut tx,
            &AuditEvent::own("account.sign_up", user_id)
                .ip(ip.clone())
                .details(serde_json::json!({ "provider": login.provider.id() })),
        )
        .await?;
        (user_id, ProviderSignIn::Created)
    };
    let user = find_user(&mut tx, user_id)
        .await?
        .ok_or(AccountError::NotFound)?;
    if user.locked {
        // The lookup and any link stay undone; the refusal is recorded on its own below.
        tx.rollback().await?;
        return Err(AccountError::Locked);
    }
    record(
        &mut tx,
        &AuditEvent::own("login.success", user_id)
            .ip(ip)
            .details(serde_json::json!({ "provider": login.provider.id() })),
    )
    .await?;
    tx.commit().await?;
    Ok((user, outcome))
}

/// Links a provider account to the signed-in `user` (from account settings). Linking the same
/// provider account again is fine; one linked to someone else, or a second account of the
/// same provider, is refused.
pub async fn link_provider(
    conn: &mut PgConnection,
    user: Uuid,
    login: &ExternalLogin,
    ip: Option<String>,
) -> Result<(), AccountError> {
    let mut tx = conn.begin().await?;
    match linked_user(&mut tx, login).await? {
        Some(owner) if owner == user => return Ok(()),
        Some(_) => return Err(AccountError::LoginTaken),
        None => {}
    }
    insert_link(&mut tx, user, login).await?;
    let provider = login.provider.label().to_owned();
    crate::mails::notify_change(
        &mut tx,
        user,
        crate::SecurityChange::LoginLinked { provider },
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::own("oauth.link", user).ip(ip).details(
            serde_json::json!({ "provider": login.provider.id(), "by": "account_settings" }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the link to `provider`, unless it is the account's last way to sign in (no
/// password and no other provider).
pub async fn unlink_provider(
    conn: &mut PgConnection,
    user: Uuid,
    provider: LoginProvider,
    ip: Option<String>,
) -> Result<(), AccountError> {
    let mut tx = conn.begin().await?;
    // The account row is locked so two unlinks at once cannot both see "one other remains".
    let has_password: Option<bool> = sqlx::query_scalar!(
        r#"SELECT password_hash IS NOT NULL AS "has_password!" FROM users WHERE id = $1 FOR UPDATE"#,
        user
    )
    .fetch_optional(&mut *tx)
    .await?;
    let has_password = has_password.ok_or(AccountError::NotFound)?;
    let providers: Vec<String> = sqlx::query_scalar!(
        "SELECT provider FROM user_identities WHERE user_id = $1",
        user
    )
    .fetch_all(&mut *tx)
    .await?;
    if !providers.iter().any(|p| p == provider.id()) {
        return Err(AccountError::NotFound);
    }
    if !has_password && providers.len() < 2 {
        return Err(AccountError::LastLoginMethod);
    }
    sqlx::query!(
        "DELETE FROM user_identities WHERE user_id = $1 AND provider = $2",
        user,
        provider.id()
    )
    .execute(&mut *tx)
    .await?;
    let change = crate::SecurityChange::LoginUnlinked {
        provider: provider.label().to_owned(),
    };
    crate::mails::notify_change(&mut tx, user, change).await?;
    record(
        &mut tx,
        &AuditEvent::own("oauth.unlink", user)
            .ip(ip)
            .details(serde_json::json!({ "provider": provider.id() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
