//! The admins' order server functions: list and search, one order with its lines, payments,
//! gateway events and timeline, moving an order by hand with a reason (admins), refunds
//! (admins and finance).

use gd_pricing::{Billing, Cents, Treatment};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOrderRow {
    pub id: String,
    pub number: i64,
    pub status: String,
    pub created: String,
    pub buyer: String,
    pub email: String,
    pub total: Cents,
    pub test_gateway: bool,
}

/// Orders, newest first: `status` (a status code, or empty for all) and `query` (the
/// number, or part of the buyer's name, company or address).
#[server(prefix = "/api", endpoint = "admin_orders")]
pub async fn admin_orders(
    #[server(default)] status: String,
    #[server(default)] query: String,
) -> Result<Vec<AdminOrderRow>, AppError> {
    server::list(&status, &query).await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminLine {
    pub name: String,
    pub details: String,
    pub target: String,
    pub quantity: i32,
    pub billing: Billing,
    pub vat_rate_bp: i32,
    pub net: Cents,
    pub vat: Cents,
    pub total: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminPayment {
    pub kind: String,
    pub reference: String,
    pub amount: Cents,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminEvent {
    pub id: String,
    pub kind: String,
    pub outcome: String,
    pub at: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminTimelineEntry {
    pub at: String,
    pub from: Option<String>,
    pub to: String,
    pub source: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatCheckView {
    /// `vies` or `demo`.
    pub register: String,
    pub checked: String,
    pub request_identifier: Option<String>,
    pub registered_name: Option<String>,
}

/// One order as the admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOrderView {
    pub id: String,
    pub number: i64,
    pub status: String,
    pub created: String,
    pub email: String,
    /// Name, company, street, postal code and city, country: as the invoice will show it.
    pub address: Vec<String>,
    pub vat_id: Option<String>,
    pub treatment: Treatment,
    /// How the VAT id of a sale without VAT was confirmed: register, time (UTC), the
    /// consultation number and the name the register gave.
    pub vat_check: Option<VatCheckView>,
    pub early_start: Option<String>,
    pub subscription: bool,
    pub gateway: String,
    pub session: Option<String>,
    pub lines: Vec<AdminLine>,
    pub net: Cents,
    pub vat: Cents,
    pub total: Cents,
    pub payments: Vec<AdminPayment>,
    pub events: Vec<AdminEvent>,
    pub timeline: Vec<AdminTimelineEntry>,
    /// The statuses an admin may move this order to by hand.
    pub moves: Vec<String>,
    /// What may still be refunded through the gateway (none when nothing, or for a
    /// subscription, whose payments are refunded at the gateway's dashboard).
    pub refundable: Option<Cents>,
    /// Its delivery (with the admins' notes and proofs), oldest first.
    pub delivery: Vec<super::fulfilment_api::PartView>,
    /// What the client paid for what was not delivered (the first delivery's partial and
    /// cancelled parts), while it is more than nothing and may still be refunded.
    pub suggested_refund: Option<Cents>,
    /// Its invoices and credit notes.
    pub invoices: Vec<crate::invoices::api::InvoiceRow>,
}

#[server(prefix = "/api", endpoint = "admin_order")]
pub async fn admin_order(#[server(default)] id: String) -> Result<AdminOrderView, AppError> {
    server::detail(&id).await
}

/// Moves order `id` to status `to` by hand with a `reason` (required): in the timeline and
/// the audit log, and the client is mailed. 422 for a move that is not allowed or a missing
/// reason.
#[server(prefix = "/api", endpoint = "admin_move_order")]
pub async fn admin_move_order(
    #[server(default)] id: String,
    #[server(default)] to: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    server::move_order(&id, &to, &reason).await
}

/// Refunds `amount` (euros as typed, e.g. `12,50`; empty for all that is left) of order
/// A message from the desk to the client of order `id` (1 to 2,000 characters): it joins
/// the order's timeline and is mailed to the client. 422 for an empty or too long message.
#[server(prefix = "/api", endpoint = "admin_message_client")]
pub async fn admin_message_client(
    #[server(default)] id: String,
    #[server(default)] message: String,
) -> Result<(), AppError> {
    server::message(&id, &message).await
}

/// `id` through the gateway, with a `reason` the client reads: the refund is recorded at
/// once (the gateway's event later finds it), the order becomes partly refunded or
/// refunded, and the client is mailed. 422 for a bad amount or a missing reason, 409 when
/// nothing can be refunded, a conflict when the gateway cannot be reached (nothing moved).
#[server(prefix = "/api", endpoint = "admin_refund_order")]
pub async fn admin_refund_order(
    #[server(default)] id: String,
    #[server(default)] amount: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    server::refund(&id, &amount, &reason).await
}

#[cfg(feature = "ssr")]
mod server {
    use gd_common::{FieldIssue, IssueCode, Role};
    use gd_orders::admin::{MoveRefused, OrderFilter};
    use gd_orders::Status;
    use uuid::Uuid;

    use super::*;
    use crate::context::{begin, commit, require_any_role, require_role, server_context};
    use crate::error::Conflict;

    const STAMP: &str = "%d.%m.%Y %H:%M UTC";

    /// Admins, and finance (who refunds), work on orders.
    const DESK: &[Role] = &[Role::Admin, Role::Finance];

    pub async fn list(status: &str, query: &str) -> Result<Vec<AdminOrderRow>, AppError> {
        require_any_role(DESK).await?;
        let ctx = server_context()?;
        let filter = OrderFilter {
            status: Status::parse(status.trim()),
            query: query.chars().take(100).collect(),
        };
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let rows = gd_orders::admin::search(&mut conn, &filter, 200)
            .await
            .map_err(AppError::internal)?;
        Ok(rows
            .into_iter()
            .map(|r| AdminOrderRow {
                id: r.id.to_string(),
                number: r.number,
                status: r.status.as_str().to_owned(),
                created: r.created_at.format(STAMP).to_string(),
                buyer: r.buyer_name,
                email: r.email,
                total: r.total,
                test_gateway: r.gateway == "test",
            })
            .collect())
    }

    pub async fn detail(id: &str) -> Result<AdminOrderView, AppError> {
        require_any_role(DESK).await?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let o = gd_orders::load(&mut conn, id)
            .await
            .map_err(AppError::internal)?
            .ok_or(AppError::NotFound)?;
        let payments = gd_orders::admin::payments_of(&mut conn, id)
            .await
            .map_err(AppError::internal)?;
        let events = gd_orders::admin::events_of(&mut conn, id)
            .await
            .map_err(AppError::internal)?;
        let timeline = gd_orders::timeline(&mut conn, id)
            .await
            .map_err(AppError::internal)?;
        let refundable = gd_orders::refunds::refundable(&mut conn, id)
            .await
            .map_err(AppError::internal)?
            .filter(|r| r.payment_intent.is_some() && r.left() > 0)
            .map(|r| Cents(r.left()));
        let parts = gd_fulfilment::tasks::of_order(&mut conn, id)
            .await
            .map_err(AppError::internal)?;
        let ids: Vec<Uuid> = parts.iter().map(|p| p.id).collect();
        let mut notes = gd_fulfilment::tasks::notes_of(&mut conn, &ids)
            .await
            .map_err(AppError::internal)?;
        let delivery = parts
            .into_iter()
            .map(|p| {
                let these = notes.remove(&p.id).unwrap_or_default();
                crate::admin::fulfilment_api::server::with_notes(p, these)
            })
            .collect();
        let suggested_refund = if o.status == Status::PartlyFulfilled {
            let summary = gd_fulfilment::summary(&mut conn, id, None)
                .await
                .map_err(AppError::internal)?;
            refundable
                .map(|left| Cents(summary.suggested_refund.min(left.0)))
                .filter(|c| c.0 > 0)
        } else {
            None
        };
        let invoices = gd_invoices::store::list(
            &mut conn,
            &gd_invoices::store::Filter {
                order: Some(id),
                ..Default::default()
            },
            100,
        )
        .await
        .map_err(AppError::internal)?
        .0
        .into_iter()
        .map(crate::invoices::api::server::row)
        .collect();
        let vat_check = gd_orders::vat_check(&mut conn, id)
            .await
            .map_err(AppError::internal)?
            .map(|c| VatCheckView {
                register: c.register,
                checked: c.checked_at.format(STAMP).to_string(),
                request_identifier: c.request_identifier,
                registered_name: c.registered_name,
            });
        let mut address = vec![o.buyer_name.clone()];
        address.extend(o.company.clone());
        address.push(o.street.clone());
        address.push(format!("{} {}", o.postal_code, o.city));
        address.push(o.country.clone());
        Ok(AdminOrderView {
            id: o.id.to_string(),
            number: o.number,
            status: o.status.as_str().to_owned(),
            created: o.created_at.format(STAMP).to_string(),
            email: o.email.clone(),
            address,
            vat_id: o.vat_id.clone(),
            treatment: o.treatment,
            vat_check,
            early_start: o
                .early_start_consent_at
                .map(|at| at.format(STAMP).to_string()),
            subscription: o.subscription,
            gateway: o.gateway.clone(),
            session: o.session_id.clone(),
            lines: o
                .lines
                .iter()
                .map(|l| AdminLine {
                    name: l.name.clone(),
                    details: l.description.clone(),
                    target: l.target.clone(),
                    quantity: l.quantity,
                    billing: l.period,
                    vat_rate_bp: l.vat_rate_bp,
                    net: l.net,
                    vat: l.vat,
                    total: l.total,
                })
                .collect(),
            net: o.net,
            vat: o.vat,
            total: o.total,
            payments: payments
                .into_iter()
                .map(|p| AdminPayment {
                    kind: p.kind,
                    reference: p.gateway_ref,
                    amount: p.amount,
                    at: p.created_at.format(STAMP).to_string(),
                })
                .collect(),
            events: events
                .into_iter()
                .map(|e| AdminEvent {
                    id: e.id,
                    kind: e.kind,
                    outcome: e.outcome,
                    at: e.received_at.format(STAMP).to_string(),
                    error: e.error,
                })
                .collect(),
            timeline: timeline
                .into_iter()
                .map(|t| AdminTimelineEntry {
                    at: t.at.format(STAMP).to_string(),
                    from: t.from.map(|s| s.as_str().to_owned()),
                    to: t.to.as_str().to_owned(),
                    source: t.source,
                    note: t.note,
                })
                .collect(),
            moves: Status::ALL
                .into_iter()
                .filter(|to| gd_orders::admin::may_move_by_hand(o.status, *to))
                .map(|s| s.as_str().to_owned())
                .collect(),
            refundable,
            delivery,
            suggested_refund,
            invoices,
        })
    }

    pub async fn refund(id: &str, amount: &str, reason: &str) -> Result<(), AppError> {
        let admin = require_any_role(DESK).await?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        let invalid = |field: &str, code| AppError::Validation {
            issues: vec![FieldIssue::new(field, code)],
            echo: [
                ("amount".to_owned(), amount.to_owned()),
                ("reason".to_owned(), reason.to_owned()),
            ]
            .into_iter()
            .collect(),
        };
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", IssueCode::Required));
        }
        if reason.chars().count() > 500 {
            return Err(invalid("reason", IssueCode::TooLong));
        }
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let state = gd_orders::refunds::refundable(&mut conn, id)
            .await
            .map_err(AppError::internal)?
            .ok_or(AppError::NotFound)?;
        drop(conn);
        let (Some(intent), true) = (&state.payment_intent, state.left() > 0) else {
            return Err(AppError::Conflict(Conflict::NotRefundable));
        };
        if state.gateway != ctx.gateway.kind().as_str() {
            return Err(AppError::Conflict(Conflict::NotRefundable));
        }
        let cents = if amount.trim().is_empty() {
            state.left()
        } else {
            Cents::parse_euros(amount)
                .map_err(|_| invalid("amount", IssueCode::OutOfRange))?
                .0
        };
        if cents <= 0 || cents > state.left() {
            return Err(invalid("amount", IssueCode::OutOfRange));
        }
        let refund = ctx
            .gateway
            .refund(&gd_payments::RefundRequest {
                payment_intent: intent.clone(),
                amount: cents,
                order_id: id.to_string(),
                idempotency_key: format!("refund-{id}-{}", Uuid::now_v7()),
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, order = %id, "refund failed at the gateway");
                AppError::Conflict(Conflict::PaymentUnavailable)
            })?;
        let mut tx = begin().await?;
        // The order's checkout payment (its payment intent): no invoice of a subscription.
        gd_orders::refunds::apply_refund(
            &mut tx,
            &state.gateway,
            &refund,
            None,
            Some(admin.id),
            Some(reason),
            "admin",
        )
        .await
        .map_err(AppError::internal)?;
        commit(tx).await
    }

    pub async fn message(id: &str, message: &str) -> Result<(), AppError> {
        let actor = require_any_role(DESK).await?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        let mut tx = crate::context::begin().await?;
        let entry = gd_orders::admin::message_client(&mut tx, id, actor.id, message)
            .await
            .map_err(|e| match e {
                gd_orders::OrderError::NotFound => AppError::NotFound,
                other => AppError::internal(other),
            })?;
        if entry.is_none() {
            return Err(AppError::Validation {
                issues: vec![FieldIssue::new(
                    "message",
                    if message.trim().is_empty() {
                        IssueCode::Required
                    } else {
                        IssueCode::TooLong
                    },
                )],
                echo: [("message".to_owned(), message.to_owned())]
                    .into_iter()
                    .collect(),
            });
        }
        crate::context::commit(tx).await
    }

    pub async fn move_order(id: &str, to: &str, reason: &str) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        let invalid = |field: &str, code| AppError::Validation {
            issues: vec![FieldIssue::new(field, code)],
            echo: Default::default(),
        };
        let to = Status::parse(to.trim()).ok_or_else(|| invalid("to", IssueCode::NotOffered))?;
        let mut tx = begin().await?;
        let moved = gd_orders::admin::move_by_hand(&mut tx, id, to, admin.id, reason)
            .await
            .map_err(|e| match e {
                gd_orders::OrderError::NotFound => AppError::NotFound,
                other => AppError::internal(other),
            })?;
        match moved {
            Ok(()) => commit(tx).await,
            Err(MoveRefused::NotAllowed) => Err(invalid("to", IssueCode::NotOffered)),
            Err(MoveRefused::Reason) => Err(invalid("reason", IssueCode::Required)),
        }
    }
}
