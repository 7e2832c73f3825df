//! The people's side of fulfilment: the admin portal's work list (manual tasks to claim and
//! complete, held lines to decide, refills to do by hand), the notes and proofs on a task,
//! and what an order's page shows of its delivery.

use chrono::{DateTime, Utc};
use gd_accounts::AuditEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{FulfilmentError, SubmitFulfilment};

/// One fulfilment as people see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_number: i64,
    pub period_id: Option<Uuid>,
    pub title: String,
    pub target: String,
    pub quantity: i64,
    pub method: String,
    pub provider: Option<String>,
    pub service: Option<String>,
    pub status: String,
    pub hold_reason: Option<String>,
    pub error: Option<String>,
    pub external_ref: Option<String>,
    pub provider_status: Option<String>,
    pub start_count: Option<i64>,
    pub remains: Option<i64>,
    pub paid_net: i64,
    pub cost_estimate: Option<i64>,
    pub claimed_by: Option<String>,
    pub guarantee_days: i32,
    pub refill_offered: bool,
    /// The open refill's status, or the last one's.
    pub refill: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A note or proof on a fulfilment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub author: Option<String>,
    pub body: String,
    pub file_key: Option<String>,
    pub file_name: Option<String>,
    pub file_type: Option<String>,
}

macro_rules! parts_query {
    ($where:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            Part,
            r#"SELECT f.id, f.order_id, o.number AS order_number, f.period_id, f.title, f.target,
                      f.quantity, f.method, p.name AS "provider?", f.service, f.status,
                      f.hold_reason, f.error, f.external_ref, f.provider_status, f.start_count,
                      f.remains, f.paid_net, f.cost_estimate, u.email AS "claimed_by?",
                      f.guarantee_days,
                      (f.method = 'manual' OR coalesce(s.refill, false)) AS "refill_offered!",
                      (SELECT r.status FROM refills r WHERE r.fulfilment_id = f.id
                       ORDER BY r.requested_at DESC LIMIT 1) AS "refill?",
                      f.created_at AS "created_at: DateTime<Utc>",
                      f.finished_at AS "finished_at: DateTime<Utc>",
                      f.updated_at AS "updated_at: DateTime<Utc>"
               FROM fulfilments f
               JOIN orders o ON o.id = f.order_id
               LEFT JOIN fulfilment_providers p ON p.id = f.provider_id
               LEFT JOIN provider_services s ON s.provider_id = f.provider_id AND s.service = f.service
               LEFT JOIN users u ON u.id = f.claimed_by
               "# + $where,
            $($arg),*
        )
    };
}

/// Everything of order `order`'s delivery, oldest first.
pub async fn of_order(conn: &mut PgConnection, order: Uuid) -> Result<Vec<Part>, FulfilmentError> {
    Ok(
        parts_query!("WHERE f.order_id = $1 ORDER BY f.created_at, f.part", order)
            .fetch_all(conn)
            .await?,
    )
}

/// Order `order`'s delivery if `user` placed it (`NotFound` otherwise).
pub async fn of_users_order(
    conn: &mut PgConnection,
    order: Uuid,
    user: Uuid,
) -> Result<Vec<Part>, FulfilmentError> {
    let owner = sqlx::query_scalar!("SELECT user_id FROM orders WHERE id = $1", order)
        .fetch_optional(&mut *conn)
        .await?;
    if owner != Some(user) {
        return Err(FulfilmentError::NotFound);
    }
    of_order(conn, order).await
}

