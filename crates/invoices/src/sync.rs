//! The bookkeeping sync: every invoice and credit note pushed to Lexoffice as a voucher with
//! its PDF attached, the client as a Lexoffice contact, and each voucher's payment state read
//! back for reconciliation.
//!
//! The worker's schedule calls [`enqueue_due`], which puts a [`SyncInvoice`] job on the queue
//! for each invoice that is not in Lexoffice yet, whose last try failed and is due again, or
//! whose payment state is worth reading again. Without an API key nothing is enqueued: the
//! invoices wait, and finance reads "Lexoffice not connected".
//!
//! Lexoffice has no idempotency key, so a push is made of steps that each can be repeated:
//! the contact's id and the voucher's id are stored the moment Lexoffice gives them, a voucher
//! is looked up by our number before one is created (a create whose answer was lost is found
//! again), and the PDF is attached once (`file_attached`). Every call of every worker process
//! takes its turn from one pacer in the database ([`DbPacer`]).

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::document::{Invoice, Kind};
use crate::lexoffice::{Category, Client, LexError, Pacer};
use crate::{render, store, InvoiceError};
use gd_pricing::Treatment;

/// Invoice `invoice_id` is pushed to Lexoffice (or its payment state read back).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncInvoice {
    pub invoice_id: Uuid,
}

impl gd_jobs::Job for SyncInvoice {
    const QUEUE: &'static str = "growthdesk::sync_invoice";
    // The sync keeps its own record of failures and tries again by itself (`invoice_sync`).
    const MAX_ATTEMPTS: i32 = 1;
}

/// Space between two calls to Lexoffice across all processes: under its two per second.
pub const SPACING: Duration = Duration::from_millis(550);

/// Paces every worker process's calls with one slot in the database (`lexoffice_pacer`):
/// each call takes the next free slot and waits for it.
pub struct DbPacer {
    pool: PgPool,
    spacing: Duration,
}

impl DbPacer {
    pub fn new(pool: PgPool, spacing: Duration) -> Self {
        DbPacer { pool, spacing }
    }

    /// Takes the next slot: how long this call waits for it.
    pub async fn slot_wait(&self) -> Result<Duration, sqlx::Error> {
        let spacing = self.spacing.as_secs_f64();
        let wait: f64 = sqlx::query_scalar!(
            r#"UPDATE lexoffice_pacer
               SET next_slot = greatest(next_slot, clock_timestamp()) + make_interval(secs => $1)
               RETURNING extract(epoch FROM next_slot - make_interval(secs => $1)
                                 - clock_timestamp())::float8 AS "wait!""#,
            spacing
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Duration::from_secs_f64(wait.clamp(0.0, 600.0)))
    }
}

impl Pacer for DbPacer {
    fn wait(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let wait = match self.slot_wait().await {
                Ok(wait) => wait,
                Err(e) => {
                    // Without the shared slot, this process still keeps its own spacing.
                    tracing::warn!(error = %e, "the Lexoffice pacer is not reachable");
                    self.spacing
                }
            };
            tokio::time::sleep(wait).await;
        })
    }
}

/// What the sync needs besides the client.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// The posting category of what we sell.
    pub category: String,
    /// The posting category of sales under reverse charge; looked up in the account's list
    /// when not configured.
    pub category_reverse_charge: Option<String>,
}

impl SyncSettings {
    pub fn from_config(config: &gd_config::Config) -> Self {
        SyncSettings {
            category: config.lexoffice_category.clone(),
            category_reverse_charge: config.lexoffice_category_reverse_charge.clone(),
        }
    }
}

