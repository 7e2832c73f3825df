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
    /// Where it stands in Lexoffice (finance's list only; empty for clients): waiting,
    /// queued, failed, pushed.
    pub sync: String,
    /// Why the last push failed.
    pub sync_error: Option<String>,
    /// Lexoffice's payment state of the voucher (balanced, openRevenue, …).
    pub payment_status: Option<String>,
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
/// address), of `kind` (`invoice`, `credit_note`, empty: both), in Lexoffice state `sync`
/// (`waiting`, `queued`, `failed`, `pushed`; empty: any). 422 for a malformed date.
#[server(prefix = "/api", endpoint = "finance_invoices")]
pub async fn finance_invoices(
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] query: String,
    #[server(default)] kind: String,
    #[server(default)] sync: String,
) -> Result<FinanceList, AppError> {
    server::finance(&from, &to, &query, &kind, &sync).await
}

/// Finance asks for invoice `invoice`'s failed Lexoffice push to be tried now; false when it
/// had not failed (or Lexoffice is not connected).
#[server(prefix = "/api", endpoint = "finance_retry_sync")]
pub async fn finance_retry_sync(#[server(default)] invoice: String) -> Result<bool, AppError> {
    server::retry_sync(&invoice).await
}

/// One month of the charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthRow {
    /// `2026-12`.
    pub month: String,
    pub revenue_net: Cents,
    pub mrr: Cents,
    pub new_subscriptions: i64,
    pub churned_subscriptions: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRow {
    pub product: String,
    pub net: Cents,
    pub quantity: i64,
}

/// One product's net revenue in each month of [`FinanceReport::months`] (a credit note
/// counts against the products of the invoice it corrects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductMonths {
    /// `None`: all other products together.
    pub product: Option<String>,
    pub net: Vec<Cents>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRow {
    pub refund: bool,
    pub gateway: String,
    pub reference: String,
    pub amount: Cents,
    pub order_id: String,
    pub order_number: i64,
    pub client: String,
    /// `2026-12-02 10:15` (UTC).
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItemRow {
    pub client: String,
    pub plan: String,
    pub amount: Cents,
    /// The payment failed (else it is still open).
    pub failed: bool,
    pub attempts: i32,
    pub since: String,
    pub order_id: String,
    pub order_number: i64,
}

/// Finance's reports: the last twelve months, revenue by product (in the period, and in
/// each of the months for the largest products and the others), payments and refunds of the
/// period, open items, and the bookkeeping sync's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinanceReport {
    pub from: String,
    pub to: String,
    pub months: Vec<MonthRow>,
    pub products: Vec<ProductRow>,
    /// The [`PRODUCT_SERIES`] products with the most revenue in the months, then the others.
    pub product_months: Vec<ProductMonths>,
    pub payments: Vec<PaymentRow>,
    pub open_items: Vec<OpenItemRow>,
    pub sync_waiting: i64,
    pub sync_failed: i64,
    pub sync_pushed: i64,
    pub lexoffice: bool,
    /// The month (1–12) the fiscal year begins in: a DATEV batch stays within one.
    pub fiscal_year_start_month: u32,
}

/// How many products the chart by product and month shows on their own.
pub const PRODUCT_SERIES: usize = 5;