/// What needs people: open manual tasks, held lines, provider lines not yet final, and
/// parts with a refill to do by hand; held and oldest first.
pub async fn open(conn: &mut PgConnection, limit: i64) -> Result<Vec<Part>, FulfilmentError> {
    Ok(parts_query!(
        "WHERE f.status IN ('queued', 'held', 'submitting', 'submitted', 'in_progress')
            OR EXISTS (SELECT 1 FROM refills r WHERE r.fulfilment_id = f.id
                       AND r.status = 'requested' AND f.method = 'manual')
         ORDER BY (f.status = 'held') DESC, f.created_at
         LIMIT $1",
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// One fulfilment with its notes.
pub async fn one(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<(Part, Vec<Note>)>, FulfilmentError> {
    let Some(part) = parts_query!("WHERE f.id = $1", id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let notes = sqlx::query_as!(
        Note,
        r#"SELECT n.id, n.at AS "at: DateTime<Utc>", u.email AS "author?", n.body, n.file_key,
                  n.file_name, n.file_type
           FROM fulfilment_notes n LEFT JOIN users u ON u.id = n.author_id
           WHERE n.fulfilment_id = $1 ORDER BY n.id"#,
        id
    )
    .fetch_all(conn)
    .await?;
    Ok(Some((part, notes)))
}

/// Orders in fulfilment longer than `hours` without any change: flagged for admins.
pub async fn stuck(
    conn: &mut PgConnection,
    hours: i64,
) -> Result<Vec<(Uuid, i64, DateTime<Utc>)>, FulfilmentError> {
    let rows = sqlx::query!(
        r#"SELECT o.id, o.number, max(f.updated_at) AS "since!: DateTime<Utc>"
           FROM orders o JOIN fulfilments f ON f.order_id = o.id
           WHERE o.status = 'in_fulfilment'
           GROUP BY o.id, o.number
           HAVING max(f.updated_at) < now() - make_interval(hours => $1::int)
           ORDER BY 3"#,
        i32::try_from(hours).unwrap_or(i32::MAX)
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.number, r.since))
        .collect())
}

/// Why a person's step on a task was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskRefused {
    /// The task is not in a state that allows this step (someone else was quicker).
    NotNow,
    /// A delivered quantity outside 0 … the ordered quantity.
    Quantity,
    /// A note longer than 2,000 characters, or empty without a file.
    Note,
}

/// What an admin decides about a held line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send it to its provider (after checking the provider's panel for an uncertain one).
    Send,
    /// The provider did take it: here is its order id there.
    Reference(String),
    /// Deliver it by hand instead.
    Manual,
    /// Do not deliver it (the client gets a refund for it).
    Cancel,
}

async fn locked(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<(String, String, Uuid, Option<Uuid>, i64), FulfilmentError> {
    let r = sqlx::query!(
        "SELECT status, method, order_id, period_id, quantity FROM fulfilments WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(FulfilmentError::NotFound)?;
    Ok((r.status, r.method, r.order_id, r.period_id, r.quantity))
}

async fn audit(
    conn: &mut PgConnection,
    action: &'static str,
    actor: Uuid,
    id: Uuid,
    details: serde_json::Value,
) -> Result<(), FulfilmentError> {
    gd_accounts::record(
        conn,
        &AuditEvent::new(action)
            .actor(Some(actor))
            .subject(id)
            .details(details),
    )
    .await?;
    Ok(())
}

/// `actor` takes the manual task `id`: it is in progress and theirs.
pub async fn claim(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Uuid,
) -> Result<Result<(), TaskRefused>, FulfilmentError> {
    let (status, method, ..) = locked(conn, id).await?;
    if method != "manual" || status != "queued" {
        return Ok(Err(TaskRefused::NotNow));
    }
    sqlx::query!(
        "UPDATE fulfilments SET status = 'in_progress', claimed_by = $2, claimed_at = now(),
             started_at = coalesce(started_at, now()), updated_at = now()
         WHERE id = $1",
        id,
        actor
    )
    .execute(&mut *conn)
    .await?;
    audit(conn, "fulfilment.claimed", actor, id, serde_json::json!({})).await?;
    crate::follow::started(conn, id).await?;
    Ok(Ok(()))
}

/// A stored proof file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub key: String,
    pub name: String,
    pub content_type: String,
}

/// The largest proof file taken (a screenshot or a provider's PDF receipt), in bytes.
pub const PROOF_MAX_BYTES: usize = 10 * 1024 * 1024;

/// What a proof file is, judged by its first bytes (never by its name or the browser's word):
/// its extension and MIME type. JPEG, PNG, WebP and PDF; nothing else.
pub fn proof_kind(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("jpg", "image/jpeg"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("png", "image/png"))
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("webp", "image/webp"))
    } else if bytes.starts_with(b"%PDF-") {
        Some(("pdf", "application/pdf"))
    } else {
        None
    }
}

/// Where fulfilment `id`'s proof goes in the object storage (a private prefix: served to
/// admins only, never under `/media`).
pub fn proof_key(id: Uuid, ext: &str) -> String {
    format!("proofs/{id}/{}.{ext}", Uuid::now_v7().simple())
}

