//! Payments: talking to Stripe, and the built-in test gateway that stands in for it.
//!
//! - [`signature`]: Stripe's webhook signature (`Stripe-Signature`), checked over the raw bytes
//!   and made the same way by the test gateway and the tests.
//! - [`event`]: the events and checkout sessions as they arrive, read with our own tolerant
//!   types (only the fields we use; an unknown type or shape is stored, never a crash).
//! - [`Gateway`]: creates and reads checkout sessions through `async-stripe`. With a Stripe key
//!   it talks to Stripe; without one, the same code talks to the test gateway built into our
//!   server ([`test_gateway`]), which speaks the part of Stripe's API we use, keeps its
//!   sessions in PostgreSQL and posts Stripe-shaped, Stripe-signed events to our webhook.
//!   Subscriptions, invoices, prices, billing portal sessions and refunds go through the same
//!   client, read with our own types (see [`event`] and [`Refund`]).
//!
//! Knows nothing of Leptos, axum or apalis.

pub mod event;
mod gateway;
mod refund;
pub mod signature;
pub mod test_gateway;

pub use event::{
    Event, Invoice, InvoiceStatus, PaymentStatus, Session, SessionMode, SessionStatus,
    Subscription, SubscriptionItem, SubscriptionStatus,
};
pub use gateway::{
    Gateway, GatewayError, GatewayKind, Interval, PriceRequest, SessionLine, SessionRequest,
    SubscriptionChange,
};
pub use refund::{Refund, RefundRequest};