/// Finance's reports for `from` … `to` (`YYYY-MM-DD`; empty: the last year up to today); the
/// months are the twelve up to `to`. 422 for a malformed date.
#[server(prefix = "/api", endpoint = "finance_overview")]
pub async fn finance_overview(
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<FinanceReport, AppError> {
    server::overview(&from, &to).await
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
            sync: String::new(),
            sync_error: None,
            payment_status: None,
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
        sync: &str,
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
            sync: match sync.trim() {
                "waiting" | "queued" | "failed" | "pushed" => Some(sync.trim().to_owned()),
                _ => None,
            },
            ..Default::default()
        };
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let (rows, totals) = gd_invoices::store::list(&mut conn, &filter, FINANCE_LIST_MAX)
            .await
            .map_err(AppError::internal)?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let states = gd_invoices::finance::sync_states(&mut conn, &ids)
            .await
            .map_err(AppError::internal)?;
        let truncated = totals.matched > rows.len() as i64;
        let rows = rows
            .into_iter()
            .map(|l| {
                let state = states.iter().find(|s| s.invoice_id == l.id);
                let mut r = row(l);
                if let Some(s) = state {
                    r.sync = s.state.clone();
                    r.sync_error = s.last_error.clone();
                    r.payment_status = s.payment_status.clone();
                }
                r
            })
            .collect();
        Ok(FinanceList {
            truncated,
            net: Cents(totals.net),
            vat: Cents(totals.vat),
            total: Cents(totals.total),
            rows,
            lexoffice: ctx.config.lexoffice_api_key.is_some(),
        })
    }

    pub async fn retry_sync(invoice: &str) -> Result<bool, AppError> {
        let user = require_any_role(DESK).await?;
        let id = Uuid::parse_str(invoice.trim()).map_err(|_| AppError::NotFound)?;
        let ctx = server_context()?;
        if ctx.config.lexoffice_api_key.is_none() {
            return Ok(false);
        }
        let mut tx = ctx.pool.begin().await.map_err(AppError::internal)?;
        let retried = gd_invoices::sync::retry_now(&mut tx, id)
            .await
            .map_err(AppError::internal)?;
        if retried {
            gd_accounts::record(
                &mut tx,
                &gd_accounts::AuditEvent::new("invoice.sync_retried")
                    .actor(Some(user.id))
                    .subject(id),
            )
            .await
            .map_err(AppError::internal)?;
        }
        tx.commit().await.map_err(AppError::internal)?;
        Ok(retried)
    }

    pub async fn overview(from: &str, to: &str) -> Result<FinanceReport, AppError> {
        require_any_role(DESK).await?;
        let today = chrono::Utc::now().date_naive();
        let from = date("from", from)?.unwrap_or_else(|| {
            today
                .checked_sub_days(chrono::Days::new(364))
                .unwrap_or(today)
        });
        let to = date("to", to)?.unwrap_or(today);
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let months = gd_invoices::finance::months(&mut conn, to, 12)
            .await
            .map_err(AppError::internal)?;
        let products = gd_invoices::finance::revenue_by_product(&mut conn, from, to)
            .await
            .map_err(AppError::internal)?;
        let product_months =
            gd_invoices::finance::revenue_by_product_and_month(&mut conn, to, 12, PRODUCT_SERIES)
                .await
                .map_err(AppError::internal)?;
        let payments = gd_invoices::finance::payments(&mut conn, Some(from), Some(to), 200)
            .await
            .map_err(AppError::internal)?;
        let open = gd_invoices::finance::open_items(&mut conn)
            .await
            .map_err(AppError::internal)?;
        let sync = gd_invoices::finance::sync_counts(&mut conn)
            .await
            .map_err(AppError::internal)?;
        Ok(FinanceReport {
            from: from.to_string(),
            to: to.to_string(),
            months: months
                .into_iter()
                .map(|m| MonthRow {
                    month: m.month.format("%Y-%m").to_string(),
                    revenue_net: Cents(m.revenue_net),
                    mrr: Cents(m.mrr),
                    new_subscriptions: m.new_subscriptions,
                    churned_subscriptions: m.churned_subscriptions,
                })
                .collect(),
            products: products
                .into_iter()
                .map(|p| ProductRow {
                    product: p.product,
                    net: Cents(p.net),
                    quantity: p.quantity,
                })
                .collect(),
            product_months: product_months
                .into_iter()
                .map(|s| ProductMonths {
                    product: s.product,
                    net: s.net.into_iter().map(Cents).collect(),
                })
                .collect(),
            payments: payments
                .into_iter()
                .map(|p| PaymentRow {
                    refund: p.kind == "refund",
                    gateway: p.gateway,
                    reference: p.gateway_ref,
                    amount: Cents(p.amount),
                    order_id: p.order_id.to_string(),
                    order_number: p.order_number,
                    client: p.client,
                    at: p.created_at.format("%Y-%m-%d %H:%M").to_string(),
                })
                .collect(),
            open_items: open
                .into_iter()
                .map(|o| OpenItemRow {
                    client: o.client,
                    plan: o.plan,
                    amount: Cents(o.amount),
                    failed: o.status == "failed",
                    attempts: o.attempts,
                    since: o.since.format("%Y-%m-%d").to_string(),
                    order_id: o.order_id.to_string(),
                    order_number: o.order_number,
                })
                .collect(),
            sync_waiting: sync.waiting + sync.queued,
            sync_failed: sync.failed,
            sync_pushed: sync.pushed,
            lexoffice: ctx.config.lexoffice_api_key.is_some(),
            fiscal_year_start_month: ctx.config.datev.fiscal_year_start_month,
        })
    }
}
