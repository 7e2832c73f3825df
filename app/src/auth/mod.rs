//! Signing up, in (with a password or a login provider) and out; verifying an address;
//! resetting a password; the account page. The pages are lazy routes, so the landing page's
//! bundle does not carry them.

pub mod api;
mod pages;
pub mod providers;
mod texts;
pub mod two_factor;

pub use pages::{AccountPage, SignInPages};
