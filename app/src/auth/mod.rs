//! Signing up, in and out; verifying an address; resetting a password; the account page.
//! Every page here is a lazy route, so the landing page's bundle does not carry it.

pub mod api;
mod pages;
pub mod providers;
#[cfg(feature = "ssr")]
pub mod session;
mod texts;

pub use pages::{AccountPage, SignInPages};
