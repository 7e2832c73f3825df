//! Finance's daily digest: the invoices and credit notes issued on a day, the subscription
//! payments that failed that day, and every invoice Lexoffice has not taken (still failing).
//! One mail per recipient and day (the outbox key), none on a day with nothing to say.

use chrono::NaiveDate;
use gd_mail::outbox::{self, Delivered, Outgoing};
use gd_pricing::Cents;
use serde::Serialize;
use sqlx::PgPool;

use crate::InvoiceError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocLine {
    pub number: String,
    pub buyer: String,
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedPayment {
    pub client: String,
    pub plan: String,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedSync {
    pub number: String,
    pub error: String,
}

/// What a digest says, in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub day: String,
    pub invoices: Vec<DocLine>,
    pub invoices_total: String,
    pub credit_notes: Vec<DocLine>,
    pub credit_notes_total: String,
    pub failed_payments: Vec<FailedPayment>,
    pub failed_syncs: Vec<FailedSync>,
    pub link: String,
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.invoices.is_empty()
            && self.credit_notes.is_empty()
            && self.failed_payments.is_empty()
            && self.failed_syncs.is_empty()
    }
}

fn money(cents: i64, de: bool) -> String {
    if de {
        Cents(cents).de()
    } else {
        Cents(cents).en()
    }
}

/// The digest of `day` in `lang`.
pub async fn gather(
    pool: &PgPool,
    day: NaiveDate,
    lang: &str,
    public_url: &str,
) -> Result<Digest, InvoiceError> {
    let de = lang == "de";
    let docs = sqlx::query!(
        r#"SELECT kind, number, coalesce(buyer->>'company', buyer->>'name', '') AS "buyer!", total
           FROM invoices WHERE issued_on = $1 ORDER BY number"#,
        day as _
    )
    .fetch_all(pool)
    .await?;
    let mut invoices = Vec::new();
    let mut credit_notes = Vec::new();
    let (mut inv_sum, mut cn_sum) = (0i64, 0i64);
    for d in docs {
        let line = DocLine {
            number: d.number,
            buyer: d.buyer,
            total: money(d.total, de),
        };
        if d.kind == "credit_note" {
            cn_sum += d.total;
            credit_notes.push(line);
        } else {
            inv_sum += d.total;
            invoices.push(line);
        }
    }
    let failed_payments = sqlx::query!(
        r#"SELECT u.email, s.plan_name, p.amount
           FROM subscription_periods p
           JOIN subscriptions s ON s.id = p.subscription_id
           JOIN users u ON u.id = s.user_id
           WHERE p.status = 'failed' AND p.failed_at >= $1::date
             AND p.failed_at < $1::date + 1
           ORDER BY p.failed_at"#,
        day as _
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|p| FailedPayment {
        client: p.email,
        plan: p.plan_name,
        amount: money(p.amount, de),
    })
    .collect();
    let failed_syncs = sqlx::query!(
        r#"SELECT i.number, coalesce(s.last_error, '') AS "error!"
           FROM invoice_sync s JOIN invoices i ON i.id = s.invoice_id
           WHERE s.state = 'failed' ORDER BY i.number"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|s| FailedSync {
        number: s.number,
        error: s.error,
    })
    .collect();
    Ok(Digest {
        day: if de {
            day.format("%d.%m.%Y").to_string()
        } else {
            day.to_string()
        },
        invoices,
        invoices_total: money(inv_sum, de),
        credit_notes,
        credit_notes_total: money(cn_sum, de),
        failed_payments,
        failed_syncs,
        link: format!("{public_url}/finance"),
    })
}

/// Who gets the digest: `to` when configured (in German), else every finance user in their
/// language.
async fn recipients(
    pool: &PgPool,
    to: Option<&str>,
) -> Result<Vec<(String, String)>, InvoiceError> {
    if let Some(to) = to {
        return Ok(to
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| (a.to_owned(), "de".to_owned()))
            .collect());
    }
    Ok(sqlx::query!(
        "SELECT u.email, u.locale FROM users u
         JOIN user_roles r ON r.user_id = u.id AND r.role = 'finance'
         ORDER BY u.email"
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.email, r.locale))
    .collect())
}

/// Sends the digest of the day before `today` to each recipient once; answers how many mails
/// went out now. A recipient whose mail fails does not hold up the others; the first error is
/// returned after all were tried (the schedule tries again the next day, the outbox keeps the
/// failed mail for the admins).
pub async fn send_daily(
    pool: &PgPool,
    mailer: &dyn gd_mail::Mailer,
    public_url: &str,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<u64, InvoiceError> {
    let Some(day) = today.pred_opt() else {
        return Ok(0);
    };
    let mut sent = 0;
    let mut first_error = None;
    // Gathered and rendered once per language, whatever the number of recipients; `None`:
    // nothing to say that day.
    let mut by_lang: Vec<(&'static str, Option<gd_mail::templates::Rendered>)> = Vec::new();
    for (address, lang) in recipients(pool, to).await? {
        let lang: &'static str = if lang == "de" { "de" } else { "en" };
        let rendered = match by_lang.iter().find(|(l, _)| *l == lang) {
            Some((_, r)) => r.clone(),
            None => {
                let digest = gather(pool, day, lang, public_url).await?;
                let r = if digest.is_empty() {
                    None
                } else {
                    Some(
                        gd_mail::templates::render("finance_digest", lang, &digest)
                            .map_err(|e| InvoiceError::Render(e.to_string()))?,
                    )
                };
                by_lang.push((lang, r.clone()));
                r
            }
        };
        let Some(rendered) = rendered else {
            continue;
        };
        let mail = Outgoing {
            key: format!("finance_digest:{day}:{}", address.to_lowercase()),
            kind: "finance_digest",
            lang,
            to: address.clone(),
            reply_to: None,
            rendered,
            sensitive: false,
            order_id: None,
            user_id: None,
        };
        match outbox::deliver(pool, mailer, &mail).await {
            Ok(Delivered::Sent) => sent += 1,
            Ok(Delivered::AlreadySent) => {}
            Err(e) => {
                tracing::warn!(to = %address, error = %e, "finance digest not sent");
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(InvoiceError::Mail(e.to_string())),
        None => Ok(sent),
    }
}
