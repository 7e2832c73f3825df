//! Server functions of two-factor sign-in: the second step of signing in, setting up and
//! turning off an authenticator, recovery codes, and confirming it is you before a sensitive
//! change.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in person's two-factor state, for account settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub enabled: bool,
    pub recovery_codes_left: i64,
    /// A role of the account needs it (admin, finance): it cannot be turned off.
    pub required: bool,
}

/// What the set-up page shows: the QR code (an SVG data URL) and the secret to type in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentView {
    pub qr: String,
    pub secret: String,
}

/// Longest input taken as a code (six digits, or a recovery code with separators).
#[cfg(feature = "ssr")]
const CODE_MAX: usize = 32;

#[cfg(feature = "ssr")]
mod server {
    use crate::auth::api::server::{account_error, invalid, ip, issue, throttle};
    use crate::error::{AppError, IssueCode};

    pub fn key() -> Result<gd_accounts::SecretKey, AppError> {
        let ctx = crate::context::server_context()?;
        Ok(gd_accounts::SecretKey::new(
            *ctx.config.two_factor_key.expose(),
        ))
    }

    pub fn now() -> u64 {
        u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default()
    }

    /// A code that cannot be one is refused before anything else; a wrong one is a field error.
    pub fn code_problem(field: &str) -> AppError {
        invalid(vec![issue(field, IssueCode::WrongCode, None)])
    }

    pub fn check_length(code: &str, field: &str) -> Result<(), AppError> {
        if code.trim().is_empty() {
            return Err(invalid(vec![issue(field, IssueCode::Required, None)]));
        }
        if code.len() > super::CODE_MAX {
            return Err(code_problem(field));
        }
        Ok(())
    }

    /// Ten tries per account and thirty per address in a quarter of an hour: a six-digit code
    /// cannot be guessed at that pace.
    pub async fn throttle_codes(user: uuid::Uuid) -> Result<(), AppError> {
        throttle(&[
            gd_accounts::Limit::new(format!("2fa:account:{user}"), 10, 900),
            gd_accounts::Limit::new(format!("2fa:ip:{}", ip()), 30, 900),
        ])
        .await
    }

    /// Checks a code (or recovery code) for `user`; the attempt is audited either way.
    pub async fn check_code(user: uuid::Uuid, code: &str, field: &str) -> Result<(), AppError> {
        let mut tx = crate::context::begin().await?;
        let outcome = gd_accounts::check_second_factor(
            &mut tx,
            &key()?,
            user,
            code,
            now(),
            crate::context::client_ip(),
        )
        .await;
        crate::context::commit(tx).await?;
        match outcome {
            Ok(_) => Ok(()),
            Err(
                gd_accounts::AccountError::InvalidCode | gd_accounts::AccountError::NotEnrolling,
            ) => Err(code_problem(field)),
            Err(other) => Err(account_error(other)),
        }
    }

    pub fn qr_data_url(content: &str) -> Result<String, AppError> {
        use base64::Engine;
        let svg = qrcode::QrCode::new(content.as_bytes())
            .map_err(AppError::internal)?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .build();
        Ok(format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(svg)
        ))
    }

    pub fn status_error(e: gd_accounts::AccountError) -> AppError {
        use crate::error::Conflict;
        use gd_accounts::AccountError as E;
        match e {
            E::TwoFactorAlreadyOn => AppError::Conflict(Conflict::TwoFactorOn),
            E::NotEnrolling => AppError::Conflict(Conflict::TwoFactorOff),
            E::TwoFactorRequired => AppError::Conflict(Conflict::TwoFactorRequired),
            other => account_error(other),
        }
    }
}

/// The second step of signing in: the code from the authenticator (or a recovery code) for
/// the account that passed its password or provider in this session within five minutes.
/// Public (there is nobody signed in yet); rate limited per account and address.
#[server(prefix = "/api", endpoint = "verify_login_code")]
pub async fn verify_login_code(
    #[server(default)] code: String,
    #[server(default)] lang: String,
) -> Result<(), AppError> {
    use server::*;
    check_length(&code, "code")?;
    let Some(user_id) = crate::context::pending_second_factor().await? else {
        return Err(AppError::Conflict(crate::error::Conflict::SignInExpired));
    };
    throttle_codes(user_id).await?;
    check_code(user_id, &code, "code").await?;
    let ctx = crate::context::server_context()?;
    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
    let user = gd_accounts::find_user(&mut conn, user_id)
        .await
        .map_err(AppError::internal)?
        .filter(|u| !u.locked)
        .ok_or(AppError::AccountLocked)?;
    crate::context::sign_in(&user).await?;
    if crate::context::is_plain_form_post() {
        leptos_axum::redirect(&crate::i18n::Lang::from_code(&lang).path("/account"));
    }
    Ok(())
}

