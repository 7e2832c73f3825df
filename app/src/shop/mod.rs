//! The storefront: the catalog with categories and search, and each product's page with its
//! configurator and live price (the pricing crate, the same code the server prices with).
//! Islands pages: the server renders them, the configurator hydrates.

pub mod api;
mod pages;
pub(crate) mod texts;

pub use pages::storefront_page;
pub use texts::{amount, money, texts};
