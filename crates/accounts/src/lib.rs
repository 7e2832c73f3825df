//! Accounts: who can sign in, with which password, holding which roles; the single-use links
//! that verify an address or reset a password; and the append-only audit log that records
//! security events and every admin and finance action. Its job, [`AccountMail`], lives beside
//! the function that handles it, [`deliver_account_mail`].
//!
//! Knows nothing of HTTP or sessions: the server asks it questions ("who is this email and
//! password?") and turns the answers into sessions and pages.

mod audit;
mod identities;
mod mails;
mod password;
mod roles;
mod sessions;
mod throttle;
mod tokens;
mod two_factor;
mod users;

pub use audit::{list_audit, record, AuditEntry, AuditEvent, AuditFilter};
pub use identities::{
    link_provider, list_linked_logins, sign_in_with_provider, unlink_provider, ExternalLogin,
    LinkedLogin, ProviderSignIn,
};
pub use mails::{deliver_account_mail, AccountMail, AccountMailKind, DeliverError, SecurityChange};
pub use password::{hash_password, verify_password, Password, PasswordProblem};
pub use roles::{grant_role, revoke_role, Role};
pub use sessions::{
    delete_expired_sessions, end_other_sessions, forget_ended_sessions, list_sessions,
    mark_authenticated, recently_authenticated, record_session, ActiveSession,
};
pub use throttle::{forget_old_rate_limits, throttle, Limit};
pub use tokens::{
    consume_email_change, consume_token, forget_spent_tokens, issue_email_change_token,
    issue_token, void_links, RawToken, TokenPurpose,
};
pub use two_factor::{
    check_second_factor, code_at, confirm_enrolment, disable_two_factor, new_recovery_codes,
    start_enrolment, two_factor_status, Enrolment, SecondFactor, SecretKey, TwoFactorStatus,
    RECOVERY_CODES,
};
pub use users::{
    authenticate, change_password, confirm_password, ensure_admin, find_session_user, find_user,
    find_user_by_email, list_users, request_deletion, request_email_change, request_password_reset,
    resend_verification, reset_password, sign_up, verify_email, AdminBootstrap, SignUp, User,
};

pub use gd_common::{Email, EmailProblem, Locale};

/// Which constraint a write may run into on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Constraint {
    Unique,
    ForeignKey,
}

impl AccountError {
    /// A violation of the expected `kind` of constraint means `meaning`; any other database
    /// error stays one.
    pub(crate) fn on_constraint(e: sqlx::Error, kind: Constraint, meaning: AccountError) -> Self {
        let hit = match (&e, kind) {
            (sqlx::Error::Database(db), Constraint::Unique) => db.is_unique_violation(),
            (sqlx::Error::Database(db), Constraint::ForeignKey) => db.is_foreign_key_violation(),
            _ => false,
        };
        if hit {
            meaning
        } else {
            AccountError::Database(e)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Unknown email or wrong password: deliberately the same answer for both.
    #[error("email or password is wrong")]
    InvalidCredentials,
    #[error("the email address is not verified yet")]
    EmailNotVerified,
    #[error("the account is locked")]
    Locked,
    /// Unknown, used or expired link.
    #[error("the link is invalid or has expired")]
    InvalidToken,
    #[error("no such account")]
    NotFound,
    /// Another account already uses this address.
    #[error("the email address belongs to another account")]
    EmailTaken,
    /// The provider account is linked to another Growthdesk account (or this account already
    /// has one of that provider).
    #[error("this login is linked to another account")]
    LoginTaken,
    /// A provider sign-in with an address that already has an account, which the provider is
    /// not linked to: the owner signs in the usual way and links it in account settings.
    #[error("an account with this address exists; sign in and link the provider there")]
    NotLinked,
    /// A provider sign-in for a new person without an address the provider vouches for.
    #[error("the provider did not confirm an email address")]
    NoVerifiedEmail,
    /// The change would leave the site without an active admin.
    #[error("the last active admin cannot be removed or locked")]
    LastAdmin,
    /// Unlinking would leave the account with no way to sign in.
    #[error("the last way to sign in cannot be removed")]
    LastLoginMethod,
    /// A second-factor code (or recovery code) that is wrong, used or too old.
    #[error("the code is wrong or was used already")]
    InvalidCode,
    /// Two-factor sign-in is on already; it must be turned off before a new authenticator.
    #[error("two-factor sign-in is already on")]
    TwoFactorAlreadyOn,
    /// No authenticator is being set up (or two-factor sign-in is off).
    #[error("two-factor sign-in is not set up")]
    NotEnrolling,
    /// Admins and finance staff cannot turn two-factor sign-in off.
    #[error("this account's roles need two-factor sign-in")]
    TwoFactorRequired,
    /// Encrypting or decrypting a secret failed (a wrong key, a damaged row).
    #[error("two-factor secret: {0}")]
    TwoFactor(String),
    #[error("password not accepted: {0:?}")]
    Password(PasswordProblem),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Enqueue(#[from] gd_jobs::EnqueueError),
}
