//! The admin portal: people and their roles, the audit log, written pages, the catalog and
//! the orders.
//! Lazy routes; every server function needs the `admin` role.

pub mod api;
mod catalog;
pub mod catalog_api;
mod orders;
pub mod orders_api;
mod pages;

pub use pages::AdminPages;
