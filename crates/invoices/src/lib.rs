//! Invoices we issue ourselves, German-compliant: an invoice for each paid order and each
//! paid subscription renewal, a correcting invoice (credit note) for each refund.
//!
//! - [`issue`]: the documents, final from the start, numbered gaplessly per series
//!   ([`number`]) inside the transaction that writes them; the database refuses any change.
//! - [`document`]: what an invoice holds (every field § 14 (4) UStG asks for).
//! - [`cii`]: the EN 16931 e-invoice (UN/CEFACT Cross Industry Invoice XML).
//! - [`pdf`]: the printable document; for business buyers a Factur-X PDF/A-3 with the XML
//!   inside.
//! - [`store`]: reading invoices back, their files, the lists for clients and finance.
//! - [`lexoffice`]: the bookkeeping's API (contacts, vouchers, files, payments).
//! - [`sync`]: every invoice pushed to Lexoffice with its PDF, payments read back.
//!
//! Jobs: `gd_orders::IssueInvoice` (enqueued with the payment), `gd_orders::IssueCreditNote`
//! (with the refund), [`RenderInvoice`] (enqueued with each document), [`sync::SyncInvoice`]
//! (enqueued by the worker's schedule).

pub mod cii;
pub mod digest;
pub mod document;
pub mod export;
pub mod finance;
#[doc(hidden)]
pub mod fixtures;
pub mod issue;
pub mod lexoffice;
pub mod number;
pub mod pdf;
pub mod render;
pub mod store;
pub mod sync;

pub use document::{Invoice, Kind};
pub use issue::{Issued, Settings};

use gd_pricing::VatRate;

#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    #[error("no such invoice")]
    NotFound,
    #[error("invalid stored invoice: {0}")]
    Invalid(String),
    #[error("rendering: {0}")]
    Render(String),
    #[error("storage: {0}")]
    Storage(String),
    #[error("mail: {0}")]
    Mail(String),
    /// A DATEV export's period runs into the next fiscal year, which begins on `boundary`
    /// (its bookings carry day and month only, so one batch holds one fiscal year).
    #[error("the period crosses into the fiscal year beginning {boundary}")]
    CrossesFiscalYear { boundary: chrono::NaiveDate },
    /// A DATEV booking at a VAT rate that has no revenue account (only 19 % and 7 % do under
    /// standard taxation).
    #[error("{number}: no revenue account for VAT at {rate_bp} basis points")]
    NoRevenueAccount { number: String, rate_bp: i32 },
    #[error(transparent)]
    Order(#[from] gd_orders::OrderError),
    #[error(transparent)]
    Enqueue(#[from] gd_jobs::EnqueueError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Invoice `invoice_id`'s PDF (and for a business buyer its XML) are rendered and stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RenderInvoice {
    pub invoice_id: uuid::Uuid,
}

impl gd_jobs::Job for RenderInvoice {
    const QUEUE: &'static str = "growthdesk::render_invoice";
}

/// A rate in basis points as a [`VatRate`] (rates are checked when lines are frozen; an
/// impossible one reads as 0).
pub(crate) fn vat_rate(bp: i32) -> VatRate {
    u16::try_from(bp)
        .ok()
        .and_then(VatRate::from_basis_points)
        .unwrap_or(VatRate::ZERO)
}

/// "19 %" (German: "5,5 %").
pub fn percent(bp: i32, de: bool) -> String {
    vat_rate(bp).percent(de)
}
