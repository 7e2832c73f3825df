//! Server functions for accounts. Each states who may call it: all of these are public except
//! `me` and `log_out`, which need a signed-in user.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in user, as the account page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub roles: Vec<gd_common::Role>,
    pub has_password: bool,
    /// Two-factor sign-in is on.
    pub two_factor: bool,
    /// Provider accounts linked to this one.
    pub logins: Vec<super::providers::LinkedLoginView>,
    /// Every configured provider (linked or not).
    pub providers: Vec<super::providers::ProviderView>,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use crate::error::{AppError, Conflict, FieldIssue, IssueCode, Problem};
    use crate::i18n::Lang;
    use gd_accounts::{AccountError, EmailProblem, PasswordProblem};

    pub fn lang_of(code: &str) -> Lang {
        Lang::from_code(code)
    }

    pub fn issue(field: &str, code: IssueCode, max: Option<u32>) -> FieldIssue {
        FieldIssue {
            field: field.to_owned(),
            code,
            max,
        }
    }

    pub fn email_issue(p: EmailProblem) -> FieldIssue {
        Problem::from(p).on("email")
    }

    pub fn password_issue(p: PasswordProblem) -> FieldIssue {
        Problem::from(p).on("password")
    }

    /// Bad input, with nothing secret echoed back.
    pub fn invalid(issues: Vec<FieldIssue>) -> AppError {
        AppError::Validation {
            issues,
            echo: Default::default(),
        }
    }

    pub use crate::context::{ip, throttle};

    /// A request that makes us mail an address ("send me a link"): parses the address and
    /// counts it against 10 per hour per IP and `per_account` per hour per address and IP.
    pub async fn mail_request(
        kind: &str,
        email: &str,
        per_account: i32,
    ) -> Result<gd_accounts::Email, AppError> {
        let email = gd_accounts::Email::parse(email).map_err(|p| invalid(vec![email_issue(p)]))?;
        throttle(&[
            gd_accounts::Limit::new(format!("{kind}:ip:{}", ip()), 10, 3600),
            gd_accounts::Limit::new(
                format!("{kind}:account:{}:ip:{}", email.normalized(), ip()),
                per_account,
                3600,
            ),
        ])
        .await?;
        Ok(email)
    }

    pub fn configured_providers(
        ctx: &crate::context::ServerContext,
    ) -> Vec<crate::auth::providers::ProviderView> {
        ctx.config
            .oauth
            .iter()
            .map(|p| crate::auth::providers::ProviderView {
                provider: p.provider,
                local: p.is_local(),
            })
            .collect()
    }

    pub fn account_error(e: AccountError) -> AppError {
        match e {
            AccountError::InvalidCredentials => AppError::InvalidCredentials,
            AccountError::EmailNotVerified => AppError::EmailNotVerified,
            AccountError::Locked => AppError::AccountLocked,
            AccountError::InvalidToken => AppError::InvalidLink,
            AccountError::NotFound => AppError::NotFound,
            AccountError::EmailTaken => AppError::Conflict(Conflict::EmailTaken),
            AccountError::LastAdmin => AppError::Conflict(Conflict::LastAdmin),
            AccountError::Password(p) => invalid(vec![password_issue(p)]),
            other => AppError::internal(other),
        }
    }
}

/// Creates an account and mails a verification link. Public. Answers the same whether or not
/// the address already has an account (that person gets a different mail).
#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(
    #[server(default)] email: String,
    #[server(default)] password: String,
    #[server(default)] lang: String,
) -> Result<(), AppError> {
    use server::*;
    let lang = lang_of(&lang);
    throttle(&[gd_accounts::Limit::new(
        format!("sign_up:ip:{}", ip()),
        10,
        3600,
    )])
    .await?;
    let email = gd_accounts::Email::parse(&email).map_err(|p| invalid(vec![email_issue(p)]))?;
    let password = gd_accounts::Password::parse(&password, &[email.as_str()])
        .map_err(|p| invalid(vec![password_issue(p)]))?;
    let locale = gd_accounts::Locale::parse(lang.code());
    let mut tx = crate::context::begin().await?;
    gd_accounts::sign_up(&mut tx, &email, &password, locale)
        .await
        .map_err(account_error)?;
    crate::context::commit(tx).await?;
    leptos_axum::redirect(&lang.path("/signup?sent=1"));
    Ok(())
}

