//! Invoices read back: one complete (for rendering), the files rendered from it, and the
//! lists a client and finance see.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::document::{Corrected, Invoice, Kind, Line, Party, RateSum, Seller};
use crate::issue::treatment_of;
use crate::InvoiceError;

fn json<T: serde::de::DeserializeOwned>(
    what: &str,
    value: serde_json::Value,
) -> Result<T, InvoiceError> {
    serde_json::from_value(value).map_err(|e| InvoiceError::Invalid(format!("{what}: {e}")))
}

/// Invoice `id`, complete.
pub async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<Invoice>, InvoiceError> {
    let Some(r) = sqlx::query!(
        r#"SELECT i.id, i.kind, i.number, i.corrects, c.number AS "corrects_number?",
                  c.issued_on AS "corrects_issued_on?: NaiveDate", i.order_id,
                  o.number AS order_number, o.gateway, i.user_id, i.lang,
                  i.issued_on AS "issued_on: NaiveDate",
                  i.supplied_from AS "supplied_from: NaiveDate",
                  i.supplied_to AS "supplied_to: NaiveDate",
                  i.treatment, i.business, i.seller, i.buyer, i.lines, i.rates, i.net, i.vat,
                  i.total, i.paid_on AS "paid_on: NaiveDate", i.payment_method, i.note,
                  i.retain_until AS "retain_until: NaiveDate"
           FROM invoices i
           JOIN orders o ON o.id = i.order_id
           LEFT JOIN invoices c ON c.id = i.corrects
           WHERE i.id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let kind = Kind::parse(&r.kind).ok_or_else(|| InvoiceError::Invalid(r.kind.clone()))?;
    let corrects = match (r.corrects, r.corrects_number, r.corrects_issued_on) {
        (Some(id), Some(number), Some(issued_on)) => Some(Corrected {
            id,
            number,
            issued_on,
        }),
        _ => None,
    };
    let seller: Seller = json("seller", r.seller)?;
    let buyer: Party = json("buyer", r.buyer)?;
    let lines: Vec<Line> = json("lines", r.lines)?;
    let rates: Vec<RateSum> = json("rates", r.rates)?;
    Ok(Some(Invoice {
        id: r.id,
        kind,
        number: r.number,
        corrects,
        order_id: r.order_id,
        order_number: r.order_number,
        user_id: r.user_id,
        lang: r.lang,
        issued_on: r.issued_on,
        supplied_from: r.supplied_from,
        supplied_to: r.supplied_to,
        treatment: treatment_of(&r.treatment),
        business: r.business,
        seller,
        buyer,
        lines,
        rates,
        net: r.net,
        vat: r.vat,
        total: r.total,
        paid_on: r.paid_on,
        test_payment: r.payment_method == "test_gateway" || r.gateway == "test",
        payment_method: r.payment_method,
        note: r.note,
        retain_until: r.retain_until,
    }))
}

/// A rendered file of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub kind: String,
    pub key: String,
    pub bytes: i32,
    pub sha256: String,
}

/// The files of invoice `id` (pdf, xml).
pub async fn files(conn: &mut PgConnection, id: Uuid) -> Result<Vec<File>, InvoiceError> {
    Ok(sqlx::query_as!(
        File,
        "SELECT kind, key, bytes, sha256 FROM invoice_files WHERE invoice_id = $1 ORDER BY kind",
        id
    )
    .fetch_all(conn)
    .await?)
}

/// Records a rendered file (once; a second rendering of the same invoice keeps the first).
pub async fn add_file(
    conn: &mut PgConnection,
    id: Uuid,
    kind: &str,
    key: &str,
    bytes: usize,
    sha256: &str,
) -> Result<(), InvoiceError> {
    sqlx::query!(
        "INSERT INTO invoice_files (invoice_id, kind, key, bytes, sha256)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (invoice_id, kind) DO NOTHING",
        id,
        kind,
        key,
        i32::try_from(bytes).map_err(|_| InvoiceError::Render("file too large".into()))?,
        sha256
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An invoice in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: Uuid,
    pub kind: String,
    pub number: String,
    pub corrects_number: Option<String>,
    pub order_id: Uuid,
    pub order_number: i64,
    pub buyer: String,
    pub email: String,
    pub issued_on: NaiveDate,
    pub treatment: String,
    pub net: i64,
    pub vat: i64,
    pub total: i64,
    pub has_pdf: bool,
    pub has_xml: bool,
    pub finalized_at: DateTime<Utc>,
}

/// What a finance list is narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Part of the buyer's name, company or email, or an invoice or order number.
    pub query: Option<String>,
    /// `invoice` or `credit_note`.
    pub kind: Option<String>,
    pub user: Option<Uuid>,
    pub order: Option<Uuid>,
    /// Where it stands in Lexoffice: `waiting` (not pushed yet), `queued`, `failed`, `pushed`.
    pub sync: Option<String>,
}

