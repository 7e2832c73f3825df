//! Account mails: the job that asks for one ([`AccountMail`]), their words (the mail
//! templates), and sending them.

use gd_common::Locale;
use gd_mail::outbox::{deliver, Outgoing};
use gd_mail::templates::render;
use gd_mail::Mailer;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{find_user, issue_token, AccountError, TokenPurpose};

/// A mail about an account, sent by [`deliver_account_mail`]. Links are made when the mail is
/// sent, so no usable token ever sits in the job table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMail {
    pub user_id: Uuid,
    pub kind: AccountMailKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountMailKind {
    /// "Please confirm your address", with a verification link.
    VerifyEmail,
    /// Someone tried to sign up with an address that already has an account.
    AlreadyRegistered,
    /// "Set a new password", with a reset link.
    ResetPassword,
    /// To the new address of an email change: "confirm this is your new address".
    ConfirmEmailChange { new_email: String },
    /// "Your account changed": to the address the account had when it changed (for a change of
    /// address, the old one), so the owner hears of it even when someone else made it.
    SecurityNotice { change: SecurityChange, to: String },
}

/// A change to how an account signs in, which its owner is told about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecurityChange {
    EmailChanged { new_email: String },
    PasswordChanged,
    PasswordReset,
    LoginLinked { provider: String },
    LoginUnlinked { provider: String },
    TwoFactorOn,
    TwoFactorOff,
}

/// Queues the notice of `change` to `user`'s current address (inside the caller's
/// transaction, so the notice goes out exactly when the change commits).
pub(crate) async fn notify_change(
    conn: &mut sqlx::PgConnection,
    user: Uuid,
    change: SecurityChange,
) -> Result<(), AccountError> {
    let to = sqlx::query_scalar!("SELECT email FROM users WHERE id = $1", user)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AccountError::NotFound)?;
    notify_change_to(conn, user, change, to).await
}

/// [`notify_change`] to a given address (the old one, when the address itself changed).
pub(crate) async fn notify_change_to(
    conn: &mut sqlx::PgConnection,
    user: Uuid,
    change: SecurityChange,
    to: String,
) -> Result<(), AccountError> {
    let mail = AccountMail {
        user_id: user,
        kind: AccountMailKind::SecurityNotice { change, to },
    };
    gd_jobs::enqueue(conn, &mail).await?;
    Ok(())
}

/// A security notice's template values.
fn notice_values(change: &SecurityChange, forgot: &str) -> serde_json::Value {
    let (change, new_email, provider) = match change {
        SecurityChange::EmailChanged { new_email } => ("email_changed", Some(new_email), None),
        SecurityChange::PasswordChanged => ("password_changed", None, None),
        SecurityChange::PasswordReset => ("password_reset", None, None),
        SecurityChange::LoginLinked { provider } => ("login_linked", None, Some(provider)),
        SecurityChange::LoginUnlinked { provider } => ("login_unlinked", None, Some(provider)),
        SecurityChange::TwoFactorOn => ("two_factor_on", None, None),
        SecurityChange::TwoFactorOff => ("two_factor_off", None, None),
    };
    json!({ "change": change, "new_email": new_email, "provider": provider, "forgot": forgot })
}

impl gd_jobs::Job for AccountMail {
    /// Unchanged since the first release: jobs waiting under it must still run.
    const QUEUE: &'static str = "growthdesk::account_mail";
}

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Mail(#[from] gd_mail::MailError),
    #[error(transparent)]
    Template(#[from] gd_mail::templates::TemplateError),
}

/// Sends the mail `job` asks for, once under `key` (the job's own id: a retried job finds the
/// mail it sent). A verification or reset link is made now, replacing any older one; a
/// deleted account gets nothing.
pub async fn deliver_account_mail(
    pool: &PgPool,
    mailer: &dyn Mailer,
    job: &AccountMail,
    public_url: &str,
    key: &str,
) -> Result<(), DeliverError> {
    let mut conn = pool.acquire().await.map_err(AccountError::from)?;
    let Some(user) = find_user(&mut conn, job.user_id).await? else {
        tracing::warn!(user_id = %job.user_id, "account mail for a missing account: skipped");
        return Ok(());
    };
    let base = match user.locale {
        Locale::De => public_url.to_owned(),
        Locale::En => format!("{public_url}/en"),
    };
    let mut to = user.email.clone();
    let (kind, values) = match &job.kind {
        AccountMailKind::VerifyEmail => {
            let token = issue_token(&mut conn, user.id, TokenPurpose::VerifyEmail).await?;
            let link = format!("{base}/verify-email?token={}", token.expose());
            ("verify_email", json!({ "link": link }))
        }
        AccountMailKind::AlreadyRegistered => (
            "already_registered",
            json!({ "login": format!("{base}/login"), "forgot": format!("{base}/forgot-password") }),
        ),
        AccountMailKind::ConfirmEmailChange { new_email } => {
            let token = crate::issue_email_change_token(&mut conn, user.id, new_email).await?;
            let link = format!("{base}/verify-email?token={}", token.expose());
            to = new_email.clone();
            ("confirm_email_change", json!({ "link": link }))
        }
        AccountMailKind::SecurityNotice {
            change,
            to: address,
        } => {
            to = address.clone();
            (
                "security_notice",
                notice_values(change, &format!("{base}/forgot-password")),
            )
        }
        AccountMailKind::ResetPassword => {
            let token = issue_token(&mut conn, user.id, TokenPurpose::ResetPassword).await?;
            let link = format!("{base}/reset-password?token={}", token.expose());
            ("reset_password", json!({ "link": link }))
        }
    };
    let lang = match user.locale {
        Locale::De => "de",
        Locale::En => "en",
    };
    let mail = Outgoing {
        key: key.to_owned(),
        kind,
        lang,
        to,
        reply_to: None,
        rendered: render(kind, lang, values)?,
        // A link that signs in or sets a password is not kept once it left.
        sensitive: matches!(
            kind,
            "verify_email" | "confirm_email_change" | "reset_password"
        ),
        order_id: None,
        user_id: Some(user.id),
    };
    // The mail goes out on connections of its own: none is held meanwhile.
    drop(conn);
    deliver(pool, mailer, &mail).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gd_jobs::Job;

    #[test]
    fn jobs_already_queued_still_decode() {
        // The queue name and the payload shapes of jobs enqueued before the type moved here.
        assert_eq!(AccountMail::QUEUE, "growthdesk::account_mail");
        let user = "0190f5a4-0000-7000-8000-000000000001";
        for (queued, kind) in [
            (
                serde_json::json!("VerifyEmail"),
                AccountMailKind::VerifyEmail,
            ),
            (
                serde_json::json!("AlreadyRegistered"),
                AccountMailKind::AlreadyRegistered,
            ),
            (
                serde_json::json!("ResetPassword"),
                AccountMailKind::ResetPassword,
            ),
            (
                serde_json::json!({ "ConfirmEmailChange": { "new_email": "neu@example.de" } }),
                AccountMailKind::ConfirmEmailChange {
                    new_email: "neu@example.de".into(),
                },
            ),
            (
                serde_json::json!({ "SecurityNotice": { "change": "PasswordChanged", "to": "alt@example.de" } }),
                AccountMailKind::SecurityNotice {
                    change: SecurityChange::PasswordChanged,
                    to: "alt@example.de".into(),
                },
            ),
        ] {
            let queued = serde_json::json!({ "user_id": user, "kind": queued });
            let job: AccountMail = serde_json::from_value(queued.clone()).unwrap();
            assert_eq!(job.kind, kind);
            assert_eq!(serde_json::to_value(&job).unwrap(), queued);
        }
    }
}