/// Confirms an address from the link in the verification mail. Public. A POST (the page has a
/// button), so mail scanners that open links do not use it up.
#[server(prefix = "/api", endpoint = "verify_email")]
pub async fn verify_email(
    #[server(default)] token: String,
    #[server(default)] lang: String,
) -> Result<(), AppError> {
    use server::*;
    let mut tx = crate::context::begin().await?;
    gd_accounts::verify_email(&mut tx, &token)
        .await
        .map_err(account_error)?;
    crate::context::commit(tx).await?;
    leptos_axum::redirect(&lang_of(&lang).path("/login?verified=1"));
    Ok(())
}

/// Where a sign-in stands after the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInStep {
    SignedIn,
    /// Two-factor sign-in is on: the code comes next (`/login/code`).
    CodeNeeded,
}

/// Signs in. Public. The session id changes at sign-in. For an account with two-factor
/// sign-in, the password only opens the second step.
#[server(prefix = "/api", endpoint = "log_in")]
pub async fn log_in(
    #[server(default)] email: String,
    #[server(default)] password: String,
    #[server(default)] lang: String,
) -> Result<SignInStep, AppError> {
    use server::*;
    let mut missing = Vec::new();
    if email.trim().is_empty() {
        missing.push(issue("email", crate::error::IssueCode::Required, None));
    }
    if password.is_empty() {
        missing.push(issue("password", crate::error::IssueCode::Required, None));
    }
    // Lengths first: nothing oversized reaches a rate-limit key, the audit log or Argon2.
    if email.trim().len() > gd_accounts::Email::MAX {
        missing.push(issue(
            "email",
            crate::error::IssueCode::TooLong,
            Some(gd_accounts::Email::MAX as u32),
        ));
    }
    if password.chars().count() > gd_accounts::Password::MAX {
        missing.push(issue(
            "password",
            crate::error::IssueCode::TooLong,
            Some(gd_accounts::Password::MAX as u32),
        ));
    }
    if !missing.is_empty() {
        return Err(invalid(missing));
    }
    // Per IP, and per account from that IP: guessing from elsewhere never locks the owner out.
    let account = email.trim().to_lowercase();
    throttle(&[
        gd_accounts::Limit::new(format!("log_in:ip:{}", ip()), 30, 900),
        gd_accounts::Limit::new(format!("log_in:account:{account}:ip:{}", ip()), 10, 900),
    ])
    .await?;
    let ip = crate::context::client_ip();
    // The attempt is audited whatever its outcome: the transaction commits either way.
    let mut tx = crate::context::begin().await?;
    let outcome = gd_accounts::authenticate(&mut tx, &email, &password, ip).await;
    crate::context::commit(tx).await?;
    let user = outcome.map_err(account_error)?;
    let (step, next) = if user.two_factor {
        crate::context::await_second_factor(&user).await?;
        (SignInStep::CodeNeeded, "/login/code")
    } else {
        crate::context::sign_in(&user).await?;
        (SignInStep::SignedIn, "/account")
    };
    // Without JavaScript the browser follows this; the page itself loads the next page anew.
    if crate::context::is_plain_form_post() {
        leptos_axum::redirect(&lang_of(&lang).path(next));
    }
    Ok(step)
}

/// Signs out of this session. Needs a signed-in user.
#[server(prefix = "/api", endpoint = "log_out")]
pub async fn log_out(#[server(default)] lang: String) -> Result<(), AppError> {
    use server::*;
    crate::context::require_user().await?;
    crate::context::sign_out().await?;
    if crate::context::is_plain_form_post() {
        leptos_axum::redirect(lang_of(&lang).home());
    }
    Ok(())
}

/// Mails a new verification link if the address has an unverified account. Public; the same
/// answer for every address.
#[server(prefix = "/api", endpoint = "resend_verification")]
pub async fn resend_verification(
    #[server(default)] email: String,
    #[server(default)] lang: String,
) -> Result<(), AppError> {
    use server::*;
    let lang = lang_of(&lang);
    let email = mail_request("resend", &email, 3).await?;
    let mut tx = crate::context::begin().await?;
    gd_accounts::resend_verification(&mut tx, email.as_str())
        .await
        .map_err(account_error)?;
    crate::context::commit(tx).await?;
    leptos_axum::redirect(&lang.path("/login?resent=1"));
    Ok(())
}

