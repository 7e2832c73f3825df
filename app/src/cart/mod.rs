//! The cart: add a configured product, change quantities, remove lines, see the totals the
//! server computed (per billing period and VAT rate). Guests and signed-in users alike; a
//! guest's cart follows them into their account when they sign in.

pub mod api;
pub(crate) mod page;
