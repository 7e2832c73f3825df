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

/// The words of a security notice.
fn notice_text(change: &SecurityChange, locale: Locale, base: &str) -> (String, String) {
    let de = locale == Locale::De;
    let what = match (change, de) {
        (SecurityChange::EmailChanged { new_email }, true) => {
            format!("Ihr Konto verwendet jetzt die Adresse {new_email} statt dieser.")
        }
        (SecurityChange::EmailChanged { new_email }, false) => {
            format!("Your account now uses the address {new_email} instead of this one.")
        }
        (SecurityChange::PasswordChanged, true) => "Ihr Passwort wurde geändert.".to_owned(),
        (SecurityChange::PasswordChanged, false) => "Your password was changed.".to_owned(),
        (SecurityChange::PasswordReset, true) => {
            "Ihr Passwort wurde über einen Link aus einer Mail neu gesetzt.".to_owned()
        }
        (SecurityChange::PasswordReset, false) => {
            "Your password was reset through a link from a mail.".to_owned()
        }
        (SecurityChange::LoginLinked { provider }, true) => {
            format!("Ihr Konto ist jetzt mit einem {provider}-Konto verknüpft.")
        }
        (SecurityChange::LoginLinked { provider }, false) => {
            format!("A {provider} account is now linked to your account.")
        }
        (SecurityChange::LoginUnlinked { provider }, true) => {
            format!("Die Verknüpfung mit {provider} wurde entfernt.")
        }
        (SecurityChange::LoginUnlinked { provider }, false) => {
            format!("The link to {provider} was removed.")
        }
        (SecurityChange::TwoFactorOn, true) => {
            "Die Zwei-Faktor-Anmeldung wurde eingeschaltet.".to_owned()
        }
        (SecurityChange::TwoFactorOn, false) => "Two-factor sign-in was turned on.".to_owned(),
        (SecurityChange::TwoFactorOff, true) => {
            "Die Zwei-Faktor-Anmeldung wurde ausgeschaltet.".to_owned()
        }
        (SecurityChange::TwoFactorOff, false) => "Two-factor sign-in was turned off.".to_owned(),
    };
    let forgot = format!("{base}/forgot-password");
    if de {
        (
            "Ihr Growthdesk-Konto wurde geändert".to_owned(),
            format!("{what}\n\nWaren Sie das, ist alles in Ordnung. Wenn nicht, setzen Sie sofort ein neues Passwort: {forgot}\nund antworten Sie auf diese Mail.\n"),
        )
    } else {
        (
            "Your Growthdesk account was changed".to_owned(),
            format!("{what}\n\nIf this was you, all is well. If not, set a new password at once: {forgot}\nand reply to this mail.\n"),
        )
    }
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
        AccountMailKind::SecurityNotice {
            change,
            to: address,
        } => {
            to = address.clone();
            notice_text(change, user.locale, &base)
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
