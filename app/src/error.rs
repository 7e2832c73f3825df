//! The one error type that crosses the wire. It carries only what a user may see; internal
//! details are logged on the server and replaced by a reference the support team can search.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The one field-problem type of every form (defined beside the domain types that report it).
pub use gd_common::{FieldIssue, IssueCode, Problem};

/// Why a request conflicts with the state of things: a code the UI turns into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// Another account already uses this address.
    EmailTaken,
    /// Removing this sign-in method would leave the account without one.
    LastLoginMethod,
    /// The change would leave the site without an active admin.
    LastAdmin,
    /// Admins cannot take away their own admin role (another admin must).
    OwnAdminRole,
    /// Two-factor sign-in is on already (turn it off before setting up another authenticator).
    TwoFactorOn,
    /// Two-factor sign-in is off (or not set up yet): there is nothing to confirm or renew.
    TwoFactorOff,
    /// The account's roles need two-factor sign-in: it cannot be turned off.
    TwoFactorRequired,
    /// The first step of a sign-in is missing or older than five minutes: sign in again.
    SignInExpired,
    /// The cart holds as many lines as it may.
    CartFull,
    /// Another page of the same kind has this address.
    SlugTaken,
    /// Another product has this address.
    ProductSlugTaken,
    /// A product without a price cannot be published.
    NotPriced,
    /// The checkout found nothing to buy.
    EmptyCart,
    /// A line of the cart is no longer sold: remove it before checking out.
    CartUnavailable,
    /// Monthly and yearly plans cannot share one subscription: buy them one after the other.
    MixedIntervals,
    /// The payment page could not be opened (the gateway did not answer): nothing was
    /// charged; try again.
    PaymentUnavailable,
    /// The subscription has ended (or never started): it cannot be changed any more.
    SubscriptionOver,
    /// Nothing of this order can be refunded here: nothing is left, or its payments are a
    /// subscription's (refunded at the payment provider's dashboard).
    NotRefundable,
    /// The fulfilment changed meanwhile (another admin claimed or finished it): reload.
    TaskChanged,
    /// The fulfilment provider did not answer (its words are in the provider list).
    ProviderUnavailable,
    /// This delivery cannot be refilled now (not delivered, outside the guarantee, or a
    /// refill is under way).
    RefillNotNow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("please sign in")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    /// Bad input. `echo` carries the submitted values back so a form posted without JavaScript
    /// can be shown again with nothing lost.
    #[error("invalid input")]
    Validation {
        issues: Vec<FieldIssue>,
        echo: BTreeMap<String, String>,
    },
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// Sign-in refused: unknown email or wrong password (never says which).
    #[error("email or password is wrong")]
    InvalidCredentials,
    #[error("email address not verified yet")]
    EmailNotVerified,
    #[error("account locked")]
    AccountLocked,
    /// An admin or finance account that has not set up two-factor sign-in yet: nothing of
    /// those roles answers until it has.
    #[error("two-factor sign-in must be set up first")]
    SecondFactorRequired,
    /// A sensitive change needs the password or a second-factor code from the last minutes.
    #[error("please confirm it is you")]
    ReauthRequired,
    /// A verification or reset link that is unknown, used or expired.
    #[error("link invalid or expired")]
    InvalidLink,
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts; retry in {0} s")]
    RateLimited(u64),
    /// The request's arguments could not be read (malformed or missing): the caller's mistake.
    #[error("bad request")]
    BadRequest,
    /// Something broke on the server; the string is a reference for the logs, never details.
    #[error("internal error (reference {0})")]
    Internal(String),
    /// The request did not reach the server or its answer could not be read.
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::NotFound => S::NOT_FOUND,
            AppError::Unauthorized => S::UNAUTHORIZED,
            AppError::Forbidden => S::FORBIDDEN,
            AppError::Validation { .. } => S::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::InvalidCredentials => S::UNAUTHORIZED,
            AppError::EmailNotVerified
            | AppError::AccountLocked
            | AppError::SecondFactorRequired
            | AppError::ReauthRequired => S::FORBIDDEN,
            AppError::InvalidLink | AppError::BadRequest => S::BAD_REQUEST,
            AppError::RateLimited(_) => S::TOO_MANY_REQUESTS,
            AppError::Internal(_) => S::INTERNAL_SERVER_ERROR,
            AppError::Transport(_) => S::BAD_GATEWAY,
        }
    }

    pub fn issues(&self) -> &[FieldIssue] {
        match self {
            AppError::Validation { issues, .. } => issues,
            _ => &[],
        }
    }

    /// Logs `error` and returns the user-safe `Internal` error, whose reference is the request
    /// id that every log line of this request carries.
    #[cfg(feature = "ssr")]
    pub fn internal(error: impl std::fmt::Display) -> Self {
        let reference = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|p| {
                p.headers
                    .get("x-request-id")?
                    .to_str()
                    .ok()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "-".to_owned());
        tracing::error!(%reference, %error, "internal error");
        AppError::Internal(reference)
    }
}

/// The platform's refusals keep their meaning; its failures are logged and hidden.
#[cfg(feature = "ssr")]
impl From<gd_web::WebError> for AppError {
    fn from(e: gd_web::WebError) -> Self {
        use gd_web::WebError as W;
        match e {
            W::Unauthorized => AppError::Unauthorized,
            W::Forbidden => AppError::Forbidden,
            W::SecondFactorRequired => AppError::SecondFactorRequired,
            W::ReauthRequired => AppError::ReauthRequired,
            other => AppError::internal(other),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::ServerError(e) => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %e, "server function failed");
                let _ = e;
                AppError::Internal("server".into())
            }
            // On the server: the arguments could not be decoded. Never a 500.
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => AppError::BadRequest,
            other => AppError::Transport(other.to_string()),
        }
    }
}