/// What all invoices matching a filter add up to (credit notes count against), and how many
/// matched, however many a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub matched: i64,
    pub net: i64,
    pub vat: i64,
    pub total: i64,
}

/// Invoices and credit notes by `filter`, newest first, at most `limit`, with the totals of
/// every match.
pub async fn list(
    conn: &mut PgConnection,
    filter: &Filter,
    limit: i64,
) -> Result<(Vec<Listed>, Totals), InvoiceError> {
    let query = filter
        .query
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| {
            format!(
                "%{}%",
                q.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
    let rows = sqlx::query!(
        r#"SELECT i.id, i.kind, i.number, c.number AS "corrects_number?", i.order_id,
                  o.number AS order_number,
                  coalesce(i.buyer->>'company', i.buyer->>'name', '') AS "buyer!",
                  coalesce(i.buyer->>'email', '') AS "email!",
                  i.issued_on AS "issued_on: NaiveDate", i.treatment, i.net, i.vat, i.total,
                  EXISTS (SELECT 1 FROM invoice_files f WHERE f.invoice_id = i.id AND f.kind = 'pdf') AS "has_pdf!",
                  EXISTS (SELECT 1 FROM invoice_files f WHERE f.invoice_id = i.id AND f.kind = 'xml') AS "has_xml!",
                  i.finalized_at AS "finalized_at: DateTime<Utc>",
                  count(*) OVER () AS "matched!",
                  (sum(CASE WHEN i.kind = 'credit_note' THEN -i.net ELSE i.net END) OVER ())::bigint AS "sum_net!",
                  (sum(CASE WHEN i.kind = 'credit_note' THEN -i.vat ELSE i.vat END) OVER ())::bigint AS "sum_vat!",
                  (sum(CASE WHEN i.kind = 'credit_note' THEN -i.total ELSE i.total END) OVER ())::bigint AS "sum_total!"
           FROM invoices i
           JOIN orders o ON o.id = i.order_id
           LEFT JOIN invoices c ON c.id = i.corrects
           WHERE ($1::date IS NULL OR i.issued_on >= $1)
             AND ($2::date IS NULL OR i.issued_on <= $2)
             AND ($3::text IS NULL OR i.number ILIKE $3 OR o.number::text ILIKE $3
                  OR i.buyer->>'name' ILIKE $3 OR i.buyer->>'company' ILIKE $3
                  OR i.buyer->>'email' ILIKE $3)
             AND ($4::text IS NULL OR i.kind = $4)
             AND ($5::uuid IS NULL OR i.user_id = $5)
             AND ($6::uuid IS NULL OR i.order_id = $6)
             AND ($8::text IS NULL
                  OR coalesce((SELECT s.state FROM invoice_sync s WHERE s.invoice_id = i.id),
                              'waiting') = $8)
           ORDER BY i.issued_on DESC, i.finalized_at DESC
           LIMIT $7"#,
        filter.from as _,
        filter.to as _,
        query,
        filter.kind,
        filter.user,
        filter.order,
        limit,
        filter.sync
    )
    .fetch_all(conn)
    .await?;
    let totals = rows.first().map_or(Totals::default(), |r| Totals {
        matched: r.matched,
        net: r.sum_net,
        vat: r.sum_vat,
        total: r.sum_total,
    });
    let listed = rows
        .into_iter()
        .map(|r| Listed {
            id: r.id,
            kind: r.kind,
            number: r.number,
            corrects_number: r.corrects_number,
            order_id: r.order_id,
            order_number: r.order_number,
            buyer: r.buyer,
            email: r.email,
            issued_on: r.issued_on,
            treatment: r.treatment,
            net: r.net,
            vat: r.vat,
            total: r.total,
            has_pdf: r.has_pdf,
            has_xml: r.has_xml,
            finalized_at: r.finalized_at,
        })
        .collect();
    Ok((listed, totals))
}
