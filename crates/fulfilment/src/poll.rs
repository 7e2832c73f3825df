//! Following what providers do: the worker's schedule asks each provider where its open
//! orders stand, in batches (one request per provider and batch), least recently asked
//! first, and moves each fulfilment (and, once all are final, its order) on.

use std::collections::BTreeMap;

use sqlx::PgPool;
use uuid::Uuid;

use crate::providers::{connect, OrderState, Status};
use crate::FulfilmentError;

/// What one round of polling did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Fulfilments asked about.
    pub asked: usize,
    /// Fulfilments whose state changed.
    pub changed: usize,
    /// Fulfilments that became final (completed, partial, cancelled).
    pub finished: usize,
    /// Refills asked about.
    pub refills: usize,
    /// Providers that could not answer (their fulfilments are asked again next round).
    pub failed_providers: usize,
}

struct Open {
    id: Uuid,
    order_id: Uuid,
    period_id: Option<Uuid>,
    external_ref: String,
    status: String,
}

/// Asks providers about up to `limit` open fulfilments and every submitted refill.
pub async fn poll(
    pool: &PgPool,
    http: &reqwest::Client,
    limit: i64,
) -> Result<PollReport, FulfilmentError> {
    let rows = sqlx::query!(
        r#"SELECT f.id, f.order_id, f.period_id, f.external_ref AS "external_ref!", f.status,
                  f.provider_id AS "provider_id!", p.kind, p.api_url, p.api_key
           FROM fulfilments f
           JOIN fulfilment_providers p ON p.id = f.provider_id
           WHERE f.method = 'provider' AND f.status IN ('submitted', 'in_progress')
             AND f.external_ref IS NOT NULL
           ORDER BY f.last_polled_at NULLS FIRST, f.submitted_at
           LIMIT $1"#,
        limit
    )
    .fetch_all(pool)
    .await?;
    let mut by_provider: BTreeMap<Uuid, (String, String, String, Vec<Open>)> = BTreeMap::new();
    for r in rows {
        by_provider
            .entry(r.provider_id)
            .or_insert_with(|| (r.kind, r.api_url, r.api_key, Vec::new()))
            .3
            .push(Open {
                id: r.id,
                order_id: r.order_id,
                period_id: r.period_id,
                external_ref: r.external_ref,
                status: r.status,
            });
    }
    let mut report = PollReport::default();
    for (provider_id, (kind, url, key, open)) in by_provider {
        let Some(provider) = connect(&kind, http, &url, &key) else {
            continue;
        };
        for batch in open.chunks(provider.batch_size().max(1)) {
            let refs: Vec<String> = batch.iter().map(|o| o.external_ref.clone()).collect();
            report.asked += batch.len();
            let answers = match provider.progress(&refs).await {
                Ok(answers) => answers,
                Err(e) => {
                    report.failed_providers += 1;
                    tracing::warn!(%provider_id, error = %e, "provider status poll failed");
                    sqlx::query!(
                        "UPDATE fulfilment_providers SET last_error = $2, updated_at = now()
                         WHERE id = $1",
                        provider_id,
                        e.to_string()
                    )
                    .execute(pool)
                    .await?;
                    break;
                }
            };
            let answers: BTreeMap<String, Result<OrderState, String>> =
                answers.into_iter().collect();
            for o in batch {
                let answer = answers
                    .get(&o.external_ref)
                    .cloned()
                    .unwrap_or_else(|| Err("the provider did not mention this order".to_owned()));
                let (changed, finished) = apply(pool, o, answer).await?;
                report.changed += usize::from(changed);
                report.finished += usize::from(finished);
            }
        }
    }
    report.refills = crate::refills::poll(pool, http).await?;
    Ok(report)
}

/// Our status for a provider's.
fn ours(status: &Status) -> Option<&'static str> {
    match status {
        Status::Pending => Some("submitted"),
        Status::InProgress | Status::Processing => Some("in_progress"),
        Status::Partial => Some("partial"),
        Status::Completed => Some("completed"),
        Status::Canceled => Some("cancelled"),
        Status::Other(_) => None,
    }
}

fn words(status: &Status) -> String {
    match status {
        Status::Pending => "Pending".into(),
        Status::InProgress => "In progress".into(),
        Status::Processing => "Processing".into(),
        Status::Partial => "Partial".into(),
        Status::Completed => "Completed".into(),
        Status::Canceled => "Canceled".into(),
        Status::Other(s) => s.clone(),
    }
}

/// Records one provider answer; (changed, became final).
async fn apply(
    pool: &PgPool,
    o: &Open,
    answer: Result<OrderState, String>,
) -> Result<(bool, bool), FulfilmentError> {
    let mut tx = pool.begin().await?;
    let state = match answer {
        Ok(state) => state,
        Err(why) => {
            sqlx::query!(
                "UPDATE fulfilments SET error = $2, last_polled_at = now() WHERE id = $1",
                o.id,
                why
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok((false, false));
        }
    };
    let next = ours(&state.status).unwrap_or(o.status.as_str());
    let finished = matches!(next, "completed" | "partial" | "cancelled");
    // A partial with nothing left to deliver is complete after all.
    let next = if next == "partial" && state.remains == Some(0) {
        "completed"
    } else {
        next
    };
    let updated = sqlx::query!(
        "UPDATE fulfilments SET
             status = $2, provider_status = $3, start_count = coalesce($4, start_count),
             remains = CASE WHEN $2 = 'completed' THEN 0 ELSE coalesce($5, remains) END,
             charge_micros = coalesce($6, charge_micros), error = NULL,
             started_at = CASE WHEN $2 <> 'submitted' THEN coalesce(started_at, now())
                               ELSE started_at END,
             finished_at = CASE WHEN $7 THEN now() ELSE finished_at END,
             last_polled_at = now(),
             updated_at = CASE WHEN status <> $2 THEN now() ELSE updated_at END
         WHERE id = $1 AND status IN ('submitted', 'in_progress')
         RETURNING id",
        o.id,
        next,
        words(&state.status),
        state.start_count,
        state.remains.map(|r| r.max(0)),
        state.charge_micros,
        finished
    )
    .fetch_optional(&mut *tx)
    .await?;
    let changed = updated.is_some() && next != o.status;
    if changed && finished {
        crate::follow(&mut tx, o.order_id, o.period_id).await?;
    }
    tx.commit().await?;
    Ok((changed, changed && finished))
}
