//! Delivery tracking: every mail is a row of `mail_outbox` with its state (queued, sending,
//! sent, failed), its attempts and the mail server's last answer. [`deliver`] is how every
//! mail job sends: a job run again (a retry, a second delivery of the same event) finds the
//! mail it sent before by its key and sends nothing.
//!
//! A worker killed between the server's "250 OK" and the row's update leaves the row
//! `sending`; the job's next run sends again, with the same Message-ID, so the recipient's
//! mail client shows it once. SMTP offers nothing stronger.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::templates::Rendered;
use crate::{Mail, MailError, Mailer};

/// How long a try may take (lettre's SMTP timeout is 60 s) before a mail found `sending` counts
/// as abandoned by a worker that died, and is sent again.
pub const SENDING_WINDOW: std::time::Duration = std::time::Duration::from_secs(90);

/// One mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// What makes this mail this mail ("order_confirmation:<order id>"): the same key is never
    /// sent twice.
    pub key: String,
    /// The template kind.
    pub kind: &'static str,
    pub lang: &'static str,
    pub to: String,
    pub reply_to: Option<String>,
    pub rendered: Rendered,
    /// Holds a secret link: the bodies are emptied once it is sent.
    pub sensitive: bool,
    pub order_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
}

/// What [`deliver`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    Sent,
    /// Sent before under the same key: nothing was sent now.
    AlreadySent,
}

/// Sends `mail` unless a mail with its key was sent before, recording the attempt and the
/// server's answer. A failed send is recorded as failed and returned as the error (the job
/// tries again after its back-off).
pub async fn deliver(
    pool: &PgPool,
    mailer: &dyn Mailer,
    mail: &Outgoing,
) -> Result<Delivered, MailError> {
    let row = sqlx::query!(
        "INSERT INTO mail_outbox (id, dedupe_key, kind, lang, to_address, subject, text_body,
             html_body, sensitive, order_id, user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (dedupe_key) DO UPDATE SET
             -- Not yet sent: the newest words (a token made anew by this run) go out.
             to_address = CASE WHEN mail_outbox.state = 'sent' THEN mail_outbox.to_address
                               ELSE EXCLUDED.to_address END,
             subject = CASE WHEN mail_outbox.state = 'sent' THEN mail_outbox.subject
                            ELSE EXCLUDED.subject END,
             text_body = CASE WHEN mail_outbox.state = 'sent' THEN mail_outbox.text_body
                              ELSE EXCLUDED.text_body END,
             html_body = CASE WHEN mail_outbox.state = 'sent' THEN mail_outbox.html_body
                              ELSE EXCLUDED.html_body END
         RETURNING id, state",
        Uuid::now_v7(),
        mail.key,
        mail.kind,
        mail.lang,
        mail.to,
        mail.rendered.subject,
        mail.rendered.text,
        mail.rendered.html,
        mail.sensitive,
        mail.order_id,
        mail.user_id,
    )
    .fetch_one(pool)
    .await?;
    if row.state == "sent" {
        return Ok(Delivered::AlreadySent);
    }
    // A second run of the same job while the first is still sending (apalis hands a running
    // job to a worker that starts meanwhile) waits for the first's outcome instead of sending
    // again; a first run that died leaves `sending` older than the window, and this run sends.
    let started = std::time::Instant::now();
    loop {
        let claimed = sqlx::query_scalar!(
            "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1, updated_at = now()
             WHERE id = $1 AND state <> 'sent'
               AND NOT (state = 'sending' AND updated_at > now() - make_interval(secs => $2))
             RETURNING id",
            row.id,
            SENDING_WINDOW.as_secs_f64()
        )
        .fetch_optional(pool)
        .await?;
        if claimed.is_some() {
            break;
        }
        let state = sqlx::query_scalar!("SELECT state FROM mail_outbox WHERE id = $1", row.id)
            .fetch_one(pool)
            .await?;
        if state == "sent" {
            return Ok(Delivered::AlreadySent);
        }
        if started.elapsed() > SENDING_WINDOW + std::time::Duration::from_secs(5) {
            return Err(MailError::InFlight);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let sent = mailer
        .send(&Mail {
            to: mail.to.clone(),
            subject: mail.rendered.subject.clone(),
            body: mail.rendered.text.clone(),
            html: Some(mail.rendered.html.clone()),
            reply_to: mail.reply_to.clone(),
            message_id: Some(row.id.to_string()),
        })
        .await;
    match sent {
        Ok(answer) => {
            sqlx::query!(
                "UPDATE mail_outbox SET state = 'sent', answer = $2, sent_at = now(),
                     text_body = CASE WHEN sensitive THEN NULL ELSE text_body END,
                     html_body = CASE WHEN sensitive THEN NULL ELSE html_body END,
                     updated_at = now()
                 WHERE id = $1",
                row.id,
                answer
            )
            .execute(pool)
            .await?;
            tracing::info!(kind = mail.kind, mail = %row.id, "mail sent");
            Ok(Delivered::Sent)
        }
        Err(e) => {
            sqlx::query!(
                // A secret link does not wait in the table for the next try (which makes a new
                // one); a run that took longer than the window does not overwrite a newer one.
                "UPDATE mail_outbox SET state = 'failed', answer = $2, updated_at = now(),
                     text_body = CASE WHEN sensitive THEN NULL ELSE text_body END,
                     html_body = CASE WHEN sensitive THEN NULL ELSE html_body END
                 WHERE id = $1 AND state = 'sending'",
                row.id,
                e.to_string()
            )
            .execute(pool)
            .await?;
            Err(e)
        }
    }
}

/// A mail as the admins' history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: Uuid,
    pub kind: String,
    pub lang: String,
    pub to: String,
    pub subject: String,
    pub state: String,
    pub attempts: i32,
    pub answer: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The mails about order `order`, oldest first.
pub async fn of_order(
    conn: &mut sqlx::PgConnection,
    order: Uuid,
) -> Result<Vec<Record>, MailError> {
    Ok(sqlx::query_as!(
        Record,
        r#"SELECT id, kind, lang, to_address AS "to", subject, state, attempts, answer,
                  created_at AS "created_at: DateTime<Utc>", sent_at AS "sent_at: DateTime<Utc>"
           FROM mail_outbox WHERE order_id = $1 ORDER BY created_at, id"#,
        order
    )
    .fetch_all(conn)
    .await?)
}

/// The mails to the person with address `email`: those of the account that has it and those
/// sent to it (a lead's, a changed address's), newest first.
pub async fn to_person(
    conn: &mut sqlx::PgConnection,
    email: &str,
    limit: i64,
) -> Result<Vec<Record>, MailError> {
    Ok(sqlx::query_as!(
        Record,
        r#"SELECT m.id, m.kind, m.lang, m.to_address AS "to", m.subject, m.state, m.attempts,
                  m.answer, m.created_at AS "created_at: DateTime<Utc>",
                  m.sent_at AS "sent_at: DateTime<Utc>"
           FROM mail_outbox m
           WHERE m.user_id IN (SELECT id FROM users WHERE lower(email) = lower($1))
              OR lower(m.to_address) = lower($1)
              OR right(lower(m.to_address), length($1) + 2) = '<' || lower($1) || '>'
           ORDER BY m.created_at DESC, m.id DESC
           LIMIT $2"#,
        email,
        limit
    )
    .fetch_all(conn)
    .await?)
}
