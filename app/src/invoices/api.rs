//! Invoice server functions: a client's own invoices, and finance's list (filtered by
//! period, client, kind) with what the bookkeeping sync knows.

use gd_pricing::Cents;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// An invoice or credit note in a list, with its downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub id: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub number: String,
    /// A credit note's invoice.
    pub corrects: Option<String>,
    pub order_id: String,
    pub order_number: i64,
    pub buyer: String,
    pub email: String,
    /// ISO date (`2026-12-02`).
    pub issued_on: String,
    /// standard, reverse_charge, small_business.
    pub treatment: String,
    pub net: Cents,
    pub vat: Cents,
    pub total: Cents,
    pub pdf_url: String,
    pub xml_url: String,
    /// Whether the PDF is rendered already (it is made on the first download otherwise).
    pub ready: bool,
    /// Whether the PDF carries the e-invoice (business buyers).
    pub e_invoice: bool,
}

/// The signed-in client's invoices and credit notes, newest first; of one order when
/// `order` is given.
#[server(prefix = "/api", endpoint = "my_invoices")]
pub async fn my_invoices(#[server(default)] order: String) -> Result<Vec<InvoiceRow>, AppError> {
    server::mine(&order).await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinanceList {
    pub rows: Vec<InvoiceRow>,
    /// Invoices less credit notes, of everything that matched (also beyond the rows shown).
    pub net: Cents,
    pub vat: Cents,
    pub total: Cents,
    /// More matched than the list shows.
    pub truncated: bool,
    /// Whether a Lexoffice API key is configured.
    pub lexoffice: bool,
}

/// Invoices and credit notes for finance (admins may look): issued `from` … `to`
/// (`YYYY-MM-DD`, empty: open), matching `query` (number, order number, name, company,
/// address), of `kind` (`invoice`, `credit_note`, empty: both). 422 for a malformed date.
#[server(prefix = "/api", endpoint = "finance_invoices")]
pub async fn finance_invoices(
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] query: String,
    #[server(default)] kind: String,
) -> Result<FinanceList, AppError> {
    server::finance(&from, &to, &query, &kind).await
}

/// The most rows the finance list shows.
pub const FINANCE_LIST_MAX: i64 = 500;

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use chrono::NaiveDate;
    use gd_common::{FieldIssue, IssueCode, Role};
    use gd_invoices::store::{Filter, Listed};
    use uuid::Uuid;

    use super::*;
    use crate::context::{require_any_role, require_user, server_context};

    /// Finance, and admins who may look.
    pub const DESK: &[Role] = &[Role::Finance, Role::Admin];

    pub(crate) fn row(l: Listed) -> InvoiceRow {
        InvoiceRow {
            id: l.id.to_string(),
            pdf_url: format!("/documents/invoices/{}/pdf", l.id),
            xml_url: format!("/documents/invoices/{}/xml", l.id),
            kind: l.kind,
            number: l.number,
            corrects: l.corrects_number,
            order_id: l.order_id.to_string(),
            order_number: l.order_number,
            buyer: l.buyer,
            email: l.email,
            issued_on: l.issued_on.to_string(),
            e_invoice: l.has_xml,
            treatment: l.treatment,
            net: Cents(l.net),
            vat: Cents(l.vat),
            total: Cents(l.total),
            ready: l.has_pdf,
        }
    }

    pub async fn mine(order: &str) -> Result<Vec<InvoiceRow>, AppError> {
        let user = require_user().await?;
        let order = match order.trim() {
            "" => None,
            id => Some(Uuid::parse_str(id).map_err(|_| AppError::NotFound)?),
        };
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let filter = Filter {
            user: Some(user.id),
            order,
            ..Default::default()
        };
        let (rows, _) = gd_invoices::store::list(&mut conn, &filter, 500)
            .await
            .map_err(AppError::internal)?;
        Ok(rows.into_iter().map(row).collect())
    }

    fn date(field: &str, value: &str) -> Result<Option<NaiveDate>, AppError> {
        match value.trim() {
            "" => Ok(None),
            v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::Validation {
                    issues: vec![FieldIssue::new(field, IssueCode::InvalidNumber)],
                    echo: Default::default(),
                }),
        }
    }

    pub async fn finance(
        from: &str,
        to: &str,
        query: &str,
        kind: &str,
    ) -> Result<FinanceList, AppError> {
        require_any_role(DESK).await?;
        let filter = Filter {
            from: date("from", from)?,
            to: date("to", to)?,
            query: Some(query.chars().take(100).collect::<String>())
                .filter(|q| !q.trim().is_empty()),
            kind: match kind.trim() {
                "invoice" | "credit_note" => Some(kind.trim().to_owned()),
                _ => None,
            },
            ..Default::default()
        };
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let (rows, totals) = gd_invoices::store::list(&mut conn, &filter, FINANCE_LIST_MAX)
            .await
            .map_err(AppError::internal)?;
        Ok(FinanceList {
            truncated: totals.matched > rows.len() as i64,
            net: Cents(totals.net),
            vat: Cents(totals.vat),
            total: Cents(totals.total),
            rows: rows.into_iter().map(row).collect(),
            lexoffice: ctx.config.lexoffice_api_key.is_some(),
        })
    }
}
