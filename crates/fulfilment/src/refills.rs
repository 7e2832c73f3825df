//! Refills: a client whose delivered followers (likes, views) dropped asks for a top-up
//! inside the product's guarantee window. A provider's part is refilled through its `refill`
//! action ([`SubmitRefill`]); a part delivered by hand becomes a task again.

use chrono::{DateTime, Utc};
use gd_accounts::AuditEvent;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::providers::{connect, ProviderError};
use crate::FulfilmentError;

/// Why a refill cannot be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefillRefused {
    /// Not delivered yet (or cancelled): nothing to top up.
    NotDelivered,
    /// The guarantee window has closed.
    WindowClosed,
    /// A refill is already under way.
    AlreadyAsked,
    /// The provider's service does not refill.
    NotOffered,
}

/// Whether a delivered part may be refilled now: delivered (`finished_at`), inside its
/// guarantee, and its service refills (always for a part delivered by hand).
pub fn may_refill(
    status: &str,
    finished_at: Option<DateTime<Utc>>,
    guarantee_days: i32,
    service_refills: bool,
    now: DateTime<Utc>,
) -> Result<(), RefillRefused> {
    let Some(finished) = finished_at.filter(|_| matches!(status, "completed" | "partial")) else {
        return Err(RefillRefused::NotDelivered);
    };
    if now > finished + chrono::Duration::days(i64::from(guarantee_days)) {
        return Err(RefillRefused::WindowClosed);
    }
    if !service_refills {
        return Err(RefillRefused::NotOffered);
    }
    Ok(())
}

/// Sends refill `refill_id` to its provider ([`submit_refill`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitRefill {
    pub refill_id: Uuid,
}

impl gd_jobs::Job for SubmitRefill {
    const QUEUE: &'static str = "growthdesk::submit_refill";
    const MAX_ATTEMPTS: i32 = 8;
}

/// The client `user` asks for a refill of fulfilment `fulfilment` (of one of their orders), on
/// the caller's transaction. `Ok(Err(_))` says why not; `NotFound` when it is not theirs.
pub async fn request(
    conn: &mut PgConnection,
    fulfilment: Uuid,
    user: Uuid,
) -> Result<Result<Uuid, RefillRefused>, FulfilmentError> {
    let f = sqlx::query!(
        r#"SELECT f.status, f.method, f.finished_at AS "finished_at: DateTime<Utc>",
                  f.guarantee_days, coalesce(s.refill, false) AS "refill!"
           FROM fulfilments f
           JOIN orders o ON o.id = f.order_id
           LEFT JOIN provider_services s ON s.provider_id = f.provider_id AND s.service = f.service
           WHERE f.id = $1 AND o.user_id = $2
           FOR UPDATE OF f"#,
        fulfilment,
        user
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(FulfilmentError::NotFound)?;
    let refills = f.method == "manual" || f.refill;
    if let Err(why) = may_refill(
        &f.status,
        f.finished_at,
        f.guarantee_days,
        refills,
        Utc::now(),
    ) {
        return Ok(Err(why));
    }
    let id = Uuid::now_v7();
    let inserted = sqlx::query_scalar!(
        "INSERT INTO refills (id, fulfilment_id, requested_by, status)
         VALUES ($1, $2, $3, 'requested')
         ON CONFLICT (fulfilment_id) WHERE status IN ('requested', 'submitted') DO NOTHING
         RETURNING id",
        id,
        fulfilment,
        user
    )
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Ok(Err(RefillRefused::AlreadyAsked));
    }
    gd_accounts::record(
        conn,
        &AuditEvent::new("fulfilment.refill_requested")
            .actor(Some(user))
            .subject(fulfilment)
            .details(serde_json::json!({ "refill": id })),
    )
    .await?;
    if f.method == "provider" {
        gd_jobs::enqueue(&mut *conn, &SubmitRefill { refill_id: id }).await?;
    }
    Ok(Ok(id))
}

