//! Operations server functions: the background jobs (queued, running, retrying with their
//! error, dead; retry and cancel) and the mail (every template previewed with sample data;
//! the delivery history of an order, a person or an address).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    pub id: String,
    /// The queue, short ("order_confirmation").
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: String,
    pub done_at: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub kind: String,
    /// (state, jobs) for queued, running, retrying, dead.
    pub counts: Vec<(String, i64)>,
    /// Whole seconds the oldest due job has waited.
    pub oldest_due_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsView {
    pub queues: Vec<QueueView>,
    pub jobs: Vec<JobView>,
}

/// Jobs in `state` (queued, running, retrying, dead, done, cancelled; empty: all but done),
/// newest first, with every queue's depth and latency.
#[server(prefix = "/api", endpoint = "admin_jobs")]
pub async fn admin_jobs(#[server(default)] state: String) -> Result<JobsView, AppError> {
    server::jobs(&state).await
}

/// Runs dead or retrying job `id` again now (409 when it is running or done meanwhile).
#[server(prefix = "/api", endpoint = "admin_retry_job")]
pub async fn admin_retry_job(#[server(default)] id: String) -> Result<(), AppError> {
    server::retry(&id).await
}

/// Cancels waiting job `id`: it never runs (409 when it is running or done).
#[server(prefix = "/api", endpoint = "admin_cancel_job")]
pub async fn admin_cancel_job(#[server(default)] id: String) -> Result<(), AppError> {
    server::cancel(&id).await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailPreview {
    pub kinds: Vec<String>,
    pub kind: String,
    pub lang: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Mail template `kind` in `lang`, rendered with sample data (the first kind when empty).
#[server(prefix = "/api", endpoint = "admin_mail_preview")]
pub async fn admin_mail_preview(
    #[server(default)] kind: String,
    #[server(default)] lang: String,
) -> Result<MailPreview, AppError> {
    server::preview(&kind, &lang).await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRecordView {
    pub id: String,
    pub kind: String,
    pub lang: String,
    pub to: String,
    pub subject: String,
    pub state: String,
    pub attempts: i32,
    pub answer: Option<String>,
    pub created: String,
    pub sent: Option<String>,
}

/// The mails about order `id`, oldest first.
#[server(prefix = "/api", endpoint = "admin_order_mails")]
pub async fn admin_order_mails(
    #[server(default)] id: String,
) -> Result<Vec<MailRecordView>, AppError> {
    server::order_mails(&id).await
}

/// The mails to the person with address `email` (their account's and any sent to the
/// address), newest first.
#[server(prefix = "/api", endpoint = "admin_person_mails")]
pub async fn admin_person_mails(
    #[server(default)] email: String,
) -> Result<Vec<MailRecordView>, AppError> {
    server::person_mails(&email).await
}

#[cfg(feature = "ssr")]
mod server {
    use gd_common::Role;

    use super::*;
    use crate::context::{begin, commit, require_any_role, require_role, server_context};
    use crate::error::Conflict;

    const STAMP: &str = "%d.%m.%Y %H:%M:%S UTC";

    fn short(queue: &str) -> String {
        queue.rsplit("::").next().unwrap_or(queue).to_owned()
    }

    pub async fn jobs(state: &str) -> Result<JobsView, AppError> {
        require_role(Role::Admin).await?;
        let state = state.trim();
        if !state.is_empty() && !gd_jobs::queue::STATES.contains(&state) {
            return Err(AppError::NotFound);
        }
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let depths = gd_jobs::queue::depths(&mut conn)
            .await
            .map_err(AppError::internal)?;
        let latencies = gd_jobs::queue::latencies(&mut conn)
            .await
            .map_err(AppError::internal)?;
        let jobs = gd_jobs::queue::list(&mut conn, state, 200)
            .await
            .map_err(AppError::internal)?;
        let mut queues: Vec<QueueView> = Vec::new();
        for d in depths {
            let label = match d.status.as_str() {
                "Pending" => "queued",
                "Running" => "running",
                "Failed" => "retrying",
                "Killed" => "dead",
                _ => continue,
            };
            let kind = short(&d.job_type);
            match queues.iter_mut().find(|q| q.kind == kind) {
                Some(q) => q.counts.push((label.to_owned(), d.jobs)),
                None => queues.push(QueueView {
                    oldest_due_secs: latencies
                        .iter()
                        .find(|l| l.job_type == d.job_type)
                        .map_or(0, |l| l.oldest_due_secs.round() as i64),
                    kind,
                    counts: vec![(label.to_owned(), d.jobs)],
                }),
            }
        }
        Ok(JobsView {
            queues,
            jobs: jobs
                .into_iter()
                .map(|j| JobView {
                    id: j.id,
                    kind: short(&j.job_type),
                    state: j.state,
                    attempts: j.attempts,
                    max_attempts: j.max_attempts,
                    run_at: j.run_at.format(STAMP).to_string(),
                    done_at: j.done_at.map(|t| t.format(STAMP).to_string()),
                    error: j.last_error,
                })
                .collect(),
        })
    }

    async fn change(id: &str, retry: bool) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let id = id.trim();
        if id.is_empty() || id.len() > 100 {
            return Err(AppError::NotFound);
        }
        let mut tx = begin().await?;
        let changed = if retry {
            gd_jobs::queue::retry_now(&mut tx, id).await
        } else {
            gd_jobs::queue::cancel(&mut tx, id).await
        }
        .map_err(AppError::internal)?;
        if !changed {
            return Err(AppError::Conflict(Conflict::TaskChanged));
        }
        gd_accounts::record(
            &mut tx,
            &gd_accounts::AuditEvent::new(if retry {
                "job.retried"
            } else {
                "job.cancelled"
            })
            .actor(Some(admin.id))
            .details(serde_json::json!({ "job": id })),
        )
        .await
        .map_err(AppError::internal)?;
        commit(tx).await
    }

    pub async fn retry(id: &str) -> Result<(), AppError> {
        change(id, true).await
    }

    pub async fn cancel(id: &str) -> Result<(), AppError> {
        change(id, false).await
    }

    pub async fn preview(kind: &str, lang: &str) -> Result<MailPreview, AppError> {
        require_role(Role::Admin).await?;
        let kinds = gd_mail::templates::KINDS;
        let kind = match kind.trim() {
            "" => kinds.first().copied().unwrap_or_default(),
            k => kinds
                .iter()
                .copied()
                .find(|known| *known == k)
                .ok_or(AppError::NotFound)?,
        };
        let lang = if lang == "en" { "en" } else { "de" };
        let r = gd_mail::templates::render(kind, lang, gd_mail::templates::sample(kind, lang))
            .map_err(AppError::internal)?;
        Ok(MailPreview {
            kinds: kinds.iter().map(|k| (*k).to_owned()).collect(),
            kind: kind.to_owned(),
            lang: lang.to_owned(),
            subject: r.subject,
            text: r.text,
            html: r.html,
        })
    }

    fn view(r: gd_mail::outbox::Record) -> MailRecordView {
        MailRecordView {
            id: r.id.to_string(),
            kind: r.kind,
            lang: r.lang,
            to: r.to,
            subject: r.subject,
            state: r.state,
            attempts: r.attempts,
            answer: r.answer,
            created: r.created_at.format(STAMP).to_string(),
            sent: r.sent_at.map(|t| t.format(STAMP).to_string()),
        }
    }

    pub async fn order_mails(id: &str) -> Result<Vec<MailRecordView>, AppError> {
        require_any_role(&[Role::Admin, Role::Finance]).await?;
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let rows = gd_mail::outbox::of_order(&mut conn, id)
            .await
            .map_err(AppError::internal)?;
        Ok(rows.into_iter().map(view).collect())
    }

    pub async fn person_mails(email: &str) -> Result<Vec<MailRecordView>, AppError> {
        require_role(Role::Admin).await?;
        let email = email.trim();
        if email.is_empty() || email.len() > 320 {
            return Ok(Vec::new());
        }
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let rows = gd_mail::outbox::to_person(&mut conn, email, 200)
            .await
            .map_err(AppError::internal)?;
        Ok(rows.into_iter().map(view).collect())
    }
}
