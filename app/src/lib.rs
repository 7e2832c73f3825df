//! Growthdesk's user interface: every page, component and server function.
//!
//! Built twice: with `ssr` into the server (rendering HTML and running server functions) and
//! with `hydrate` into the WASM bundle (making the server's HTML interactive). Server-only code
//! sits behind `#[cfg(feature = "ssr")]` and never reaches the browser.
//!
//! One folder per area: `landing` (marketing page and lead form), `outbox` (local mail outbox),
//! `shell` (document, layout, errors), `shop` (catalog and product pages), `ui` (the form and data-region components every area
//! shares).

// The admin order page's view type (order, lines, invoices, refunds, mails, each a table) is
// deeper than the compiler's default query depth when the release WASM build computes its
// layout (the debug builds never do).
#![recursion_limit = "256"]

pub mod access;
pub mod admin;
pub mod analytics;
pub mod auth;
pub mod cart;
pub mod checkout;
pub mod content;
pub mod error;
pub mod i18n;
pub mod invoices;
pub mod landing;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod outbox;
pub mod shell;
pub mod shop;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod context;

pub use shell::{html_document, App};