/// The signed-in person's two-factor state. Needs a signed-in user.
#[server(prefix = "/api", endpoint = "two_factor_status")]
pub async fn two_factor_status() -> Result<TwoFactorView, AppError> {
    let user = crate::context::require_user().await?;
    let ctx = crate::context::server_context()?;
    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
    let status = gd_accounts::two_factor_status(&mut conn, user.id)
        .await
        .map_err(AppError::internal)?;
    Ok(TwoFactorView {
        enabled: status.enabled,
        recovery_codes_left: status.recovery_codes_left,
        required: user.roles.iter().any(|r| r.needs_two_factor()),
    })
}

/// Starts setting up an authenticator: a new secret as QR code and text. Needs a signed-in
/// user who proved who they are within the last ten minutes.
#[server(prefix = "/api", endpoint = "start_two_factor")]
pub async fn start_two_factor() -> Result<EnrolmentView, AppError> {
    use server::*;
    let user = crate::context::require_recent_auth().await?;
    let mut tx = crate::context::begin().await?;
    let enrolment = gd_accounts::start_enrolment(&mut tx, &key()?, user.id, &user.email)
        .await
        .map_err(status_error)?;
    crate::context::commit(tx).await?;
    Ok(EnrolmentView {
        qr: qr_data_url(&enrolment.otpauth_url)?,
        secret: enrolment.secret_base32,
    })
}

/// Puts two-factor sign-in in force with the first code from the new authenticator; answers
/// the recovery codes (shown once). Needs a signed-in user.
#[server(prefix = "/api", endpoint = "confirm_two_factor")]
pub async fn confirm_two_factor(#[server(default)] code: String) -> Result<Vec<String>, AppError> {
    use server::*;
    let user = crate::context::require_user().await?;
    check_length(&code, "code")?;
    throttle_codes(user.id).await?;
    let mut tx = crate::context::begin().await?;
    let codes = gd_accounts::confirm_enrolment(&mut tx, &key()?, user.id, &code, now())
        .await
        .map_err(|e| match e {
            gd_accounts::AccountError::InvalidCode => code_problem("code"),
            other => status_error(other),
        })?;
    crate::context::commit(tx).await?;
    // Every other session ended with it; this one, which just proved the second factor,
    // continues under a new id.
    crate::context::sign_in(&user).await?;
    Ok(codes)
}

/// New recovery codes (the old ones stop working). Needs a signed-in user with a recent proof.
#[server(prefix = "/api", endpoint = "new_recovery_codes")]
pub async fn new_recovery_codes() -> Result<Vec<String>, AppError> {
    use server::*;
    let user = crate::context::require_recent_auth().await?;
    let mut tx = crate::context::begin().await?;
    let codes = gd_accounts::new_recovery_codes(&mut tx, user.id)
        .await
        .map_err(status_error)?;
    crate::context::commit(tx).await?;
    Ok(codes)
}

/// Turns two-factor sign-in off (refused for admins and finance staff). Needs a signed-in
/// user with a recent proof.
#[server(prefix = "/api", endpoint = "disable_two_factor")]
pub async fn disable_two_factor() -> Result<(), AppError> {
    use server::*;
    let user = crate::context::require_recent_auth().await?;
    let mut tx = crate::context::begin().await?;
    gd_accounts::disable_two_factor(&mut tx, user.id)
        .await
        .map_err(status_error)?;
    crate::context::commit(tx).await
}

/// "Confirm it is you": the password, or a code when two-factor sign-in is on. Afterwards
/// sensitive changes are allowed for ten minutes. Needs a signed-in user; rate limited.
#[server(prefix = "/api", endpoint = "reauthenticate")]
pub async fn reauthenticate(
    #[server(default)] password: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use crate::auth::api::server::{account_error, invalid, issue, throttle};
    use crate::error::IssueCode;
    use server::*;
    let user = crate::context::require_user().await?;
    throttle(&[gd_accounts::Limit::new(
        format!("reauth:{}", user.id),
        10,
        900,
    )])
    .await?;
    if !code.trim().is_empty() {
        check_length(&code, "code")?;
        check_code(user.id, &code, "code").await?;
    } else if password.is_empty() {
        return Err(invalid(vec![issue("password", IssueCode::Required, None)]));
    } else if password.chars().count() > gd_accounts::Password::MAX {
        return Err(invalid(vec![issue(
            "password",
            IssueCode::WrongPassword,
            None,
        )]));
    } else {
        let mut tx = crate::context::begin().await?;
        let outcome =
            gd_accounts::confirm_password(&mut tx, user.id, &password, crate::context::client_ip())
                .await;
        crate::context::commit(tx).await?;
        outcome.map_err(|e| match e {
            gd_accounts::AccountError::InvalidCredentials => {
                invalid(vec![issue("password", IssueCode::WrongPassword, None)])
            }
            other => account_error(other),
        })?;
    }
    crate::context::mark_reauthenticated().await
}
