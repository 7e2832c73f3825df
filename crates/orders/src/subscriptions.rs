//! Subscriptions: our copy of what the payment gateway knows, kept current by its events.
//!
//! Every change is applied from the gateway's current objects ([`apply_subscription`],
//! [`apply_invoice`]), never from an event's old copy, inside the caller's transaction with
//! the event's record. Each billing period is one row per gateway invoice, so a duplicated,
//! reordered or concurrent delivery finds it and counts nothing twice: a renewal makes one
//! payment and one mail, a failed payment one mail per invoice, the end one mail.

use chrono::{DateTime, Utc};
use gd_accounts::AuditEvent;
use gd_payments::{Invoice, InvoiceStatus, Subscription, SubscriptionStatus};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::OrderError;

/// What applying a subscription did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionApplied {
    /// Our copy of it (new or updated).
    Applied { subscription: Uuid, order: Uuid },
    /// No order of ours started it.
    NoOrder,
}

impl SubscriptionApplied {
    pub fn order(self) -> Option<Uuid> {
        match self {
            Self::Applied { order, .. } => Some(order),
            Self::NoOrder => None,
        }
    }
}

/// Applies the gateway's current state of `sub` to our copy (creating it the first time),
/// on the caller's transaction. `source` names the cause (an event id, "client", "admin").
pub async fn apply_subscription(
    conn: &mut PgConnection,
    gateway: &str,
    sub: &Subscription,
    source: &str,
) -> Result<SubscriptionApplied, OrderError> {
    let by_metadata = sub
        .order_id
        .as_deref()
        .and_then(|o| Uuid::parse_str(o).ok());
    let order = sqlx::query!(
        r#"SELECT o.id, o.user_id, first.product_slug AS "slug?", first.tier_key AS "tier?",
               first.billing AS "billing?",
               (SELECT string_agg(l.product_name || CASE WHEN l.description = '' THEN ''
                                  ELSE ' (' || l.description || ')' END, ', ' ORDER BY l.position)
                FROM order_lines l WHERE l.order_id = o.id AND l.billing <> 'one_off') AS "plan?"
           FROM orders o
           LEFT JOIN LATERAL (
               SELECT l.product_slug, l.tier_key, l.billing FROM order_lines l
               WHERE l.order_id = o.id AND l.billing <> 'one_off' ORDER BY l.position LIMIT 1
           ) first ON true
           WHERE o.mode = 'subscription' AND o.gateway = $3
             AND (o.id = $1 OR ($1::uuid IS NULL AND o.subscription_ref = $2))
           FOR UPDATE OF o"#,
        by_metadata,
        sub.id,
        gateway
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(order) = order else {
        return Ok(SubscriptionApplied::NoOrder);
    };
    // The order's lock (taken above) orders concurrent events about its subscription: the
    // state read here is the last one committed.
    let before = sqlx::query!(
        "SELECT id, status, cancel_at_period_end FROM subscriptions
         WHERE gateway = $1 AND gateway_ref = $2 FOR UPDATE",
        gateway,
        sub.id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let interval = sub
        .interval()
        .map(str::to_owned)
        .or_else(|| {
            order.billing.as_deref().map(|b| match b {
                "yearly" => "year".to_owned(),
                _ => "month".to_owned(),
            })
        })
        .unwrap_or_else(|| "month".to_owned());
    let (start, end) = sub.period();
    let item = sub.items.first();
    let id = sqlx::query_scalar!(
        "INSERT INTO subscriptions (id, order_id, user_id, gateway, gateway_ref, customer_ref,
             status, interval, amount, item_ref, price_ref, product_slug, tier_key, plan_name,
             cancel_at_period_end, current_period_start, current_period_end, canceled_at, ended_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $19, $14,
                 to_timestamp($15::bigint), to_timestamp($16::bigint),
                 to_timestamp($17::bigint), to_timestamp($18::bigint))
         ON CONFLICT (gateway, gateway_ref) DO UPDATE SET
             customer_ref = EXCLUDED.customer_ref, status = EXCLUDED.status,
             interval = EXCLUDED.interval, amount = EXCLUDED.amount,
             item_ref = EXCLUDED.item_ref, price_ref = EXCLUDED.price_ref,
             cancel_at_period_end = EXCLUDED.cancel_at_period_end,
             current_period_start = EXCLUDED.current_period_start,
             current_period_end = EXCLUDED.current_period_end,
             canceled_at = EXCLUDED.canceled_at, ended_at = EXCLUDED.ended_at,
             updated_at = now()
         RETURNING id",
        before.as_ref().map_or_else(Uuid::now_v7, |b| b.id),
        order.id,
        order.user_id,
        gateway,
        sub.id,
        sub.customer,
        sub.status.as_str(),
        interval,
        sub.amount(),
        item.map(|i| i.id.as_str()),
        item.map(|i| i.price.as_str()),
        order.slug,
        order.tier,
        sub.cancel_at_period_end,
        start,
        end,
        sub.canceled_at,
        sub.ended_at,
        order.plan.unwrap_or_default(),
    )
    .fetch_one(&mut *conn)
    .await?;
    // The order learns its subscription (an event may come before the checkout's).
    sqlx::query!(
        "UPDATE orders SET subscription_ref = $2, customer_ref = coalesce(customer_ref, $3)
         WHERE id = $1 AND subscription_ref IS DISTINCT FROM $2",
        order.id,
        sub.id,
        sub.customer
    )
    .execute(&mut *conn)
    .await?;
    let was = before
        .as_ref()
        .and_then(|b| SubscriptionStatus::parse(&b.status));
    let details = serde_json::json!({ "status": sub.status.as_str(), "source": source });
    let audit = |action| AuditEvent::new(action).subject(id).details(details.clone());
    if was.is_none() {
        gd_accounts::record(conn, &audit("subscription.started")).await?;
    }
    // An end (or a cancellation at the period's end) returns nothing that was paid, so it
    // corrects no invoice; money that goes back is a refund (`charge.refunded`, see
    // `crate::refunds`), and that gets its credit note.
    if sub.status.is_final() && !was.is_some_and(SubscriptionStatus::is_final) {
        let notice = SubscriptionNotice {
            subscription_id: id,
            period_id: None,
            kind: NoticeKind::Ended,
        };
        tell(conn, "subscription.ended", &notice, details.clone()).await?;
    } else if let Some(before) = &before {
        if before.cancel_at_period_end != sub.cancel_at_period_end {
            let action = if sub.cancel_at_period_end {
                "subscription.cancel_scheduled"
            } else {
                "subscription.resumed"
            };
            gd_accounts::record(conn, &audit(action)).await?;
        }
        if was != Some(sub.status) {
            gd_accounts::record(conn, &audit("subscription.status")).await?;
        }
    }
    Ok(SubscriptionApplied::Applied {
        subscription: id,
        order: order.id,
    })
}

/// Why an invoice was made.
fn reason(invoice: &Invoice) -> &'static str {
    match invoice.billing_reason.as_deref() {
        Some("subscription_create") => "first",
        Some("subscription_cycle") => "renewal",
        Some("subscription_update") => "change",
        _ => "other",
    }
}