/// Mails a reset link if the address has an account. Public; same answer either way.
#[server(prefix = "/api", endpoint = "request_password_reset")]
pub async fn request_password_reset(
    #[server(default)] email: String,
    #[server(default)] lang: String,
) -> Result<(), AppError> {
    use server::*;
    let lang = lang_of(&lang);
    let email = mail_request("reset", &email, 5).await?;
    let ip = crate::context::client_ip();
    let mut tx = crate::context::begin().await?;
    gd_accounts::request_password_reset(&mut tx, email.as_str(), ip)
        .await
        .map_err(account_error)?;
    crate::context::commit(tx).await?;
    leptos_axum::redirect(&lang.path("/forgot-password?sent=1"));
    Ok(())
}

/// Sets a new password from a reset link; every existing session of the account ends. Public;
/// 20 tries per 15 minutes per address, and an unknown link costs no hashing.
#[server(prefix = "/api", endpoint = "reset_password")]
pub async fn reset_password(
    #[server(default)] token: String,
    #[server(default)] password: String,
    #[server(default)] lang: String,
) -> Result<(), AppError> {
    use server::*;
    throttle(&[gd_accounts::Limit::new(
        format!("reset_password:ip:{}", ip()),
        20,
        900,
    )])
    .await?;
    let password = gd_accounts::Password::parse(&password, &[])
        .map_err(|p| invalid(vec![password_issue(p)]))?;
    let mut tx = crate::context::begin().await?;
    gd_accounts::reset_password(&mut tx, &token, &password)
        .await
        .map_err(account_error)?;
    crate::context::commit(tx).await?;
    leptos_axum::redirect(&lang_of(&lang).path("/login?reset=1"));
    Ok(())
}

/// Changes the password (the current one must be given). Every other session ends; this one
/// continues under a new id. Needs a signed-in user.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    #[server(default)] current: String,
    #[server(default)] password: String,
) -> Result<(), AppError> {
    use server::*;
    let user = crate::context::require_user().await?;
    throttle(&[gd_accounts::Limit::new(
        format!("change_password:{}", user.id),
        10,
        900,
    )])
    .await?;
    let new_password = gd_accounts::Password::parse(&password, &[user.email.as_str()])
        .map_err(|p| invalid(vec![password_issue(p)]))?;
    if current.chars().count() > gd_accounts::Password::MAX {
        return Err(invalid(vec![issue(
            "current",
            crate::error::IssueCode::WrongPassword,
            None,
        )]));
    }
    let mut tx = crate::context::begin().await?;
    gd_accounts::change_password(&mut tx, user.id, &current, &new_password)
        .await
        .map_err(|e| match e {
            gd_accounts::AccountError::InvalidCredentials => invalid(vec![issue(
                "current",
                crate::error::IssueCode::WrongPassword,
                None,
            )]),
            other => account_error(other),
        })?;
    crate::context::commit(tx).await?;
    crate::context::sign_in(&user).await
}

/// Starts a change of address: a confirmation link goes to the new address; the account
/// keeps the old one until it is used. Needs a signed-in user who proved who they are within
/// the last ten minutes.
#[server(prefix = "/api", endpoint = "request_email_change")]
pub async fn request_email_change(#[server(default)] new_email: String) -> Result<(), AppError> {
    use server::*;
    let user = crate::context::require_recent_auth().await?;
    let email = mail_request("change_email", &new_email, 3)
        .await
        .map_err(|e| match e {
            AppError::Validation { issues, .. } => invalid(
                issues
                    .into_iter()
                    .map(|i| crate::error::FieldIssue {
                        field: "new_email".into(),
                        ..i
                    })
                    .collect(),
            ),
            other => other,
        })?;
    let mut tx = crate::context::begin().await?;
    gd_accounts::request_email_change(&mut tx, user.id, &email)
        .await
        .map_err(account_error)?;
    crate::context::commit(tx).await
}

