//! Storing leads. Every function takes a connection so the caller decides the transaction,
//! except [`submit`], whose whole point is one transaction.

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::{LeadError, LeadReceived, Locale, NewLead};

/// A stored lead, as the worker and the back office see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Lead {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub instagram_handle: Option<String>,
    pub message: String,
    pub locale: String,
    pub created_at: DateTime<Utc>,
    pub confirmation_sent_at: Option<DateTime<Utc>>,
    pub notification_sent_at: Option<DateTime<Utc>>,
}

impl Lead {
    pub fn locale(&self) -> Locale {
        Locale::parse(&self.locale)
    }
}

/// The outcome of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submission {
    pub lead_id: Uuid,
    /// True when the same lead had already been submitted within the window: nothing new was
    /// stored and no mail will be sent again.
    pub duplicate: bool,
}

/// Stores `lead` and enqueues its mails in one transaction, unless the same lead arrived within
/// the last `window_secs` seconds. Concurrent identical submissions are serialised on an
/// advisory lock keyed by the lead's identity, so exactly one of them inserts.
pub async fn submit(
    conn: &mut PgConnection,
    lead: &NewLead,
    window_secs: i64,
) -> Result<Submission, LeadError> {
    let mut tx = conn.begin().await?;
    let key = lead.dedupe_key();

    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &key
    )
    .execute(&mut *tx)
    .await?;

    let existing: Option<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM leads
         WHERE dedupe_key = md5($1) AND created_at > now() - make_interval(secs => $2)
         ORDER BY created_at DESC LIMIT 1",
        &key,
        window_secs as f64
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(lead_id) = existing {
        tx.commit().await?;
        return Ok(Submission {
            lead_id,
            duplicate: true,
        });
    }

    let lead_id = Uuid::now_v7();
    insert(&mut tx, lead_id, lead, &key).await?;
    gd_jobs::enqueue(&mut tx, &LeadReceived { lead_id }).await?;
    tx.commit().await?;
    tracing::info!(%lead_id, "lead stored");
    Ok(Submission {
        lead_id,
        duplicate: false,
    })
}

async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    lead: &NewLead,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO leads (id, name, email, instagram_handle, message, locale, consent_at, dedupe_key)
         VALUES ($1, $2, $3, $4, $5, $6, now(), md5($7))",
        id,
        lead.name.as_str(),
        lead.email.as_str(),
        lead.instagram.as_ref().map(|h| h.as_str()),
        lead.message.as_str(),
        lead.locale.as_str(),
        key
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Lead, LeadError> {
    sqlx::query_as!(
        Lead,
        r#"SELECT id, name, email, instagram_handle, message, locale, created_at AS "created_at: _",
                  confirmation_sent_at AS "confirmation_sent_at: _",
                  notification_sent_at AS "notification_sent_at: _"
           FROM leads WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(LeadError::NotFound(id))
}

pub async fn mark_confirmation_sent(conn: &mut PgConnection, id: Uuid) -> Result<(), LeadError> {
    sqlx::query!(
        "UPDATE leads SET confirmation_sent_at = now() WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_notification_sent(conn: &mut PgConnection, id: Uuid) -> Result<(), LeadError> {
    sqlx::query!(
        "UPDATE leads SET notification_sent_at = now() WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}
