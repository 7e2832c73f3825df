//! The storefront: the catalog with categories and search, and each product's page with its
//! configurator and live price (the pricing crate, the same code the server prices with).
//! Both are one lazy route; moving between them happens in the browser.

pub mod api;
mod pages;
pub(crate) mod texts;

pub use pages::ShopPages;
pub use texts::{amount, money, texts};
