//! The admin portal: people and their roles, and the audit log. Lazy routes; every server
//! function needs the `admin` role.

pub mod api;
mod pages;

pub use pages::AdminPages;
