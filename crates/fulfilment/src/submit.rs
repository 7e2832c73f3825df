//! Sending one fulfilment to its provider, at most once.
//!
//! Providers take no idempotency key, so "at most once" is ours to keep: the fulfilment is
//! marked `submitting` and committed before the request goes out. Whatever happens next (an
//! answer, an error, the worker killed mid-request and the job run again), a fulfilment found
//! `submitting` is never sent again; without a definite answer it is held as `uncertain` for
//! an admin, who looks at the provider's panel and sends it again or enters its order id.
//! While the request may still be under way (a second run of the same job, which apalis starts
//! when another worker starts), the second run waits for the first's answer instead.

use gd_accounts::AuditEvent;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::providers::{connect, AddOrder, DripFeed, ProviderError};
use crate::FulfilmentError;

/// How long a request to a provider may be under way (its timeout plus a margin): a fulfilment
/// `submitting` for longer was left by a run that died.
const IN_FLIGHT: std::time::Duration = std::time::Duration::from_secs(40);

/// Sends fulfilment `fulfilment_id` to its provider ([`submit`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitFulfilment {
    pub fulfilment_id: Uuid,
}

impl gd_jobs::Job for SubmitFulfilment {
    const QUEUE: &'static str = "growthdesk::submit_fulfilment";
    const MAX_ATTEMPTS: i32 = 8;
}

/// What one submit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// The provider took it: its order id.
    Sent(String),
    /// Not queued for a provider (sent before, held, cancelled): nothing to do.
    Nothing,
    /// Held for an admin: the provider refused, or whether it acted is unknown.
    Held(&'static str),
}

/// Sends fulfilment `id` to its provider unless it was sent (or tried) before. A provider that
/// cannot be reached leaves it queued and returns [`FulfilmentError::Provider`], so the job
/// tries again after its back-off.
pub async fn submit(
    pool: &PgPool,
    http: &reqwest::Client,
    id: Uuid,
) -> Result<Submitted, FulfilmentError> {
    // Another run asking the provider right now (apalis hands a running job to a worker that
    // starts meanwhile) decides; this run waits for its answer, or for the window to pass.
    let started = std::time::Instant::now();
    loop {
        match submit_once(pool, http, id).await {
            Err(FulfilmentError::InFlight) if started.elapsed() < IN_FLIGHT + IN_FLIGHT => {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            other => return other,
        }
    }
}

async fn submit_once(
    pool: &PgPool,
    http: &reqwest::Client,
    id: Uuid,
) -> Result<Submitted, FulfilmentError> {
    let mut tx = pool.begin().await?;
    let Some(f) = sqlx::query!(
        r#"SELECT f.status, f.method, f.service AS "service?", f.target, f.quantity, f.drip_runs,
                  f.drip_interval_minutes, p.kind AS "kind?", p.api_url AS "api_url?",
                  p.api_key AS "api_key?",
                  coalesce(f.submitted_at > now() - make_interval(secs => $2), false) AS "in_flight!"
           FROM fulfilments f
           LEFT JOIN fulfilment_providers p ON p.id = f.provider_id
           WHERE f.id = $1
           FOR UPDATE OF f"#,
        id,
        IN_FLIGHT.as_secs_f64()
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Err(FulfilmentError::NotFound);
    };
    if f.status == "submitting" && f.in_flight {
        // Another run is asking the provider right now (apalis hands a running job to a
        // worker that starts meanwhile): its answer decides; this run looks again later.
        return Err(FulfilmentError::InFlight);
    }
    if f.status == "submitting" {
        // A run before this one marked it and never recorded an answer in time: it died
        // mid-request.
        hold(
            &mut tx,
            id,
            "uncertain",
            "the worker stopped while asking the provider; check the provider's panel before sending it again",
        )
        .await?;
        tx.commit().await?;
        return Ok(Submitted::Held("uncertain"));
    }
    if f.status != "queued" || f.method != "provider" {
        return Ok(Submitted::Nothing);
    }
    let (Some(kind), Some(url), Some(key), Some(service)) =
        (f.kind, f.api_url, f.api_key, f.service)
    else {
        hold(
            &mut tx,
            id,
            "unrouted",
            "the provider of this fulfilment is gone",
        )
        .await?;
        tx.commit().await?;
        return Ok(Submitted::Held("unrouted"));
    };
    let Some(provider) = connect(&kind, http, &url, &key) else {
        hold(
            &mut tx,
            id,
            "unrouted",
            &format!("provider kind {kind} is unknown"),
        )
        .await?;
        tx.commit().await?;
        return Ok(Submitted::Held("unrouted"));
    };
    sqlx::query!(
        "UPDATE fulfilments SET status = 'submitting', submitted_at = now(), updated_at = now()
         WHERE id = $1",
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    let order = AddOrder {
        service,
        link: f.target,
        quantity: f.quantity,
        drip_feed: match (f.drip_runs, f.drip_interval_minutes) {
            (Some(runs), Some(interval)) => Some(DripFeed {
                runs: u32::try_from(runs).unwrap_or(0),
                interval_minutes: u32::try_from(interval).unwrap_or(0),
            }),
            _ => None,
        },
    };
    let answer = provider.submit(&order).await;

    let mut tx = pool.begin().await?;
    let outcome = match answer {
        Ok(reference) => {
            sqlx::query!(
                "UPDATE fulfilments SET status = 'submitted', external_ref = $2, error = NULL,
                     updated_at = now()
                 WHERE id = $1",
                id,
                reference
            )
            .execute(&mut *tx)
            .await?;
            gd_accounts::record(
                &mut tx,
                &AuditEvent::new("fulfilment.submitted")
                    .subject(id)
                    .details(serde_json::json!({ "provider_order": reference })),
            )
            .await?;
            crate::follow::started(&mut tx, id).await?;
            Submitted::Sent(reference)
        }
        Err(ProviderError::NotSent(why)) => {
            // Nothing reached the provider: back in the queue for the job's next attempt.
            sqlx::query!(
                "UPDATE fulfilments SET status = 'queued', error = $2, updated_at = now()
                 WHERE id = $1",
                id,
                why
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Err(FulfilmentError::Provider(why));
        }
        Err(ProviderError::Refused(why)) => {
            hold(&mut tx, id, "refused", &why).await?;
            Submitted::Held("refused")
        }
        Err(ProviderError::Uncertain(why)) => {
            hold(&mut tx, id, "uncertain", &why).await?;
            Submitted::Held("uncertain")
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Holds fulfilment `id` for an admin's decision, with why.
pub(crate) async fn hold(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    reason: &str,
    why: &str,
) -> Result<(), FulfilmentError> {
    sqlx::query!(
        "UPDATE fulfilments SET status = 'held', hold_reason = $2, error = $3, updated_at = now()
         WHERE id = $1",
        id,
        reason,
        why
    )
    .execute(&mut *conn)
    .await?;
    gd_accounts::record(
        conn,
        &AuditEvent::new("fulfilment.held")
            .subject(id)
            .details(serde_json::json!({ "reason": reason, "error": why })),
    )
    .await?;
    Ok(())
}
