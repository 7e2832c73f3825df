//! The admin portal: people and their roles, the audit log, written pages, the catalog, the
//! orders and their fulfilment (work list, providers and routes), background jobs and mail.
//! Lazy routes; every server function needs the `admin` role.

pub mod api;
mod catalog;
pub mod catalog_api;
mod fulfilment;
pub mod fulfilment_api;
mod ops;
pub mod ops_api;
mod orders;
pub mod orders_api;
mod pages;
pub(crate) use pages::admin_nav;

pub use pages::AdminPages;
