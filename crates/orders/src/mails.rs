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
    match order.treatment.as_str() {
        "reverse_charge" => {
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
        "small_business" => {
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
        _ => {
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
