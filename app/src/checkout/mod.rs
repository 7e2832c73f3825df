//! Checkout and the client's orders: billing details and consents, the order summary priced
//! for who buys, the payment page (Stripe's, or the built-in test gateway's), and the
//! client's order list and order page, which follows a payment that is still arriving; the
//! client portal's dashboard and subscriptions.

pub mod api;
pub(crate) mod page;
pub(crate) mod portal;
pub mod subscriptions;