/// Asks the provider for refill `id` unless it was sent before. A provider that cannot be
/// reached leaves it requested for the job's next attempt; a refusal closes it with the
/// provider's words.
pub async fn submit_refill(
    pool: &PgPool,
    http: &reqwest::Client,
    id: Uuid,
) -> Result<(), FulfilmentError> {
    let mut tx = pool.begin().await?;
    let Some(r) = sqlx::query!(
        r#"SELECT r.status, f.external_ref AS "external_ref?", p.kind AS "kind?",
                  p.api_url AS "api_url?", p.api_key AS "api_key?"
           FROM refills r
           JOIN fulfilments f ON f.id = r.fulfilment_id
           LEFT JOIN fulfilment_providers p ON p.id = f.provider_id
           WHERE r.id = $1
           FOR UPDATE OF r"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Err(FulfilmentError::NotFound);
    };
    if r.status != "requested" {
        return Ok(());
    }
    let provider = match (&r.kind, &r.api_url, &r.api_key) {
        (Some(kind), Some(url), Some(key)) => connect(kind, http, url, key),
        _ => None,
    };
    let (Some(provider), Some(reference)) = (provider, r.external_ref) else {
        close(&mut tx, id, "rejected", "the provider or its order is gone").await?;
        tx.commit().await?;
        return Ok(());
    };
    // A refill asked twice is refused by panels as "already requested", never delivered
    // twice, so the request needs no mark of its own before it goes out.
    drop(tx);
    let answer = provider.refill(&reference).await;
    let mut tx = pool.begin().await?;
    match answer {
        Ok(refill) => {
            sqlx::query!(
                "UPDATE refills SET status = 'submitted', external_ref = $2, updated_at = now()
                 WHERE id = $1 AND status = 'requested'",
                id,
                refill
            )
            .execute(&mut *tx)
            .await?;
        }
        Err(ProviderError::Refused(why)) => close(&mut tx, id, "rejected", &why).await?,
        Err(e @ (ProviderError::NotSent(_) | ProviderError::Uncertain(_))) => {
            return Err(FulfilmentError::Provider(e.to_string()));
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn close(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    note: &str,
) -> Result<(), FulfilmentError> {
    sqlx::query!(
        "UPDATE refills SET status = $2, note = $3, updated_at = now() WHERE id = $1",
        id,
        status,
        note
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Asks providers where their submitted refills stand; the number asked about.
pub(crate) async fn poll(pool: &PgPool, http: &reqwest::Client) -> Result<usize, FulfilmentError> {
    let open = sqlx::query!(
        r#"SELECT r.id, r.external_ref AS "external_ref!", p.kind, p.api_url, p.api_key
           FROM refills r
           JOIN fulfilments f ON f.id = r.fulfilment_id
           JOIN fulfilment_providers p ON p.id = f.provider_id
           WHERE r.status = 'submitted' AND r.external_ref IS NOT NULL
           ORDER BY r.updated_at
           LIMIT 100"#
    )
    .fetch_all(pool)
    .await?;
    let asked = open.len();
    for r in open {
        let Some(provider) = connect(&r.kind, http, &r.api_url, &r.api_key) else {
            continue;
        };
        let status = match provider.refill_status(&r.external_ref).await {
            Ok(status) => status,
            Err(e) => {
                tracing::warn!(refill = %r.id, error = %e, "refill status poll failed");
                continue;
            }
        };
        let done = status.eq_ignore_ascii_case("completed");
        let rejected = ["rejected", "canceled", "cancelled", "error"]
            .iter()
            .any(|s| status.eq_ignore_ascii_case(s));
        sqlx::query!(
            "UPDATE refills SET provider_status = $2,
                 status = CASE WHEN $3 THEN 'completed' WHEN $4 THEN 'rejected' ELSE status END,
                 updated_at = now()
             WHERE id = $1",
            r.id,
            status,
            done,
            rejected
        )
        .execute(pool)
        .await?;
    }
    Ok(asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refills_only_inside_the_window_and_when_offered() {
        let now = Utc::now();
        let day = chrono::Duration::days(1);
        assert_eq!(
            may_refill("completed", Some(now - day * 5), 30, true, now),
            Ok(())
        );
        assert_eq!(
            may_refill("partial", Some(now - day * 29), 30, true, now),
            Ok(())
        );
        assert_eq!(
            may_refill("completed", Some(now - day * 31), 30, true, now),
            Err(RefillRefused::WindowClosed)
        );
        assert_eq!(
            may_refill("in_progress", None, 30, true, now),
            Err(RefillRefused::NotDelivered)
        );
        assert_eq!(
            may_refill("cancelled", Some(now), 30, true, now),
            Err(RefillRefused::NotDelivered)
        );
        assert_eq!(
            may_refill("completed", Some(now), 30, false, now),
            Err(RefillRefused::NotOffered)
        );
    }
}