fn period_status(invoice: &Invoice) -> &'static str {
    match invoice.status {
        InvoiceStatus::Paid => "paid",
        InvoiceStatus::Open if invoice.attempt_count > 0 => "failed",
        InvoiceStatus::Open | InvoiceStatus::Draft => "open",
        InvoiceStatus::Uncollectible => "failed",
        InvoiceStatus::Void => "void",
    }
}

/// What applying an invoice did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceApplied {
    /// A renewal was paid now: its payment is recorded and the client mailed.
    RenewalPaid(Uuid),
    /// A payment failed now: the client is mailed (once per invoice).
    PaymentFailed(Uuid),
    /// Recorded; nothing new happened.
    Recorded(Uuid),
}

/// Applies the gateway's current state of `invoice` to a period of our subscription
/// `subscription` (see [`apply_subscription`], applied first), on the caller's transaction.
pub async fn apply_invoice(
    conn: &mut PgConnection,
    gateway: &str,
    subscription: Uuid,
    invoice: &Invoice,
    source: &str,
) -> Result<InvoiceApplied, OrderError> {
    let sub = sqlx::query!(
        "SELECT order_id FROM subscriptions WHERE id = $1 FOR UPDATE",
        subscription
    )
    .fetch_one(&mut *conn)
    .await?;
    let before = sqlx::query!(
        "SELECT id, status FROM subscription_periods
         WHERE gateway = $1 AND invoice_ref = $2 FOR UPDATE",
        gateway,
        invoice.id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let status = period_status(invoice);
    let reason = reason(invoice);
    let id = before.as_ref().map_or_else(Uuid::now_v7, |b| b.id);
    sqlx::query!(
        "INSERT INTO subscription_periods (id, subscription_id, gateway, invoice_ref, reason,
             period_start, period_end, amount, status, attempts, paid_at, failed_at)
         VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint), to_timestamp($7::bigint), $8, $9,
                 $10, CASE WHEN $9 = 'paid' THEN now() END, CASE WHEN $9 = 'failed' THEN now() END)
         ON CONFLICT (gateway, invoice_ref) DO UPDATE SET
             -- Paid and void are final: a state read earlier and applied later (two
             -- deliveries at once) never takes them back.
             status = CASE WHEN subscription_periods.status IN ('paid', 'void')
                           THEN subscription_periods.status ELSE EXCLUDED.status END,
             amount = EXCLUDED.amount,
             attempts = greatest(subscription_periods.attempts, EXCLUDED.attempts),
             period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end,
             paid_at = coalesce(subscription_periods.paid_at, EXCLUDED.paid_at),
             failed_at = coalesce(EXCLUDED.failed_at, subscription_periods.failed_at),
             updated_at = now()",
        id,
        subscription,
        gateway,
        invoice.id,
        reason,
        invoice.period_start,
        invoice.period_end,
        invoice.amount_due,
        status,
        i32::try_from(invoice.attempt_count).unwrap_or(i32::MAX),
    )
    .execute(&mut *conn)
    .await?;
    let was = before.map(|b| b.status);
    let details = serde_json::json!({
        "invoice": invoice.id, "amount": invoice.amount_due, "source": source
    });
    if status == "paid" && was.as_deref() != Some("paid") {
        // The first period's money is the checkout's payment (recorded with the order).
        if reason != "first" && invoice.amount_paid > 0 {
            // With its period, so that a refund of it corrects the period's invoice.
            sqlx::query!(
                "INSERT INTO payments (id, order_id, kind, gateway, gateway_ref, amount, period_id)
                 VALUES ($1, $2, 'payment', $3, $4, $5, $6)
                 ON CONFLICT (gateway, kind, gateway_ref) DO NOTHING",
                Uuid::now_v7(),
                sub.order_id,
                gateway,
                invoice.id,
                invoice.amount_paid,
                id
            )
            .execute(&mut *conn)
            .await?;
        }
        if reason == "first" {
            return Ok(InvoiceApplied::Recorded(id));
        }
        let notice = SubscriptionNotice {
            subscription_id: subscription,
            period_id: Some(id),
            kind: NoticeKind::Renewed,
        };
        tell(conn, "subscription.renewal_paid", &notice, details).await?;
        // The renewal's money starts the next cycle of the plan's delivery, and is invoiced.
        gd_jobs::enqueue(
            &mut *conn,
            &crate::StartFulfilment {
                order_id: sub.order_id,
                period_id: Some(id),
            },
        )
        .await?;
        gd_jobs::enqueue(
            &mut *conn,
            &crate::IssueInvoice {
                order_id: sub.order_id,
                period_id: Some(id),
            },
        )
        .await?;
        return Ok(InvoiceApplied::RenewalPaid(id));
    }
    if status == "failed" && was.as_deref() != Some("failed") && was.as_deref() != Some("paid") {
        let notice = SubscriptionNotice {
            subscription_id: subscription,
            period_id: Some(id),
            kind: NoticeKind::PaymentFailed,
        };
        tell(conn, "subscription.payment_failed", &notice, details).await?;
        return Ok(InvoiceApplied::PaymentFailed(id));
    }
    Ok(InvoiceApplied::Recorded(id))
}

