//! The order's mails, on the mail templates: the confirmation (queued by the transition that
//! made the order paid), a change of status (by hand, by fulfilment, by a refund) and the
//! subscription notices; each sent by the worker at most once (its outbox key).

use gd_common::Locale;
use gd_mail::outbox::{deliver, Outgoing};
use gd_mail::templates::{render, Rendered, TemplateError};
use gd_mail::Mailer;
use gd_pricing::{Billing as Period, Cents};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::store::{load, Order};
use crate::OrderError;

/// An order was paid: mail the buyer its confirmation ([`deliver_confirmation`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderConfirmation {
    pub order_id: Uuid,
}

impl gd_jobs::Job for OrderConfirmation {
    const QUEUE: &'static str = "growthdesk::order_confirmation";
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmationError {
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Mail(#[from] gd_mail::MailError),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

fn lang(locale: Locale) -> &'static str {
    match locale {
        Locale::De => "de",
        Locale::En => "en",
    }
}

/// Sends the confirmation of order `order_id` unless it left before.
pub async fn deliver_confirmation(
    pool: &PgPool,
    mailer: &dyn Mailer,
    order_id: Uuid,
    public_url: &str,
    agency_email: &str,
) -> Result<(), ConfirmationError> {
    let mut conn = pool.acquire().await.map_err(OrderError::from)?;
    let order = load(&mut conn, order_id)
        .await?
        .ok_or(OrderError::NotFound)?;
    if order.confirmation_mailed_at.is_some() {
        return Ok(());
    }
    let mail = Outgoing {
        key: format!("order_confirmation:{order_id}"),
        kind: "order_confirmation",
        lang: lang(order.locale),
        to: order.email.clone(),
        reply_to: Some(agency_email.to_owned()),
        rendered: confirmation_mail(&order, public_url)?,
        sensitive: false,
        order_id: Some(order.id),
        user_id: Some(order.user_id),
    };
    // The mail goes out on connections of its own: none is held meanwhile.
    drop(conn);
    deliver(pool, mailer, &mail).await?;
    sqlx::query!(
        "UPDATE orders SET confirmation_mailed_at = now() WHERE id = $1",
        order_id
    )
    .execute(pool)
    .await
    .map_err(OrderError::from)?;
    Ok(())
}

fn money(locale: Locale, c: Cents) -> String {
    match locale {
        Locale::De => c.de(),
        Locale::En => c.en(),
    }
}

/// The confirmation in the order's language.
pub fn confirmation_mail(order: &Order, public_url: &str) -> Result<Rendered, TemplateError> {
    let de = order.locale == Locale::De;
    let m = |c| money(order.locale, c);
    let lines: Vec<serde_json::Value> = order
        .lines
        .iter()
        .map(|l| {
            json!({
                "quantity": l.quantity,
                "name": l.name,
                "description": l.description,
                "total": m(l.total),
                "period": match l.period {
                    Period::OneOff => "one_off",
                    Period::Monthly => "monthly",
                    Period::Yearly => "yearly",
                },
                "target": l.target,
            })
        })
        .collect();
    let path = if de { "" } else { "/en" };
    render(
        "order_confirmation",
        lang(order.locale),
        json!({
            "name": order.buyer_name,
            "number": order.number,
            "lines": lines,
            "treatment": match order.treatment {
                gd_pricing::Treatment::Standard => "standard",
                gd_pricing::Treatment::ReverseCharge => "reverse_charge",
                gd_pricing::Treatment::SmallBusiness => "small_business",
            },
            "net": m(order.net),
            "vat": m(order.vat),
            "total": m(order.total),
            "early_start": order.early_start_consent_at.is_some(),
            "link": format!("{public_url}{path}/portal/orders/{}", order.id),
        }),
    )
}

/// An admin moved an order by hand: tell the client what changed and why
/// ([`deliver_update`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderUpdate {
    pub order_id: Uuid,
    /// The timeline entry that records the change.
    pub entry: i64,
}

impl gd_jobs::Job for OrderUpdate {
    const QUEUE: &'static str = "growthdesk::order_update";
}

/// Mails the client the change recorded in timeline entry `entry`, unless it left before.
pub async fn deliver_update(
    pool: &PgPool,
    mailer: &dyn Mailer,
    job: &OrderUpdate,
    public_url: &str,
    agency_email: &str,
) -> Result<(), ConfirmationError> {
    let mut conn = pool.acquire().await.map_err(OrderError::from)?;
    let order = load(&mut conn, job.order_id)
        .await?
        .ok_or(OrderError::NotFound)?;
    let entry = sqlx::query!(
        "SELECT to_status, note, source, mailed_at IS NOT NULL AS \"mailed!\" FROM order_events
         WHERE id = $1 AND order_id = $2",
        job.entry,
        job.order_id
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(OrderError::from)?
    .ok_or(OrderError::NotFound)?;
    if entry.mailed {
        return Ok(());
    }
    let de = order.locale == Locale::De;
    let status = crate::Status::parse(&entry.to_status).map_or("", |s| status_words(s, de));
    let path = if de { "" } else { "/en" };
    let link = format!("{public_url}{path}/portal/orders/{}", order.id);
    // A person's message to the client is the support reply; anything else a status update.
    let kind = if entry.source == "support" {
        "support_reply"
    } else {
        "order_update"
    };
    let rendered = render(
        kind,
        lang(order.locale),
        json!({
            "name": order.buyer_name,
            "number": order.number,
            "status": status,
            "note": entry.note.clone().unwrap_or_default(),
            "message": entry.note.unwrap_or_default(),
            "link": link,
        }),
    )?;
    let mail = Outgoing {
        key: format!("order_update:{}", job.entry),
        kind,
        lang: lang(order.locale),
        to: order.email.clone(),
        reply_to: Some(agency_email.to_owned()),
        rendered,
        sensitive: false,
        order_id: Some(order.id),
        user_id: Some(order.user_id),
    };
    // The mail goes out on connections of its own: none is held meanwhile.
    drop(conn);
    deliver(pool, mailer, &mail).await?;
    sqlx::query!(
        "UPDATE order_events SET mailed_at = now() WHERE id = $1",
        job.entry
    )
    .execute(pool)
    .await
    .map_err(OrderError::from)?;
    Ok(())
}

/// A status in the client's words.
pub fn status_words(status: crate::Status, de: bool) -> &'static str {
    use crate::Status::*;
    match (status, de) {
        (PendingPayment, true) => "Zahlung ausstehend",
        (PendingPayment, false) => "awaiting payment",
        (Paid, true) => "Bezahlt",
        (Paid, false) => "paid",
        (InFulfilment, true) => "In Bearbeitung",
        (InFulfilment, false) => "in progress",
        (Completed, true) => "Abgeschlossen",
        (Completed, false) => "completed",
        (PartlyFulfilled, true) => "Teilweise geliefert",
        (PartlyFulfilled, false) => "partly delivered",
        (PartlyRefunded, true) => "Teilweise erstattet",
        (PartlyRefunded, false) => "partly refunded",
        (Refunded, true) => "Erstattet",
        (Refunded, false) => "refunded",
        (Cancelled, true) => "Storniert",
        (Cancelled, false) => "cancelled",
    }
}

/// Mails the client the notice `job` ([`crate::subscriptions::SubscriptionNotice`]) unless it
/// left before: a paid renewal, a failed payment (with what to do), the end.
pub async fn deliver_notice(
    pool: &PgPool,
    mailer: &dyn Mailer,
    job: &crate::subscriptions::SubscriptionNotice,
    public_url: &str,
    agency_email: &str,
) -> Result<(), ConfirmationError> {
    use crate::subscriptions::NoticeKind;
    let mut conn = pool.acquire().await.map_err(OrderError::from)?;
    let sub = crate::subscriptions::list(&mut conn, None, Some(job.subscription_id))
        .await?
        .into_iter()
        .next()
        .ok_or(OrderError::NotFound)?;
    let period = match job.period_id {
        Some(p) => Some(
            sqlx::query!(
                r#"SELECT amount, paid_mailed_at IS NOT NULL AS "paid_mailed!",
                       failure_mailed_at IS NOT NULL AS "failure_mailed!",
                       period_end AS "period_end: chrono::DateTime<chrono::Utc>"
                   FROM subscription_periods WHERE id = $1 AND subscription_id = $2"#,
                p,
                job.subscription_id
            )
            .fetch_optional(&mut *conn)
            .await
            .map_err(OrderError::from)?
            .ok_or(OrderError::NotFound)?,
        ),
        None => None,
    };
    let already = match (job.kind, &period) {
        (NoticeKind::Renewed, Some(p)) => p.paid_mailed,
        (NoticeKind::PaymentFailed, Some(p)) => p.failure_mailed,
        (NoticeKind::Ended, _) => sqlx::query_scalar!(
            r#"SELECT ended_mailed_at IS NOT NULL AS "mailed!" FROM subscriptions WHERE id = $1"#,
            job.subscription_id
        )
        .fetch_one(&mut *conn)
        .await
        .map_err(OrderError::from)?,
        (_, None) => return Err(OrderError::NotFound.into()),
    };
    if already {
        return Ok(());
    }
    let locale = Locale::parse(&sub.lang);
    let de = locale == Locale::De;
    let path = if de { "" } else { "/en" };
    let link = format!("{public_url}{path}/portal/subscriptions");
    let date = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(String::new, |t| {
            if de {
                t.format("%d.%m.%Y").to_string()
            } else {
                t.format("%Y-%m-%d").to_string()
            }
        })
    };
    let amount = period.as_ref().map_or(sub.amount, |p| p.amount);
    let kind = match job.kind {
        NoticeKind::Renewed => "subscription_renewed",
        NoticeKind::PaymentFailed => "subscription_payment_failed",
        NoticeKind::Ended => "subscription_ended",
    };
    let rendered = render(
        kind,
        lang(locale),
        json!({
            "name": sub.buyer_name,
            "plan": sub.plan,
            "amount": money(locale, Cents(amount)),
            "until": date(period.as_ref().and_then(|p| p.period_end)),
            "link": link,
        }),
    )?;
    let mail = Outgoing {
        key: format!(
            "{kind}:{}:{}",
            job.subscription_id,
            job.period_id
                .map_or_else(|| "end".to_owned(), |p| p.to_string())
        ),
        kind,
        lang: lang(locale),
        to: sub.email.clone(),
        reply_to: Some(agency_email.to_owned()),
        rendered,
        sensitive: false,
        order_id: Some(sub.order_id),
        user_id: Some(sub.user_id),
    };
    // The mail goes out on connections of its own: none is held meanwhile.
    drop(conn);
    deliver(pool, mailer, &mail).await?;
    match (job.kind, job.period_id) {
        (NoticeKind::Renewed, Some(p)) => {
            sqlx::query!(
                "UPDATE subscription_periods SET paid_mailed_at = now() WHERE id = $1",
                p
            )
            .execute(pool)
            .await
        }
        (NoticeKind::PaymentFailed, Some(p)) => {
            sqlx::query!(
                "UPDATE subscription_periods SET failure_mailed_at = now() WHERE id = $1",
                p
            )
            .execute(pool)
            .await
        }
        _ => {
            sqlx::query!(
                "UPDATE subscriptions SET ended_mailed_at = now() WHERE id = $1",
                job.subscription_id
            )
            .execute(pool)
            .await
        }
    }
    .map_err(OrderError::from)?;
    Ok(())
}
