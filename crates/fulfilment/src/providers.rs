//! The provider plugin: what fulfilment asks of a provider, and which module speaks to which
//! kind. A new provider protocol is one new module implementing [`Provider`] plus one arm in
//! [`connect`] (and its kind in the `fulfilment_providers.kind` check).
//!
//! The vocabulary is the SMM panel API v2's ([`crate::smm_panel`]): it is what the market's
//! providers speak, so another protocol maps its answers into these types.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use crate::smm_panel::{AddOrder, Balance, DripFeed, OrderState, Service, Status};
use crate::smm_panel::{Panel, PanelError};

/// Why a provider call did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider said no; nothing happened there.
    #[error("the provider refused: {0}")]
    Refused(String),
    /// The request never reached the provider; nothing happened there.
    #[error("the provider could not be reached: {0}")]
    NotSent(String),
    /// The request may have reached the provider, but no usable answer came back: whether it
    /// acted is unknown.
    #[error("no usable answer from the provider: {0}")]
    Uncertain(String),
}

pub type ProviderFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// One answer per provider order asked about: its state, or why the provider could not say.
pub type Progress = Vec<(String, Result<OrderState, String>)>;

/// A provider of services, as fulfilment uses it.
pub trait Provider: Send + Sync {
    /// The services it offers now, with their rates.
    fn services(&self) -> ProviderFuture<'_, Vec<Service>>;
    /// The money left on the account.
    fn balance(&self) -> ProviderFuture<'_, Balance>;
    /// Places an order; its id at the provider.
    fn submit<'a>(&'a self, order: &'a AddOrder) -> ProviderFuture<'a, String>;
    /// Where its orders `refs` stand (at most [`Provider::batch_size`] at once).
    fn progress<'a>(&'a self, refs: &'a [String]) -> ProviderFuture<'a, Progress>;
    /// Asks for a refill of order `reference`; the refill's id.
    fn refill<'a>(&'a self, reference: &'a str) -> ProviderFuture<'a, String>;
    /// Where refill `refill` stands, in the provider's words.
    fn refill_status<'a>(&'a self, refill: &'a str) -> ProviderFuture<'a, String>;
    /// How many orders one [`Provider::progress`] call may ask about.
    fn batch_size(&self) -> usize;
}

/// The provider kinds this build speaks.
pub const KINDS: [&str; 1] = ["smm_panel_v2"];

/// How long one provider call may take before it counts as unanswered.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP client of provider calls: one per process, so its connections are reused.
pub fn http() -> &'static reqwest::Client {
    static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    HTTP.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default()
    })
}

/// The module that speaks `kind`, talking to `url` with `key`; `None` for a kind this build
/// does not know.
pub fn connect(
    kind: &str,
    http: &reqwest::Client,
    url: &str,
    key: &str,
) -> Option<Box<dyn Provider>> {
    match kind {
        "smm_panel_v2" => Some(Box::new(Panel::new(http.clone(), url, key))),
        _ => None,
    }
}

impl From<PanelError> for ProviderError {
    fn from(e: PanelError) -> Self {
        match e {
            PanelError::Refused(msg) => ProviderError::Refused(msg),
            PanelError::Unreachable(msg) => ProviderError::NotSent(msg),
            e @ (PanelError::NoAnswer(_) | PanelError::Http { .. } | PanelError::Unreadable(_)) => {
                ProviderError::Uncertain(e.to_string())
            }
        }
    }
}

impl Provider for Panel {
    fn services(&self) -> ProviderFuture<'_, Vec<Service>> {
        Box::pin(async move { Ok(Panel::services(self).await?) })
    }

    fn balance(&self) -> ProviderFuture<'_, Balance> {
        Box::pin(async move { Ok(Panel::balance(self).await?) })
    }

    fn submit<'a>(&'a self, order: &'a AddOrder) -> ProviderFuture<'a, String> {
        Box::pin(async move { Ok(self.add(order).await?) })
    }

    fn progress<'a>(&'a self, refs: &'a [String]) -> ProviderFuture<'a, Progress> {
        Box::pin(async move { Ok(self.statuses(refs).await?) })
    }

    fn refill<'a>(&'a self, reference: &'a str) -> ProviderFuture<'a, String> {
        Box::pin(async move { Ok(Panel::refill(self, reference).await?) })
    }

    fn refill_status<'a>(&'a self, refill: &'a str) -> ProviderFuture<'a, String> {
        Box::pin(async move { Ok(Panel::refill_status(self, refill).await?) })
    }

    fn batch_size(&self) -> usize {
        crate::smm_panel::MAX_BATCH
    }
}
