//! Invoices in the portals: a client's own (on the order page and in the portal's list) and
//! finance's view of all of them (`/finance`), with their PDF and e-invoice downloads.

pub mod api;
pub(crate) mod page;
