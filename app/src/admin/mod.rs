//! The admin portal: people and their roles, the audit log, written pages and the catalog.
//! Lazy routes; every server function needs the `admin` role.

pub mod api;
mod catalog;
pub mod catalog_api;
mod pages;

pub use pages::AdminPages;