/// Audits what happened to a subscription and queues the client's mail about it.
async fn tell(
    conn: &mut PgConnection,
    action: &'static str,
    notice: &SubscriptionNotice,
    details: serde_json::Value,
) -> Result<(), OrderError> {
    gd_accounts::record(
        conn,
        &AuditEvent::new(action)
            .subject(notice.subscription_id)
            .details(details),
    )
    .await?;
    gd_jobs::enqueue(&mut *conn, notice).await?;
    Ok(())
}

/// What the client is told about their subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A renewal was paid: the next period has begun.
    Renewed,
    /// A payment failed: the subscription is past due until the card works.
    PaymentFailed,
    /// The subscription has ended.
    Ended,
}

/// Mails the client about their subscription ([`crate::deliver_notice`]), once per period
/// and kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionNotice {
    pub subscription_id: Uuid,
    pub period_id: Option<Uuid>,
    pub kind: NoticeKind,
}

impl gd_jobs::Job for SubscriptionNotice {
    const QUEUE: &'static str = "growthdesk::subscription_notice";
}

/// A subscription as the client and the admins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_number: i64,
    pub user_id: Uuid,
    pub gateway: String,
    pub gateway_ref: String,
    pub customer_ref: String,
    pub status: SubscriptionStatus,
    pub interval: String,
    pub amount: i64,
    pub item_ref: Option<String>,
    pub product_slug: Option<String>,
    pub tier_key: Option<String>,
    /// "Instagram Management (Pro)", from the order's recurring lines.
    pub plan: String,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub lang: String,
    pub email: String,
    pub buyer_name: String,
    /// Whether the order was under reverse charge or small-business rules (for pricing a
    /// switch the same way).
    pub treatment: String,
}

/// One billing period of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodView {
    pub id: Uuid,
    pub reason: String,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    pub amount: i64,
    pub status: String,
    pub attempts: i32,
}

