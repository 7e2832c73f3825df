//! The order confirmation: queued by the transition that made the order paid, sent by the
//! worker at most once per order (recorded as soon as it left).

use gd_common::Locale;
use gd_mail::{Mail, Mailer};
use gd_pricing::{Billing as Period, Cents};
use serde::{Deserialize, Serialize};
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
    let (subject, body) = confirmation_text(&order, public_url);
    mailer
        .send(&Mail {
            to: order.email.clone(),
            subject,
            body,
            reply_to: Some(agency_email.to_owned()),
        })
        .await?;
    sqlx::query!(
        "UPDATE orders SET confirmation_mailed_at = now() WHERE id = $1",
        order_id
    )
    .execute(&mut *conn)
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

/// The confirmation's subject and plain-text body, in the order's language.
pub fn confirmation_text(order: &Order, public_url: &str) -> (String, String) {
    let de = order.locale == Locale::De;
    let m = |c| money(order.locale, c);
    let mut body = String::new();
    let hello = if de { "Hallo" } else { "Hello" };
    body.push_str(&format!("{hello} {},\n\n", order.buyer_name));
    body.push_str(if de {
        "vielen Dank für Ihre Bestellung. Ihre Zahlung ist eingegangen.\n\n"
    } else {
        "thank you for your order. We have received your payment.\n\n"
    });
    let number = if de { "Bestellnummer" } else { "Order number" };
    body.push_str(&format!("{number}: {}\n\n", order.number));
    for l in &order.lines {
        let period = match (l.period, de) {
            (Period::OneOff, _) => "",
            (Period::Monthly, true) => " / Monat",
            (Period::Monthly, false) => " / month",
            (Period::Yearly, true) => " / Jahr",
            (Period::Yearly, false) => " / year",
        };
        body.push_str(&format!("{} × {}", l.quantity, l.name));
        if !l.description.is_empty() {
            body.push_str(&format!(" ({})", l.description));
        }
        body.push_str(&format!(": {}{period}\n", m(l.total)));
        if !l.target.is_empty() {
            body.push_str(&format!(
                "   {} {}\n",
                if de { "für" } else { "for" },
                l.target
            ));
        }
    }
    body.push('\n');
    match order.treatment {
        gd_pricing::Treatment::ReverseCharge => {
            body.push_str(&format!(
                "{}: {}\n",
                if de { "Summe (netto)" } else { "Total (net)" },
                m(order.total)
            ));
            body.push_str(if de {
                "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge).\n"
            } else {
                "Reverse charge: VAT is due from the recipient.\n"
            });
        }
        gd_pricing::Treatment::SmallBusiness => {
            body.push_str(&format!(
                "{}: {}\n",
                if de { "Summe" } else { "Total" },
                m(order.total)
            ));
            body.push_str(if de {
                "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.\n"
            } else {
                "No VAT is charged (small business, § 19 UStG).\n"
            });
        }
        gd_pricing::Treatment::Standard => {
            body.push_str(&format!(
                "{}: {}\n",
                if de { "Netto" } else { "Net" },
                m(order.net)
            ));
            body.push_str(&format!(
                "{}: {}\n",
                if de { "MwSt." } else { "VAT" },
                m(order.vat)
            ));
            body.push_str(&format!(
                "{}: {}\n",
                if de { "Gesamt" } else { "Total" },
                m(order.total)
            ));
        }
    }
    body.push('\n');
    if order.early_start_consent_at.is_some() {
        body.push_str(if de {
            "Sie haben verlangt, dass wir vor Ablauf der Widerrufsfrist mit der Leistung beginnen, und bestätigt, dass Ihr Widerrufsrecht mit vollständiger Erbringung der Leistung erlischt.\n\n"
        } else {
            "You asked us to start before the withdrawal period ends and confirmed that your right of withdrawal lapses once the service is fully provided.\n\n"
        });
    }
    let path = if de { "" } else { "/en" };
    body.push_str(&format!(
        "{}: {public_url}{path}/portal/orders/{}\n\n",
        if de {
            "Ihre Bestellung im Kundenportal"
        } else {
            "Your order in the client portal"
        },
        order.id
    ));
    body.push_str(if de {
        "Ihr Growthdesk-Team\n"
    } else {
        "The Growthdesk team\n"
    });
    let subject = if de {
        format!("Ihre Bestellung {} bei Growthdesk", order.number)
    } else {
        format!("Your Growthdesk order {}", order.number)
    };
    (subject, body)
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
        "SELECT to_status, note, mailed_at IS NOT NULL AS \"mailed!\" FROM order_events
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
    let subject = if de {
        format!("Ihre Bestellung {}: {status}", order.number)
    } else {
        format!("Your order {}: {status}", order.number)
    };
    let body = format!(
        "{}\n\n{}\n\n{}: {public_url}{path}/portal/orders/{}\n\n{}\n",
        if de {
            format!(
                "Hallo {},\n\nIhre Bestellung {} hat jetzt den Status „{status}“.",
                order.buyer_name, order.number
            )
        } else {
            format!(
                "Hello {},\n\nyour order {} is now \"{status}\".",
                order.buyer_name, order.number
            )
        },
        entry.note.unwrap_or_default(),
        if de {
            "Ihre Bestellung im Kundenportal"
        } else {
            "Your order in the client portal"
        },
        order.id,
        if de {
            "Ihr Growthdesk-Team"
        } else {
            "The Growthdesk team"
        },
    );
    mailer
        .send(&Mail {
            to: order.email.clone(),
            subject,
            body,
            reply_to: Some(agency_email.to_owned()),
        })
        .await?;
    sqlx::query!(
        "UPDATE order_events SET mailed_at = now() WHERE id = $1",
        job.entry
    )
    .execute(&mut *conn)
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
    let (subject, text) = match (job.kind, de) {
        (NoticeKind::Renewed, true) => (
            format!("Ihr Abo „{}“ wurde verlängert", sub.plan),
            format!(
                "Ihr Abo „{}“ wurde verlängert und {} wurden bezahlt. Der neue Zeitraum läuft bis {}; wir beginnen mit der Umsetzung.",
                sub.plan,
                money(locale, Cents(amount)),
                date(period.as_ref().and_then(|p| p.period_end))
            ),
        ),
        (NoticeKind::Renewed, false) => (
            format!("Your subscription \"{}\" was renewed", sub.plan),
            format!(
                "Your subscription \"{}\" was renewed and {} was paid. The new period runs until {}; we are starting on it.",
                sub.plan,
                money(locale, Cents(amount)),
                date(period.as_ref().and_then(|p| p.period_end))
            ),
        ),
        (NoticeKind::PaymentFailed, true) => (
            format!("Zahlung für Ihr Abo „{}“ fehlgeschlagen", sub.plan),
            format!(
                "die Zahlung von {} für Ihr Abo „{}“ ist fehlgeschlagen. Bitte hinterlegen Sie im Kundenportal eine gültige Zahlungsmethode; wir versuchen es danach erneut. Bis dahin ist das Abo überfällig.",
                money(locale, Cents(amount)),
                sub.plan
            ),
        ),
        (NoticeKind::PaymentFailed, false) => (
            format!("Payment for your subscription \"{}\" failed", sub.plan),
            format!(
                "the payment of {} for your subscription \"{}\" failed. Please add a valid payment method in the client portal; we will try again afterwards. Until then the subscription is past due.",
                money(locale, Cents(amount)),
                sub.plan
            ),
        ),
        (NoticeKind::Ended, true) => (
            format!("Ihr Abo „{}“ ist beendet", sub.plan),
            format!(
                "Ihr Abo „{}“ ist beendet; es wird nichts mehr abgebucht. Sie können jederzeit ein neues abschließen.",
                sub.plan
            ),
        ),
        (NoticeKind::Ended, false) => (
            format!("Your subscription \"{}\" has ended", sub.plan),
            format!(
                "Your subscription \"{}\" has ended; nothing more will be charged. You may start a new one at any time.",
                sub.plan
            ),
        ),
    };
    let body = if de {
        format!(
            "Hallo {},\n\n{text}\n\nIhre Abos im Kundenportal: {link}\n\nIhr Growthdesk-Team\n",
            sub.buyer_name
        )
    } else {
        format!(
            "Hello {},\n\n{text}\n\nYour subscriptions in the client portal: {link}\n\nThe Growthdesk team\n",
            sub.buyer_name
        )
    };
    mailer
        .send(&Mail {
            to: sub.email.clone(),
            subject,
            body,
            reply_to: Some(agency_email.to_owned()),
        })
        .await?;
    match (job.kind, job.period_id) {
        (NoticeKind::Renewed, Some(p)) => {
            sqlx::query!(
                "UPDATE subscription_periods SET paid_mailed_at = now() WHERE id = $1",
                p
            )
            .execute(&mut *conn)
            .await
        }
        (NoticeKind::PaymentFailed, Some(p)) => {
            sqlx::query!(
                "UPDATE subscription_periods SET failure_mailed_at = now() WHERE id = $1",
                p
            )
            .execute(&mut *conn)
            .await
        }
        _ => {
            sqlx::query!(
                "UPDATE subscriptions SET ended_mailed_at = now() WHERE id = $1",
                job.subscription_id
            )
            .execute(&mut *conn)
            .await
        }
    }
    .map_err(OrderError::from)?;
    Ok(())
}
