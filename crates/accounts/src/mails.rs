//! Account mails: the job that asks for one ([`AccountMail`]), their words, and sending them.

use gd_common::Locale;
use gd_mail::{Mail, Mailer};
use serde::{Deserialize, Serialize};
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
}

/// Sends the mail `job` asks for. A verification or reset link is made now, replacing any
/// older one; a deleted account gets nothing.
pub async fn deliver_account_mail(
    pool: &PgPool,
    mailer: &dyn Mailer,
    job: &AccountMail,
    public_url: &str,
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
    let (subject, body) = match &job.kind {
        AccountMailKind::VerifyEmail => {
            let token = issue_token(&mut conn, user.id, TokenPurpose::VerifyEmail).await?;
            let link = format!("{base}/verify-email?token={}", token.expose());
            match user.locale {
                Locale::De => (
                    "Bitte bestätigen Sie Ihre E-Mail-Adresse".to_owned(),
                    format!("Willkommen bei Growthdesk!\n\nBitte bestätigen Sie Ihre E-Mail-Adresse mit diesem Link (48 Stunden gültig):\n{link}\n\nWenn Sie sich nicht registriert haben, können Sie diese Mail ignorieren.\n"),
                ),
                Locale::En => (
                    "Please confirm your email address".to_owned(),
                    format!("Welcome to Growthdesk!\n\nPlease confirm your email address with this link (valid for 48 hours):\n{link}\n\nIf you did not sign up, you can ignore this mail.\n"),
                ),
            }
        }
        AccountMailKind::AlreadyRegistered => {
            let login = format!("{base}/login");
            let forgot = format!("{base}/forgot-password");
            match user.locale {
                Locale::De => (
                    "Sie haben bereits ein Konto bei Growthdesk".to_owned(),
                    format!("Jemand wollte mit dieser Adresse ein neues Konto anlegen. Sie haben bereits eines.\n\nAnmelden: {login}\nPasswort vergessen: {forgot}\n\nWaren Sie das nicht, müssen Sie nichts tun.\n"),
                ),
                Locale::En => (
                    "You already have a Growthdesk account".to_owned(),
                    format!("Someone tried to create a new account with this address. You already have one.\n\nSign in: {login}\nForgot your password: {forgot}\n\nIf this was not you, there is nothing to do.\n"),
                ),
            }
        }
        AccountMailKind::ConfirmEmailChange { new_email } => {
            let token = crate::issue_email_change_token(&mut conn, user.id, new_email).await?;
            let link = format!("{base}/verify-email?token={}", token.expose());
            to = new_email.clone();
            match user.locale {
                Locale::De => (
                    "Bitte bestätigen Sie Ihre neue E-Mail-Adresse".to_owned(),
                    format!("Ihr Growthdesk-Konto soll künftig diese Adresse verwenden. Bitte bestätigen Sie das mit diesem Link (48 Stunden gültig):\n{link}\n\nHaben Sie das nicht veranlasst, ignorieren Sie diese Mail.\n"),
                ),
                Locale::En => (
                    "Please confirm your new email address".to_owned(),
                    format!("Your Growthdesk account is to use this address from now on. Please confirm with this link (valid for 48 hours):\n{link}\n\nIf you did not ask for this, ignore this mail.\n"),
                ),
            }
        }
        AccountMailKind::ResetPassword => {
            let token = issue_token(&mut conn, user.id, TokenPurpose::ResetPassword).await?;
            let link = format!("{base}/reset-password?token={}", token.expose());
            match user.locale {
                Locale::De => (
                    "Neues Passwort für Growthdesk".to_owned(),
                    format!("Mit diesem Link legen Sie ein neues Passwort fest (eine Stunde gültig, nur einmal verwendbar):\n{link}\n\nDanach sind alle anderen Anmeldungen beendet. Haben Sie das nicht angefordert, ignorieren Sie diese Mail.\n"),
                ),
                Locale::En => (
                    "A new password for Growthdesk".to_owned(),
                    format!("Use this link to choose a new password (valid for one hour, once):\n{link}\n\nAll other sign-ins end afterwards. If you did not ask for this, ignore this mail.\n"),
                ),
            }
        }
    };
    mailer
        .send(&Mail {
            to,
            subject,
            body,
            reply_to: None,
        })
        .await?;
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
        ] {
            let queued = serde_json::json!({ "user_id": user, "kind": queued });
            let job: AccountMail = serde_json::from_value(queued.clone()).unwrap();
            assert_eq!(job.kind, kind);
            assert_eq!(serde_json::to_value(&job).unwrap(), queued);
        }
    }
}
