//! Orders: what a client bought and where it stands.
//!
//! An order is created when a checkout starts ([`create`], status "pending payment") with a
//! frozen copy of its lines ([`freeze_lines`]: names, configuration, net, VAT and gross) and
//! the buyer's billing details ([`parse_billing`]), so that later catalog changes never touch
//! it and an invoice has everything it needs. The payment gateway's events move it forward
//! exactly once ([`settle`]); its [`Status`] only moves forward, and every move is in its
//! timeline. The paid transition queues the [`OrderConfirmation`] mail and
//! [`StartFulfilment`]. A checkout in
//! subscription mode starts a subscription at the gateway, mirrored by [`subscriptions`]
//! with one row per billing period; its recurring plans are prices at the gateway
//! ([`price_key`]).
//!
//! Knows nothing of Leptos, axum or apalis; every function that writes takes the caller's
//! connection, so the caller owns the transaction.

pub mod admin;
mod billing;
#[cfg(feature = "fixtures")]
pub mod fixtures;
mod mails;
mod prices;
pub mod refunds;
pub mod settle;
mod status;
mod store;
pub mod subscriptions;

pub use billing::{
    parse_billing, preview_treatment, record_vat_check, vat_check, Billing, BillingInput, VatCheck,
    COUNTRIES, SELLER_COUNTRY,
};
pub use mails::{
    confirmation_mail, deliver_confirmation, deliver_notice, deliver_update, status_words,
    ConfirmationError, OrderConfirmation, OrderUpdate,
};
pub use prices::{known_price, price_key, remember_price};
pub use settle::{apply_session, Applied, Report};
pub use status::Status;
pub use store::{
    attach_session, by_session, create, freeze_lines, last_billing, list_for_user, load, timeline,
    Created, NewLine, NewOrder, Order, OrderLine, OrderListItem, TimelineEntry,
};
pub use subscriptions::{NoticeKind, SubscriptionNotice};

/// A paid order (`period_id` None) or a paid subscription renewal (the period) is to be
/// delivered: `gd_fulfilment::plan` turns its lines into fulfilments. Enqueued by the
/// transition that recorded the money, so once per payment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StartFulfilment {
    pub order_id: uuid::Uuid,
    pub period_id: Option<uuid::Uuid>,
}

impl gd_jobs::Job for StartFulfilment {
    const QUEUE: &'static str = "growthdesk::start_fulfilment";
}

/// A paid order (`period_id` None) or a paid subscription renewal is to be invoiced
/// (`gd_invoices` issues it). Enqueued with the payment, like [`StartFulfilment`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IssueInvoice {
    pub order_id: uuid::Uuid,
    pub period_id: Option<uuid::Uuid>,
}

impl gd_jobs::Job for IssueInvoice {
    const QUEUE: &'static str = "growthdesk::issue_invoice";
}

/// Refund `payment_id` (a `payments` row) gets its credit note (`gd_invoices`), correcting
/// the invoice of the payment it sends back, with the reason the client reads.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IssueCreditNote {
    pub payment_id: uuid::Uuid,
    pub reason: Option<String>,
}

impl gd_jobs::Job for IssueCreditNote {
    const QUEUE: &'static str = "growthdesk::issue_credit_note";
}

/// What can go wrong with orders beyond a database error.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("the cart is empty")]
    EmptyCart,
    /// A line is no longer sold: the buyer removes it first.
    #[error("a line of the cart is no longer available")]
    Unavailable,
    /// Monthly and yearly plans cannot share one subscription.
    #[error("monthly and yearly plans must be bought separately")]
    MixedIntervals,
    #[error("no such order")]
    NotFound,
    #[error("invalid stored order: {0}")]
    Invalid(String),
    /// A refund of a payment we have not recorded yet (its events crossed): the gateway
    /// delivers it again.
    #[error("the payment of invoice {0} is refunded but not recorded yet")]
    PaymentNotRecorded(String),
    #[error(transparent)]
    Enqueue(#[from] gd_jobs::EnqueueError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}