/// The subscriptions of `user` (or one of them, with `id`), newest first.
pub async fn list(
    conn: &mut PgConnection,
    user: Option<Uuid>,
    id: Option<Uuid>,
) -> Result<Vec<SubscriptionView>, OrderError> {
    let rows = sqlx::query!(
        r#"SELECT s.id, s.order_id, o.number, s.user_id, s.gateway, s.gateway_ref, s.customer_ref,
               s.status, s.interval, s.amount, s.item_ref, s.product_slug, s.tier_key,
               s.cancel_at_period_end,
               s.current_period_end AS "current_period_end: chrono::DateTime<chrono::Utc>",
               s.ended_at AS "ended_at: chrono::DateTime<chrono::Utc>",
               s.created_at AS "created_at: chrono::DateTime<chrono::Utc>",
               o.lang, o.email, o.buyer_name, o.treatment, s.plan_name
           FROM subscriptions s JOIN orders o ON o.id = s.order_id
           WHERE ($1::uuid IS NULL OR s.user_id = $1) AND ($2::uuid IS NULL OR s.id = $2)
           ORDER BY s.created_at DESC LIMIT 200"#,
        user,
        id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(SubscriptionView {
                id: r.id,
                order_id: r.order_id,
                order_number: r.number,
                user_id: r.user_id,
                gateway: r.gateway,
                gateway_ref: r.gateway_ref,
                customer_ref: r.customer_ref,
                status: SubscriptionStatus::parse(&r.status)?,
                interval: r.interval,
                amount: r.amount,
                item_ref: r.item_ref,
                product_slug: r.product_slug,
                tier_key: r.tier_key,
                plan: r.plan_name,
                cancel_at_period_end: r.cancel_at_period_end,
                current_period_end: r.current_period_end,
                ended_at: r.ended_at,
                created_at: r.created_at,
                lang: r.lang,
                email: r.email,
                buyer_name: r.buyer_name,
                treatment: r.treatment,
            })
        })
        .collect())
}

/// The periods of subscription `id`, newest first.
pub async fn periods(conn: &mut PgConnection, id: Uuid) -> Result<Vec<PeriodView>, OrderError> {
    let rows = sqlx::query!(
        r#"SELECT id, reason, amount, status, attempts,
               period_start AS "period_start: chrono::DateTime<chrono::Utc>",
               period_end AS "period_end: chrono::DateTime<chrono::Utc>"
           FROM subscription_periods WHERE subscription_id = $1
           ORDER BY period_start DESC NULLS LAST, created_at DESC"#,
        id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PeriodView {
            id: r.id,
            reason: r.reason,
            period_start: r.period_start,
            period_end: r.period_end,
            amount: r.amount,
            status: r.status,
            attempts: r.attempts,
        })
        .collect())
}

/// Records a client's change to their subscription (a cancellation, a resumption, a plan
/// switch) in the audit log; the new state itself comes from the gateway's answer.
pub async fn record_change(
    conn: &mut PgConnection,
    subscription: Uuid,
    actor: Uuid,
    action: &'static str,
    details: serde_json::Value,
) -> Result<(), OrderError> {
    gd_accounts::record(
        conn,
        &AuditEvent::new(action)
            .actor(Some(actor))
            .subject(subscription)
            .details(details),
    )
    .await?;
    Ok(())
}

/// After a plan switch: the plan's tier and name as the client chose them.
pub async fn set_plan(
    conn: &mut PgConnection,
    subscription: Uuid,
    tier: &str,
    plan_name: &str,
) -> Result<(), OrderError> {
    sqlx::query!(
        "UPDATE subscriptions SET tier_key = $2, plan_name = $3, updated_at = now() WHERE id = $1",
        subscription,
        tier,
        plan_name
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The configuration of a subscription's plan, from its order: what a plan switch keeps
/// (add-ons, speed, quantity) and whether it can be switched at all (one recurring line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLine {
    pub addons: Vec<String>,
    pub speed: Option<String>,
    pub quantity: i32,
    /// How many recurring lines the order has: a switch is offered for exactly one.
    pub recurring_lines: i64,
}

pub async fn plan_line(
    conn: &mut PgConnection,
    order: Uuid,
) -> Result<Option<PlanLine>, OrderError> {
    let row = sqlx::query!(
        r#"SELECT addons, speed_key, quantity,
               (SELECT count(*) FROM order_lines c
                WHERE c.order_id = l.order_id AND c.billing <> 'one_off') AS "recurring!"
           FROM order_lines l WHERE l.order_id = $1 AND l.billing <> 'one_off'
           ORDER BY l.position LIMIT 1"#,
        order
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| PlanLine {
        addons: r.addons,
        speed: r.speed_key,
        quantity: r.quantity,
        recurring_lines: r.recurring,
    }))
}
