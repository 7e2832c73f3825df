//! The marketing landing page and its "talk to us" lead form.

pub mod api;
mod contact_form;
mod outcome;
mod page;

pub use page::Landing;
