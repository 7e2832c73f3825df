//! The local mail outbox: when no SMTP server is configured, mail is written to a folder and
//! this page lists it, so a developer can read what customers would have received.

pub mod api;
mod page;

pub use page::OutboxPage;
