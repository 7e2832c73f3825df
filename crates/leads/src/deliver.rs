//! The lead's job: sending its two mails, each at most once even when the job is retried.

use gd_mail::outbox::{deliver, Outgoing};
use gd_mail::Mailer;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{confirmation_mail, load, mark_confirmation_sent, mark_notification_sent, LeadError};

/// A lead was stored: send the confirmation to the lead and the notification to the agency
/// ([`deliver_mails`]). Enqueued by [`crate::submit`] in the lead's own transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadReceived {
    pub lead_id: Uuid,
}

impl gd_jobs::Job for LeadReceived {
    /// Unchanged since the first release: jobs waiting under it must still run.
    const QUEUE: &'static str = "growthdesk::lead_received";
}

/// Where the lead mails go and what they link to.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    pub agency_email: &'a str,
    pub public_url: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Lead(#[from] LeadError),
    #[error(transparent)]
    Mail(#[from] gd_mail::MailError),
    #[error(transparent)]
    Template(#[from] gd_mail::templates::TemplateError),
}

/// Sends whichever of the confirmation (to the lead) and the notification (to the agency) has
/// not left yet, recording each as soon as it has.
pub async fn deliver_mails(
    pool: &PgPool,
    mailer: &dyn Mailer,
    lead_id: Uuid,
    to: &Delivery<'_>,
) -> Result<(), DeliverError> {
    // Each step takes a connection of its own: none is held while a mail goes out (its
    // delivery needs connections of the same pool).
    let lead = {
        let mut conn = pool.acquire().await.map_err(LeadError::from)?;
        load(&mut conn, lead_id).await?
    };

    if lead.confirmation_sent_at.is_none() {
        let (kind, lang, rendered) = confirmation_mail(&lead, to.public_url)?;
        let mail = Outgoing {
            key: format!("lead_confirmation:{lead_id}"),
            kind,
            lang,
            to: format!("{} <{}>", sanitize_display_name(&lead.name), lead.email),
            reply_to: Some(to.agency_email.to_owned()),
            rendered,
            sensitive: false,
            order_id: None,
            user_id: None,
        };
        deliver(pool, mailer, &mail).await?;
        let mut conn = pool.acquire().await.map_err(LeadError::from)?;
        mark_confirmation_sent(&mut conn, lead_id).await?;
    }
    if lead.notification_sent_at.is_none() {
        let (kind, lang, rendered) = crate::notification_mail(&lead)?;
        let mail = Outgoing {
            key: format!("lead_notification:{lead_id}"),
            kind,
            lang,
            to: to.agency_email.to_owned(),
            reply_to: Some(lead.email.clone()),
            rendered,
            sensitive: false,
            order_id: None,
            user_id: None,
        };
        deliver(pool, mailer, &mail).await?;
        let mut conn = pool.acquire().await.map_err(LeadError::from)?;
        mark_notification_sent(&mut conn, lead_id).await?;
    }
    Ok(())
}

/// A display name may not break the address syntax it is embedded in.
fn sanitize_display_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !matches!(c, '<' | '>' | '"' | '\\' | ',' | ';' | '@'))
        .collect();
    format!("\"{}\"", cleaned.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gd_jobs::Job;

    #[test]
    fn jobs_already_queued_still_decode() {
        // The queue name and the payload shape of jobs enqueued before the type moved here.
        assert_eq!(LeadReceived::QUEUE, "growthdesk::lead_received");
        let queued = serde_json::json!({ "lead_id": "0190f5a4-0000-7000-8000-000000000001" });
        let job: LeadReceived = serde_json::from_value(queued.clone()).unwrap();
        assert_eq!(serde_json::to_value(&job).unwrap(), queued);
    }
}
