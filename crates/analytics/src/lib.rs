//! Social-media analytics: the accounts clients connect, the scheduled syncs that pull their
//! numbers, the daily snapshots kept in PostgreSQL, and the series the portal's charts draw.
//!
//! A network is a plugin ([`network::Network`]): it answers a sync with the account's profile,
//! its daily insights and its posts with their insights. Two implementations exist:
//! [`instagram::Instagram`] (the Instagram API with Instagram Login) and [`demo::Demo`]
//! (deterministic, realistic numbers for any handle, used whenever no Instagram app is
//! configured and always labelled "demo data"). A second network (TikTok, YouTube) is one new
//! module implementing the trait, and one more value in `social_accounts.network`.
//!
//! [`sync`] runs one account's sync (a job), [`store`] keeps accounts and snapshots, and
//! [`series`] computes in SQL what the dashboard shows. Each stored sync announces itself
//! (`NOTIFY analytics_snapshot`, [`live`]) so that open dashboards in every server process
//! update without a reload.

pub mod crypto;
pub mod demo;
pub mod export;
pub mod instagram;
pub mod live;
pub mod network;
pub mod series;
pub mod store;
pub mod sync;

pub use network::{NetworkId, Source};

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("no such account")]
    NotFound,
    /// What the caller asked makes no sense (a range backwards, a handle that is no handle);
    /// the message says what to change.
    #[error("{0}")]
    Invalid(String),
    #[error("the stored token cannot be read: {0}")]
    Token(String),
    #[error("the network answered: {0}")]
    Network(String),
    #[error("cannot enqueue the sync: {0}")]
    Enqueue(#[from] gd_jobs::EnqueueError),
    #[error("cannot send mail: {0}")]
    Mail(String),
}