/// Why a push did not get through.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Lexoffice(#[from] LexError),
    #[error("another job is creating this client's contact; tried again shortly")]
    ContactBusy,
    #[error("no posting category for reverse charge: set LEXOFFICE_CATEGORY_REVERSE_CHARGE")]
    NoReverseChargeCategory,
    #[error(transparent)]
    Invoice(#[from] InvoiceError),
    #[error("storage: {0}")]
    Storage(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl SyncError {
    /// Whether a later try is likely to get through by itself.
    fn is_transient(&self) -> bool {
        match self {
            SyncError::Lexoffice(e) => e.is_transient(),
            SyncError::ContactBusy | SyncError::Storage(_) | SyncError::Db(_) => true,
            SyncError::NoReverseChargeCategory | SyncError::Invoice(_) => false,
        }
    }
}

/// How long a failed push waits before it is tried again: transient failures 5 min, 10 min …
/// up to 6 h; a refusal (which a person must look at) daily.
pub fn retry_delay(attempts: i32, transient: bool) -> Duration {
    if !transient {
        return Duration::from_secs(24 * 3600);
    }
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::from_secs((300u64 << exp).min(6 * 3600))
}

/// How often a pushed voucher's payment state is read again, until Lexoffice says it is
/// balanced (or voided); for a year after the invoice.
const PAYMENT_RECHECK_HOURS: f64 = 6.0;

/// A queued job that did not finish within this long is queued again (its worker died).
const QUEUED_STALE_SECS: f64 = 3600.0;

/// Puts a [`SyncInvoice`] job on the queue for each invoice that is due, at most `limit`
/// (the oldest first), and marks them queued; answers how many. Runs in the caller's
/// transaction.
pub async fn enqueue_due(conn: &mut PgConnection, limit: i64) -> Result<u64, InvoiceError> {
    let due = sqlx::query_scalar!(
        r#"SELECT i.id
           FROM invoices i
           LEFT JOIN invoice_sync s ON s.invoice_id = i.id
           WHERE s.invoice_id IS NULL
              OR (s.state = 'failed' AND s.next_try_at <= now())
              OR (s.state = 'queued'
                  AND s.queued_at < now() - make_interval(secs => $2))
              OR (s.state = 'pushed'
                  AND coalesce(s.payment_status, '') <> 'balanced'
                  AND coalesce(s.voucher_status, '') NOT IN ('voided', 'paid', 'paidoff')
                  AND i.issued_on > current_date - 366
                  AND (s.payment_checked_at IS NULL
                       OR s.payment_checked_at < now() - make_interval(hours => $3::float8::int)))
           ORDER BY i.finalized_at
           LIMIT $1"#,
        limit,
        QUEUED_STALE_SECS,
        PAYMENT_RECHECK_HOURS
    )
    .fetch_all(&mut *conn)
    .await?;
    for id in &due {
        // A pushed invoice stays pushed: only its payment check is marked as under way.
        sqlx::query!(
            r#"INSERT INTO invoice_sync (invoice_id, state, queued_at)
               VALUES ($1, 'queued', now())
               ON CONFLICT (invoice_id) DO UPDATE SET
                   state = CASE WHEN invoice_sync.state = 'pushed' THEN 'pushed' ELSE 'queued' END,
                   queued_at = now(),
                   payment_checked_at = CASE WHEN invoice_sync.state = 'pushed' THEN now()
                                             ELSE invoice_sync.payment_checked_at END,
                   updated_at = now()"#,
            id
        )
        .execute(&mut *conn)
        .await?;
        gd_jobs::enqueue(&mut *conn, &SyncInvoice { invoice_id: *id }).await?;
    }
    Ok(due.len() as u64)
}

/// Finance asks for a failed push to be tried now; false when the invoice is not failed.
pub async fn retry_now(conn: &mut PgConnection, invoice_id: Uuid) -> Result<bool, InvoiceError> {
    let changed = sqlx::query!(
        "UPDATE invoice_sync SET state = 'queued', queued_at = now(), updated_at = now()
         WHERE invoice_id = $1 AND state = 'failed'",
        invoice_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    gd_jobs::enqueue(&mut *conn, &SyncInvoice { invoice_id }).await?;
    Ok(true)
}

/// What a sync job came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Synced {
    /// The voucher (with its PDF) is in Lexoffice now; its payment state as read.
    Pushed {
        voucher_id: String,
        payment: Option<String>,
    },
    /// It was in Lexoffice already; its payment state read again.
    Checked { payment: String },
    /// It did not get through; recorded, tried again at the next due time.
    Failed { error: String, transient: bool },
}

/// The [`SyncInvoice`] job: pushes invoice `id` (or reads its payment state back when it is
/// pushed already) and records how it went in `invoice_sync`. Errors only when even that
/// record cannot be written.
pub async fn sync_invoice(
    pool: &PgPool,
    client: &Client<'_>,
    storage: &dyn gd_storage::ObjectStore,
    settings: &SyncSettings,
    id: Uuid,
    logo: Option<Vec<u8>>,
) -> Result<Synced, InvoiceError> {
    let state = sqlx::query!(
        "SELECT state, voucher_id, file_attached FROM invoice_sync WHERE invoice_id = $1",
        id
    )
    .fetch_optional(pool)
    .await?;
    if let Some(s) = &state {
        if s.state == "pushed" {
            let voucher = s.voucher_id.clone().unwrap_or_default();
            return match read_payment(pool, client, id, &voucher).await {
                Ok(payment) => Ok(Synced::Checked { payment }),
                Err(e) => {
                    // The voucher stays pushed; the check is tried again at the next interval.
                    tracing::warn!(invoice = %id, error = %e, "Lexoffice payment state not read");
                    Ok(Synced::Failed {
                        transient: e.is_transient(),
                        error: e.to_string(),
                    })
                }
            };
        }
    }
    let done = state.map_or((None, false), |s| (s.voucher_id, s.file_attached));
    match push(pool, client, storage, settings, id, done, logo).await {
        Ok(voucher_id) => {
            sqlx::query!(
                "UPDATE invoice_sync SET state = 'pushed', pushed_at = now(), last_error = NULL,
                        next_try_at = NULL, updated_at = now()
                 WHERE invoice_id = $1",
                id
            )
            .execute(pool)
            .await?;
            let payment = match read_payment(pool, client, id, &voucher_id).await {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::warn!(invoice = %id, error = %e, "Lexoffice payment state not read");
                    None
                }
            };
            Ok(Synced::Pushed {
                voucher_id,
                payment,
            })
        }
        Err(e) => {
            let transient = e.is_transient();
            let error: String = e.to_string().chars().take(2000).collect();
            let attempts = sqlx::query_scalar!(
                "INSERT INTO invoice_sync (invoice_id, state, attempts, last_error)
                 VALUES ($1, 'failed', 1, $2)
                 ON CONFLICT (invoice_id) DO UPDATE SET
                     state = 'failed', attempts = invoice_sync.attempts + 1,
                     last_error = $2, updated_at = now()
                 RETURNING attempts",
                id,
                error
            )
            .fetch_one(pool)
            .await?;
            let delay = retry_delay(attempts, transient);
            sqlx::query!(
                "UPDATE invoice_sync SET next_try_at = now() + make_interval(secs => $2)
                 WHERE invoice_id = $1",
                id,
                delay.as_secs_f64()
            )
            .execute(pool)
            .await?;
            tracing::warn!(invoice = %id, attempts, transient, %error, "Lexoffice push failed");
            Ok(Synced::Failed { error, transient })
        }
    }
}

/// The push, step by step; each step done before (the voucher made, its PDF attached: as
/// `invoice_sync` records them) is skipped. Answers the voucher's id.
async fn push(
    pool: &PgPool,
    client: &Client<'_>,
    storage: &dyn gd_storage::ObjectStore,
    settings: &SyncSettings,
    id: Uuid,
    (voucher, attached): (Option<String>, bool),
    logo: Option<Vec<u8>>,
) -> Result<String, SyncError> {
    let inv = {
        let mut conn = pool.acquire().await?;
        store::load(&mut conn, id)
            .await?
            .ok_or(InvoiceError::NotFound)?
    };
    let voucher_id = match voucher {
        Some(v) => v,
        None => match client.voucher_by_number(&inv.number).await? {
            Some(found) => {
                store_voucher(pool, id, &found).await?;
                found
            }
            None => {
                let contact = ensure_contact(pool, client, &inv).await?;
                let category = category_for(client, settings, inv.treatment).await?;
                let saved = client
                    .create_voucher(&voucher_json(&inv, &contact, &category))
                    .await?;
                store_voucher(pool, id, &saved.id).await?;
                saved.id
            }
        },
    };

    if !attached {
        // The PDF as the client has it (rendered now if the render job has not run yet).
        render::render_and_store(pool, storage, id, logo).await?;
        let key = render::key_of(&inv, "pdf");
        let parsed = gd_storage::Key::parse(&key).map_err(|e| SyncError::Storage(e.to_string()))?;
        let pdf = storage
            .get(&parsed)
            .await
            .map_err(|e| SyncError::Storage(e.to_string()))?
            .ok_or_else(|| SyncError::Storage(format!("{key} is missing")))?;
        client
            .attach_file(&voucher_id, &format!("{}.pdf", inv.number), &pdf.bytes)
            .await?;
        sqlx::query!(
            "UPDATE invoice_sync SET file_attached = true, updated_at = now()
             WHERE invoice_id = $1",
            id
        )
        .execute(pool)
        .await?;
    }
    Ok(voucher_id)
}

/// Records the voucher's id the moment it is known.
async fn store_voucher(pool: &PgPool, id: Uuid, voucher_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO invoice_sync (invoice_id, state, voucher_id) VALUES ($1, 'queued', $2)
         ON CONFLICT (invoice_id) DO UPDATE SET voucher_id = $2, updated_at = now()",
        id,
        voucher_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Reads voucher `voucher_id`'s payment state and records it; answers the status.
async fn read_payment(
    pool: &PgPool,
    client: &Client<'_>,
    id: Uuid,
    voucher_id: &str,
) -> Result<String, SyncError> {
    let p = client.payment(voucher_id).await?;
    let open_cents = (p.open_amount * 100.0).round() as i64;
    let paid_on = p
        .paid_date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    sqlx::query!(
        "UPDATE invoice_sync SET payment_status = $2, voucher_status = $3, open_amount = $4,
                paid_on = $5, payment_checked_at = now(), updated_at = now()
         WHERE invoice_id = $1",
        id,
        p.status,
        p.voucher_status,
        open_cents,
        paid_on as _
    )
    .execute(pool)
    .await?;
    Ok(p.status)
}

/// The posting category for `treatment`.
async fn category_for(
    client: &Client<'_>,
    settings: &SyncSettings,
    treatment: Treatment,
) -> Result<String, SyncError> {
    if treatment != Treatment::ReverseCharge {
        return Ok(settings.category.clone());
    }
    if let Some(c) = &settings.category_reverse_charge {
        return Ok(c.clone());
    }
    reverse_charge_category(&client.categories().await?).ok_or(SyncError::NoReverseChargeCategory)
}

/// The income category for sales under reverse charge, by its name.
pub fn reverse_charge_category(categories: &[Category]) -> Option<String> {
    categories
        .iter()
        .filter(|c| c.kind == "income")
        .find(|c| {
            let name = c.name.to_lowercase();
            name.contains("13b") || name.contains("innergemeinschaftlich") || name.contains(" eu")
        })
        .map(|c| c.id.clone())
}

/// Euro cents as Lexoffice's amounts.
fn euros(cents: i64) -> Value {
    json!(cents as f64 / 100.0)
}

/// The bookkeeping voucher of `inv`: one item per VAT rate, gross amounts.
pub fn voucher_json(inv: &Invoice, contact_id: &str, category: &str) -> Value {
    let items: Vec<Value> = inv
        .rates
        .iter()
        .map(|r| {
            json!({
                "amount": euros(r.total),
                "taxAmount": euros(r.vat),
                "taxRatePercent": f64::from(r.rate_bp) / 100.0,
                "categoryId": category,
            })
        })
        .collect();
    let remark = match (&inv.corrects, inv.lang.as_str()) {
        (Some(c), "de") => format!(
            "Bestellung {} · korrigiert {} · Growthdesk",
            inv.order_number, c.number
        ),
        (Some(c), _) => format!(
            "Order {} · corrects {} · Growthdesk",
            inv.order_number, c.number
        ),
        (None, "de") => format!("Bestellung {} · Growthdesk", inv.order_number),
        (None, _) => format!("Order {} · Growthdesk", inv.order_number),
    };
    json!({
        "type": match inv.kind {
            Kind::Invoice => "salesinvoice",
            Kind::CreditNote => "salescreditnote",
        },
        "voucherNumber": inv.number,
        "voucherDate": inv.issued_on.to_string(),
        "shippingDate": inv.supplied_to.to_string(),
        "dueDate": inv.issued_on.to_string(),
        "totalGrossAmount": euros(inv.total),
        "totalTaxAmount": euros(inv.vat),
        "taxType": "gross",
        "useCollectiveContact": false,
        "contactId": contact_id,
        "remark": remark,
        "voucherItems": items,
    })
}

/// The Lexoffice contact of `inv`'s buyer: a company (with its VAT id) or a person.
pub fn contact_json(inv: &Invoice) -> Value {
    let b = &inv.buyer;
    let mut contact = json!({
        "roles": { "customer": {} },
        "addresses": { "billing": [{
            "street": b.street,
            "zip": b.postal_code,
            "city": b.city,
            "countryCode": b.country,
        }] },
        "note": "Growthdesk",
    });
    if let Some(email) = b.email.as_deref().filter(|e| !e.is_empty()) {
        contact["emailAddresses"] = json!({ "business": [email] });
    }
    let (first, last) = match b.name.trim().rsplit_once(' ') {
        Some((first, last)) => (first.trim(), last.trim()),
        None => ("", b.name.trim()),
    };
    match b.company.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(company) => {
            let mut c = json!({
                "name": company,
                "allowTaxFreeInvoices": inv.treatment == Treatment::ReverseCharge,
                "contactPersons": [{ "firstName": first, "lastName": last }],
            });
            if let Some(vat) = b.vat_id.as_deref().filter(|v| !v.is_empty()) {
                c["vatRegistrationId"] = json!(vat);
            }
            if let Some(email) = b.email.as_deref().filter(|e| !e.is_empty()) {
                c["contactPersons"][0]["emailAddress"] = json!(email);
            }
            contact["company"] = c;
        }
        None => {
            contact["person"] = json!({ "firstName": first, "lastName": last });
        }
    }
    contact
}

fn fingerprint(contact: &Value) -> String {
    Sha256::digest(contact.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How often a contact update is tried when Lexoffice says it changed meanwhile (409).
const CONFLICT_TRIES: u32 = 3;

/// The client's contact in Lexoffice, created (or found by email) the first time and updated
/// when the client's details changed; answers its id.
async fn ensure_contact(
    pool: &PgPool,
    client: &Client<'_>,
    inv: &Invoice,
) -> Result<String, SyncError> {
    let wanted = contact_json(inv);
    let print = fingerprint(&wanted);
    let known = sqlx::query!(
        r#"SELECT contact_id, fingerprint,
                  synced_at < now() - interval '10 minutes' AS "stale!"
           FROM lexoffice_contacts WHERE user_id = $1"#,
        inv.user_id
    )
    .fetch_optional(pool)
    .await?;
    let contact_id = match known {
        Some(k) if k.contact_id.starts_with("pending:") && !k.stale => {
            return Err(SyncError::ContactBusy)
        }
        Some(k) if !k.contact_id.starts_with("pending:") => {
            if k.fingerprint == print {
                return Ok(k.contact_id);
            }
            k.contact_id
        }
        _ => {
            // Claims the creation, so that two jobs for the same client make one contact.
            let claim = format!("pending:{}", Uuid::now_v7());
            let claimed = sqlx::query!(
                "INSERT INTO lexoffice_contacts (user_id, contact_id) VALUES ($1, $2)
                 ON CONFLICT (user_id) DO UPDATE SET contact_id = $2, synced_at = now()
                 WHERE lexoffice_contacts.contact_id LIKE 'pending:%'
                   AND lexoffice_contacts.synced_at < now() - interval '10 minutes'",
                inv.user_id,
                claim
            )
            .execute(pool)
            .await?
            .rows_affected();
            if claimed == 0 {
                return Err(SyncError::ContactBusy);
            }
            let found = match lookup_or_create(client, inv, &wanted).await {
                Ok(found) => found,
                Err(e) => {
                    sqlx::query!(
                        "DELETE FROM lexoffice_contacts WHERE user_id = $1 AND contact_id = $2",
                        inv.user_id,
                        claim
                    )
                    .execute(pool)
                    .await?;
                    return Err(e);
                }
            };
            let (id, version, sent) = found;
            sqlx::query!(
                "UPDATE lexoffice_contacts SET contact_id = $2, version = $3, fingerprint = $4,
                        synced_at = now()
                 WHERE user_id = $1",
                inv.user_id,
                id,
                version,
                if sent { print.clone() } else { String::new() }
            )
            .execute(pool)
            .await?;
            if sent {
                return Ok(id);
            }
            id
        }
    };
    // The contact exists but was found by email or differs from the client's details now.
    update_contact(client, &contact_id, &wanted).await?;
    sqlx::query!(
        "UPDATE lexoffice_contacts SET fingerprint = $2, synced_at = now() WHERE user_id = $1",
        inv.user_id,
        print
    )
    .execute(pool)
    .await?;
    Ok(contact_id)
}

/// The contact with the buyer's email, or a new one; answers (id, version, whether it holds
/// what we sent).
async fn lookup_or_create(
    client: &Client<'_>,
    inv: &Invoice,
    wanted: &Value,
) -> Result<(String, i64, bool), SyncError> {
    if let Some(email) = inv.buyer.email.as_deref().filter(|e| !e.is_empty()) {
        if let Some(found) = client.contact_by_email(email).await? {
            return Ok((found.id, found.version, false));
        }
    }
    let saved = client.create_contact(wanted).await?;
    Ok((saved.id, saved.version, true))
}

/// Writes `wanted` over contact `id` at its current version; a 409 (it changed meanwhile)
/// reads it again and tries again.
async fn update_contact(client: &Client<'_>, id: &str, wanted: &Value) -> Result<(), SyncError> {
    let mut last = LexError::Conflict;
    for _ in 0..CONFLICT_TRIES {
        let current = client.contact(id).await?;
        let version = current["version"].as_i64().unwrap_or_default();
        // What Lexoffice keeps beyond our fields (its roles' numbers, notes) stays.
        let mut merged = current.clone();
        for key in ["addresses", "emailAddresses", "person", "company"] {
            match wanted.get(key) {
                Some(v) => merged[key] = v.clone(),
                None => {
                    if let Some(obj) = merged.as_object_mut() {
                        obj.remove(key);
                    }
                }
            }
        }
        match client.update_contact(id, version, &merged).await {
            Ok(_) => return Ok(()),
            Err(LexError::Conflict) => last = LexError::Conflict,
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_pushes_wait_longer_each_time() {
        assert_eq!(retry_delay(1, true), Duration::from_secs(300));
        assert_eq!(retry_delay(2, true), Duration::from_secs(600));
        assert_eq!(retry_delay(20, true), Duration::from_secs(6 * 3600));
        assert_eq!(retry_delay(1, false), Duration::from_secs(24 * 3600));
    }

    #[test]
    fn the_reverse_charge_category_is_found_by_name() {
        let cats = vec![
            Category {
                id: "a".into(),
                name: "Einnahmen".into(),
                kind: "income".into(),
            },
            Category {
                id: "b".into(),
                name: "Fremdleistungen §13b".into(),
                kind: "outgo".into(),
            },
            Category {
                id: "c".into(),
                name: "Innergemeinschaftliche Lieferung / Leistung".into(),
                kind: "income".into(),
            },
        ];
        assert_eq!(reverse_charge_category(&cats).as_deref(), Some("c"));
        assert_eq!(reverse_charge_category(&cats[..2]), None);
    }
}
