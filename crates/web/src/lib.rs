//! The server side's web platform, shared by the HTTP server and the server half of the UI
//! crate: the request context, sessions and the signed-in user, who may do what, and the
//! client's address. It knows axum and tower-sessions but nothing of pages; the UI crate's
//! server functions reach it through thin adapters (`app::context`).

mod cart;
mod client;
mod session;

use std::path::PathBuf;
use std::sync::Arc;

use gd_accounts::{Role, User};
use gd_config::Config;
use sqlx::PgPool;

pub use cart::{cart_count, cart_id};
pub use client::{client_ip_of, rate_limit_key};
pub use session::{
    begin_second_factor, current_session_id, layer as session_layer, mark_reauthenticated,
    pending_second_factor, recently_authenticated, session_user, sign_out, start_session,
    RequestUser, REAUTH_SECS,
};
pub use tower_sessions::Session;

/// How many items the visitor's cart holds, found by the page middleware (page loads only).
#[derive(Debug, Clone, Copy)]
pub struct RequestCart(pub u32);

/// What every request handler and server function gets from the server process.
#[derive(Clone)]
pub struct ServerContext {
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// Set when mail goes to the local outbox folder instead of SMTP.
    pub outbox_dir: Option<PathBuf>,
    /// The catalog in memory (reloaded whenever it changes).
    pub catalog: gd_catalog::Cache,
    /// Where files go (a local folder, or S3).
    pub storage: Arc<dyn gd_storage::ObjectStore>,
    /// Whether an Instagram handle is a professional account (or a labelled local answer).
    pub instagram: Arc<dyn gd_instagram::AccountCheck>,
    /// Checkout sessions: Stripe, or the built-in test gateway.
    pub gateway: gd_payments::Gateway,
    /// Confirms a buyer's EU VAT id before a sale without VAT: VIES, or the demo register.
    pub vat_register: Arc<dyn gd_vies::VatRegister>,
}

/// Why the platform refused or failed a request. Refusals carry their meaning; the rest is
/// an internal failure the caller logs and hides.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("nobody is signed in")]
    Unauthorized,
    #[error("the signed-in user lacks the role")]
    Forbidden,
    /// An admin or finance account that has not set up two-factor sign-in yet.
    #[error("two-factor sign-in must be set up first")]
    SecondFactorRequired,
    /// A sensitive change needs a proof of identity from the last [`REAUTH_SECS`].
    #[error("a recent proof of identity is needed")]
    ReauthRequired,
    #[error("session store: {0}")]
    Session(#[from] tower_sessions::session::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("accounts: {0}")]
    Account(#[from] gd_accounts::AccountError),
    #[error("cart: {0}")]
    Cart(#[from] gd_cart::CartError),
    #[error("{0}")]
    Internal(&'static str),
}

/// Whether `user` may act in `role` now: [`WebError::Forbidden`] without the role,
/// [`WebError::SecondFactorRequired`] for a role that needs two-factor sign-in before it is
/// set up.
pub fn role_check(user: &User, role: Role) -> Result<(), WebError> {
    if !user.has_role(role) {
        Err(WebError::Forbidden)
    } else if role.needs_two_factor() && !user.two_factor {
        Err(WebError::SecondFactorRequired)
    } else {
        Ok(())
    }
}

/// The signed-in user (as found by [`session_user`], or by the page middleware earlier in the
/// request), or [`WebError::Unauthorized`].
pub fn require_user(user: Option<User>) -> Result<User, WebError> {
    user.ok_or(WebError::Unauthorized)
}

/// The signed-in user holding `role` (see [`role_check`]).
pub fn require_role(user: Option<User>, role: Role) -> Result<User, WebError> {
    let user = require_user(user)?;
    role_check(&user, role)?;
    Ok(user)
}

/// The signed-in user, who must have proven who they are (signed in, password or second
/// factor) within the last ten minutes: before changing the address, the second factor or a
/// sign-in method, and before granting roles.
pub async fn require_recent_auth(
    session: &Session,
    pool: &sqlx::PgPool,
    user: Option<User>,
) -> Result<User, WebError> {
    let user = require_user(user)?;
    if recently_authenticated(session, pool).await? {
        Ok(user)
    } else {
        Err(WebError::ReauthRequired)
    }
}