/// Asks for the account to be deleted: it is locked at once and this session ends. Needs a
/// signed-in user and the confirmation box ticked.
#[server(prefix = "/api", endpoint = "request_account_deletion")]
pub async fn request_account_deletion(
    #[server(default)] confirm: Option<String>,
    #[server(default)] lang: String,
) -> Result<(), AppError> {
    use server::*;
    let user = crate::context::require_user().await?;
    if confirm.is_none() {
        return Err(invalid(vec![issue(
            "confirm",
            crate::error::IssueCode::ConsentMissing,
            None,
        )]));
    }
    let mut tx = crate::context::begin().await?;
    gd_accounts::request_deletion(&mut tx, user.id)
        .await
        .map_err(account_error)?;
    crate::context::commit(tx).await?;
    crate::context::sign_out().await?;
    if crate::context::is_plain_form_post() {
        leptos_axum::redirect(lang_of(&lang).home());
    }
    Ok(())
}

/// One of the user's live sign-ins, as the account page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub started: String,
    pub device: String,
    pub ip: String,
    pub current: bool,
}

/// The signed-in user's live sessions, newest first. Needs a signed-in user.
#[server(prefix = "/api", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<SessionView>, AppError> {
    let user = crate::context::require_user().await?;
    let current = crate::context::current_session_id().await?;
    let ctx = crate::context::server_context()?;
    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
    let sessions = gd_accounts::list_sessions(&mut conn, user.id)
        .await
        .map_err(AppError::internal)?;
    Ok(sessions
        .into_iter()
        .map(|s| SessionView {
            started: s.created_at.format("%d.%m.%Y %H:%M UTC").to_string(),
            device: s.user_agent.unwrap_or_default(),
            ip: s.ip.unwrap_or_default(),
            current: current.as_deref() == Some(s.session_id.as_str()),
        })
        .collect())
}

/// Ends every other session of the signed-in user. Needs a signed-in user.
#[server(prefix = "/api", endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    let user = crate::context::require_user().await?;
    let current = crate::context::current_session_id()
        .await?
        .unwrap_or_default();
    let mut tx = crate::context::begin().await?;
    let ended = gd_accounts::end_other_sessions(&mut tx, user.id, &current)
        .await
        .map_err(server::account_error)?;
    crate::context::commit(tx).await?;
    Ok(ended)
}

/// The signed-in user. Needs a signed-in user (401 otherwise).
#[server(prefix = "/api", endpoint = "current_account")]
pub async fn current_account() -> Result<Me, AppError> {
    use super::providers::LinkedLoginView;
    let user = crate::context::require_user().await?;
    let ctx = crate::context::server_context()?;
    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
    let logins = gd_accounts::list_linked_logins(&mut conn, user.id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|l| LinkedLoginView {
            account: l.email.or(l.display_name).unwrap_or_default(),
            linked: l.linked_at.format("%d.%m.%Y").to_string(),
            provider: l.provider,
        })
        .collect();
    Ok(Me {
        email: user.email,
        roles: user.roles.clone(),
        has_password: user.has_password,
        two_factor: user.two_factor,
        logins,
        providers: server::configured_providers(&ctx),
    })
}

/// The login providers configured here, for the sign-in page. Public.
#[server(prefix = "/api", endpoint = "login_providers")]
pub async fn login_providers() -> Result<Vec<super::providers::ProviderView>, AppError> {
    let ctx = crate::context::server_context()?;
    Ok(server::configured_providers(&ctx))
}

/// Removes a linked provider account, unless it is the last way to sign in. Needs a signed-in
/// user.
#[server(prefix = "/api", endpoint = "unlink_login")]
pub async fn unlink_login(#[server(default)] provider: String) -> Result<(), AppError> {
    use server::*;
    let user = crate::context::require_user().await?;
    // A provider this site does not know cannot be linked: nothing to remove.
    let provider = gd_common::LoginProvider::parse(provider.trim()).ok_or(AppError::NotFound)?;
    let mut tx = crate::context::begin().await?;
    gd_accounts::unlink_provider(&mut tx, user.id, provider, crate::context::client_ip())
        .await
        .map_err(|e| match e {
            gd_accounts::AccountError::LastLoginMethod => {
                AppError::Conflict(crate::error::Conflict::LastLoginMethod)
            }
            other => account_error(other),
        })?;
    crate::context::commit(tx).await
}
