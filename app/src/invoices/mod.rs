//! Invoices in the portals: a client's own (on the order page and in the portal's list) and
//! finance's view of all of them (`/finance`), with their PDF and e-invoice downloads and
//! their state in Lexoffice, and finance's reports and exports (`/finance/reports`).

pub mod api;
pub(crate) mod page;
pub(crate) mod reports;
