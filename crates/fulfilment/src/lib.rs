//! Fulfilment: what happens to a paid line until it is delivered.
//!
//! A paid order (or a paid subscription renewal) is [`plan`]ned into fulfilments: one per
//! line, one per item of a bundle. A product with a route to a provider's service is sent to
//! that provider by the [`SubmitFulfilment`] job ([`submit`]) and followed by the worker's
//! schedule ([`poll`], in batches); a product without one becomes a task in the admin portal
//! ([`tasks`]: claim, notes and proofs, complete). The margin guard holds a line whose
//! provider price exceeds what the client paid, for an admin to decide. The order follows its
//! fulfilments ([`follow`]): in fulfilment → completed, or partly fulfilled with a suggested
//! refund. Clients ask for a [`refills`] inside the product's guarantee window.
//!
//! Providers are a plugin trait ([`providers::Provider`]); each protocol is one module
//! ([`smm_panel`]: the common SMM panel API v2).
//!
//! Sending an order to a provider is never done twice: a provider's API has no idempotency
//! key, so the fulfilment is marked `submitting` (committed) before the request, and a
//! fulfilment found in that state again (the worker died mid-request) is held for an admin
//! instead of being sent once more.
//!
//! Knows nothing of Leptos, axum or apalis; writes take the caller's connection unless they
//! call a provider (then they commit around the call themselves).

mod follow;
mod plan;
pub mod poll;
pub mod providers;
pub mod refills;
pub mod setup;
pub mod smm_panel;
mod submit;
pub mod tasks;

pub use follow::{follow, summary, Summary};
pub use plan::{plan, Planned};
pub use poll::{poll, PollReport};
pub use submit::{submit, SubmitFulfilment, Submitted};

/// Everything that can go wrong in fulfilment beyond a refused form.
#[derive(Debug, thiserror::Error)]
pub enum FulfilmentError {
    #[error("no such fulfilment")]
    NotFound,
    /// The provider could not be asked (nothing was sent); the job tries again later.
    #[error("provider not reached: {0}")]
    Provider(String),
    /// Another run is sending this fulfilment to its provider right now.
    #[error("another run is sending it right now")]
    InFlight,
    #[error("invalid stored data: {0}")]
    Invalid(String),
    #[error(transparent)]
    Order(#[from] gd_orders::OrderError),
    #[error(transparent)]
    Enqueue(#[from] gd_jobs::EnqueueError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Euro cents for `micros` millionths of a euro, rounded up (a cost is never understated).
pub(crate) fn cents_from_micros(micros: i128) -> i64 {
    let cents = (micros + 9_999).div_euclid(10_000);
    i64::try_from(cents).unwrap_or(i64::MAX)
}

/// What `quantity` units of a service at `rate_micros` per 1,000 cost in euro cents, with the
/// provider's currency converted at `eur_per_unit_micros`.
pub fn cost_cents(rate_micros: i64, quantity: i64, eur_per_unit_micros: i64) -> i64 {
    let provider_micros = i128::from(rate_micros) * i128::from(quantity);
    // ÷ 1,000 units, × euro per unit (in millionths) ÷ 1,000,000.
    let euro_micros =
        (provider_micros * i128::from(eur_per_unit_micros) + 999_999_999).div_euclid(1_000_000_000);
    cents_from_micros(euro_micros)
}

#[cfg(test)]
mod tests {
    use super::cost_cents;

    #[test]
    fn costs_round_up_to_the_cent() {
        // 0.90 € per 1,000 × 5,000 = 4.50 €.
        assert_eq!(cost_cents(900_000, 5_000, 1_000_000), 450);
        // 0.90 per 1,000 × 1 = 0.0009 €: still a cent.
        assert_eq!(cost_cents(900_000, 1, 1_000_000), 1);
        // A dollar provider at 0.92 € per dollar: 10 $ per 1,000 × 1,000 = 9.20 €.
        assert_eq!(cost_cents(10_000_000, 1_000, 920_000), 920);
        assert_eq!(cost_cents(0, 1_000_000, 1_000_000), 0);
    }
}
