//! Login providers as the pages see them: which ones are on, which are linked, and why a
//! provider sign-in did not work (carried back to the page as `?provider_error=…`).

use gd_common::LoginProvider;
use serde::{Deserialize, Serialize};

/// A configured login provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderView {
    pub provider: LoginProvider,
    /// A server on this machine standing in for the provider (local trying out and tests).
    pub local: bool,
}

/// A provider account linked to the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedLoginView {
    pub provider: LoginProvider,
    /// The provider's address or user name, as it said when linking.
    pub account: String,
    pub linked: String,
}

/// Why a provider sign-in or link did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderProblem {
    /// The person cancelled at the provider (or it refused).
    Cancelled,
    /// A new person, and the provider vouches for no address (Instagram never does).
    NoEmail,
    /// The provider account belongs to another Growthdesk account.
    Taken,
    /// The address has an account the provider is not linked to: sign in, then link.
    NotLinked,
    /// Linking needs a recent proof of who is asking (password or code).
    Reauth,
    /// The account is locked (deletion requested).
    Locked,
    /// Expired or foreign state, or the provider could not be reached: start again.
    Failed,
    /// The provider is not configured here.
    Unavailable,
    /// Too many attempts from this address.
    TooMany,
}

impl ProviderProblem {
    const ALL: [Self; 9] = [
        Self::Cancelled,
        Self::NoEmail,
        Self::Taken,
        Self::NotLinked,
        Self::Reauth,
        Self::Locked,
        Self::Failed,
        Self::Unavailable,
        Self::TooMany,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Cancelled => "cancelled",
            Self::NoEmail => "no_email",
            Self::Taken => "taken",
            Self::NotLinked => "not_linked",
            Self::Reauth => "reauth",
            Self::Locked => "locked",
            Self::Failed => "failed",
            Self::Unavailable => "unavailable",
            Self::TooMany => "too_many",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}
