//! Sending the two mails of a lead, each at most once even when the job is retried.

use gd_mail::{Mail, Mailer};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{confirmation_mail, load, mark_confirmation_sent, mark_notification_sent, LeadError};

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
}

/// Sends whichever of the confirmation (to the lead) and the notification (to the agency) has
/// not left yet, recording each as soon as it has.
pub async fn deliver_mails(
    pool: &PgPool,
    mailer: &dyn Mailer,
    lead_id: Uuid,
    to: &Delivery<'_>,
) -> Result<(), DeliverError> {
    let mut conn = pool.acquire().await.map_err(LeadError::from)?;
    let lead = load(&mut conn, lead_id).await?;

    if lead.confirmation_sent_at.is_none() {
        let text = confirmation_mail(&lead, to.public_url);
        mailer
            .send(&Mail {
                to: format!("{} <{}>", sanitize_display_name(&lead.name), lead.email),
                subject: text.subject,
                body: text.body,
                reply_to: Some(to.agency_email.to_owned()),
            })
            .await?;
        mark_confirmation_sent(&mut conn, lead_id).await?;
    }
    if lead.notification_sent_at.is_none() {
        let text = crate::notification_mail(&lead);
        mailer
            .send(&Mail {
                to: to.agency_email.to_owned(),
                subject: text.subject,
                body: text.body,
                reply_to: Some(lead.email.clone()),
            })
            .await?;
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