/// The name a proof is shown and downloaded under: the last part of what the browser sent,
/// without control characters or quotes, at most 120 characters; `fallback` when nothing is
/// left.
pub fn proof_name(sent: &str, fallback: &str) -> String {
    let last = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | ';'))
        .take(120)
        .collect();
    let clean = clean.trim();
    if clean.is_empty() {
        fallback.to_owned()
    } else {
        clean.to_owned()
    }
}

/// The notes on each of fulfilments `ids`, oldest first.
pub async fn notes_of(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<Note>>, FulfilmentError> {
    let rows = sqlx::query!(
        r#"SELECT n.fulfilment_id, n.id, n.at AS "at: DateTime<Utc>", u.email AS "author?",
                  n.body, n.file_key, n.file_name, n.file_type
           FROM fulfilment_notes n LEFT JOIN users u ON u.id = n.author_id
           WHERE n.fulfilment_id = ANY($1) ORDER BY n.id"#,
        ids
    )
    .fetch_all(conn)
    .await?;
    let mut notes: std::collections::HashMap<Uuid, Vec<Note>> = Default::default();
    for r in rows {
        notes.entry(r.fulfilment_id).or_default().push(Note {
            id: r.id,
            at: r.at,
            author: r.author,
            body: r.body,
            file_key: r.file_key,
            file_name: r.file_name,
            file_type: r.file_type,
        });
    }
    Ok(notes)
}

/// The proof file of note `note`, if it has one.
pub async fn proof_of(
    conn: &mut PgConnection,
    note: i64,
) -> Result<Option<Proof>, FulfilmentError> {
    let row = sqlx::query!(
        "SELECT file_key, file_name, file_type FROM fulfilment_notes WHERE id = $1",
        note
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|r| {
        Some(Proof {
            key: r.file_key?,
            name: r.file_name.unwrap_or_default(),
            content_type: r.file_type.unwrap_or_default(),
        })
    }))
}

/// `actor` notes `body` (and a proof already stored) on fulfilment `id`.
pub async fn add_note(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Uuid,
    body: &str,
    proof: Option<Proof>,
) -> Result<Result<i64, TaskRefused>, FulfilmentError> {
    let body = body.trim();
    if body.chars().count() > 2000 || (body.is_empty() && proof.is_none()) {
        return Ok(Err(TaskRefused::Note));
    }
    locked(conn, id).await?;
    let note = sqlx::query_scalar!(
        "INSERT INTO fulfilment_notes (fulfilment_id, author_id, body, file_key, file_name, file_type)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        id,
        actor,
        body,
        proof.as_ref().map(|p| p.key.clone()),
        proof.as_ref().map(|p| p.name.clone()),
        proof.as_ref().map(|p| p.content_type.clone()),
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE fulfilments SET updated_at = now() WHERE id = $1",
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok(Ok(note))
}

/// `actor` finishes the manual task `id` with `delivered` units (None or all of them:
/// completed; fewer: partial, the rest suggested for a refund); the order follows.
pub async fn complete(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Uuid,
    delivered: Option<i64>,
) -> Result<Result<(), TaskRefused>, FulfilmentError> {
    let (status, method, order, period, quantity) = locked(conn, id).await?;
    let delivered = delivered.unwrap_or(quantity);
    if method != "manual" || !matches!(status.as_str(), "queued" | "in_progress") {
        return Ok(Err(TaskRefused::NotNow));
    }
    if !(0..=quantity).contains(&delivered) {
        return Ok(Err(TaskRefused::Quantity));
    }
    let next = if delivered == quantity {
        "completed"
    } else {
        "partial"
    };
    sqlx::query!(
        "UPDATE fulfilments SET status = $2, remains = $3, finished_at = now(),
             started_at = coalesce(started_at, now()), claimed_by = coalesce(claimed_by, $4),
             updated_at = now()
         WHERE id = $1",
        id,
        next,
        quantity - delivered,
        actor
    )
    .execute(&mut *conn)
    .await?;
    audit(
        conn,
        "fulfilment.completed",
        actor,
        id,
        serde_json::json!({ "delivered": delivered, "quantity": quantity }),
    )
    .await?;
    crate::follow(conn, order, period).await?;
    Ok(Ok(()))
}

/// `actor` finishes a refill done by hand on fulfilment `id`.
pub async fn complete_refill(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Uuid,
) -> Result<Result<(), TaskRefused>, FulfilmentError> {
    let done = sqlx::query_scalar!(
        "UPDATE refills SET status = 'completed', updated_at = now()
         WHERE fulfilment_id = $1 AND status = 'requested' RETURNING id",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(refill) = done else {
        return Ok(Err(TaskRefused::NotNow));
    };
    audit(
        conn,
        "fulfilment.refilled",
        actor,
        id,
        serde_json::json!({ "refill": refill }),
    )
    .await?;
    Ok(Ok(()))
}

/// `actor` decides about the held line `id`.
pub async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Uuid,
    decision: Decision,
) -> Result<Result<(), TaskRefused>, FulfilmentError> {
    let (status, method, order, period, _) = locked(conn, id).await?;
    // A queued provider line whose job gave up (the provider was down for hours) may be sent
    // again too.
    let resend = status == "queued" && method == "provider";
    if status != "held" && !(resend && decision == Decision::Send) {
        return Ok(Err(TaskRefused::NotNow));
    }
    let what = match &decision {
        Decision::Send => {
            if method != "provider" {
                return Ok(Err(TaskRefused::NotNow));
            }
            sqlx::query!(
                "UPDATE fulfilments SET status = 'queued', hold_reason = NULL, error = NULL,
                     updated_at = now()
                 WHERE id = $1",
                id
            )
            .execute(&mut *conn)
            .await?;
            gd_jobs::enqueue(&mut *conn, &SubmitFulfilment { fulfilment_id: id }).await?;
            "send"
        }
        Decision::Reference(reference) => {
            let reference = reference.trim();
            if method != "provider" || reference.is_empty() || reference.len() > 40 {
                return Ok(Err(TaskRefused::NotNow));
            }
            sqlx::query!(
                "UPDATE fulfilments SET status = 'submitted', external_ref = $2,
                     hold_reason = NULL, error = NULL, submitted_at = coalesce(submitted_at, now()),
                     updated_at = now()
                 WHERE id = $1",
                id,
                reference
            )
            .execute(&mut *conn)
            .await?;
            crate::follow::started(conn, id).await?;
            "reference"
        }
        Decision::Manual => {
            sqlx::query!(
                "UPDATE fulfilments SET method = 'manual', status = 'queued', hold_reason = NULL,
                     error = NULL, updated_at = now()
                 WHERE id = $1",
                id
            )
            .execute(&mut *conn)
            .await?;
            "manual"
        }
        Decision::Cancel => {
            sqlx::query!(
                "UPDATE fulfilments SET status = 'cancelled', hold_reason = NULL,
                     finished_at = now(), updated_at = now()
                 WHERE id = $1",
                id
            )
            .execute(&mut *conn)
            .await?;
            "cancel"
        }
    };
    audit(
        conn,
        "fulfilment.decided",
        actor,
        id,
        serde_json::json!({ "decision": what, "was": status }),
    )
    .await?;
    if decision == Decision::Cancel {
        crate::follow(conn, order, period).await?;
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod proof_tests {
    use super::*;

    #[test]
    fn a_proof_is_judged_by_its_content() {
        assert_eq!(
            proof_kind(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some(("jpg", "image/jpeg"))
        );
        assert_eq!(
            proof_kind(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(("png", "image/png"))
        );
        assert_eq!(
            proof_kind(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(("webp", "image/webp"))
        );
        assert_eq!(
            proof_kind(b"%PDF-1.7\n%\xE2\xE3"),
            Some(("pdf", "application/pdf"))
        );
        for other in [
            &b""[..],
            b"<html><script>alert(1)</script>",
            b"GIF89a",
            b"RIFF\x10\0\0\0WAVEfmt ",
            b"PK\x03\x04",
        ] {
            assert_eq!(proof_kind(other), None, "{other:?}");
        }
    }

    #[test]
    fn a_proof_keeps_a_plain_name() {
        assert_eq!(proof_name("C:\\Users\\a\\Beleg 1.pdf", "x"), "Beleg 1.pdf");
        assert_eq!(proof_name("dir/shot.png", "x"), "shot.png");
        assert_eq!(proof_name("a\"b;c\r\n.jpg", "x"), "abc.jpg");
        assert_eq!(proof_name("  ", "proof.pdf"), "proof.pdf");
        assert_eq!(proof_name(&"ä".repeat(200), "x").chars().count(), 120);
        let key = proof_key(Uuid::nil(), "pdf");
        assert!(key.starts_with("proofs/00000000-0000-0000-0000-000000000000/"));
        assert!(key.ends_with(".pdf"));
    }
}
