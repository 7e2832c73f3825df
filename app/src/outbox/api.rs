use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One mail in the outbox, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMailView {
    pub id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// RFC 3339.
    pub date: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    /// Where the files are, so a developer can open them.
    pub folder: String,
    pub mails: Vec<OutboxMailView>,
}

/// The newest 100 mails of the local outbox. Exists only while the site runs locally with the
/// outbox as its mailer, listens on loopback and the page is not switched off (`OUTBOX_PAGE`):
/// anywhere else the answer is "not found", as mails hold personal data and sign-in links.
#[server(prefix = "/api", endpoint = "list_outbox")]
pub async fn list_outbox() -> Result<Outbox, AppError> {
    use crate::context::server_context;
    let ctx = server_context()?;
    match (&ctx.outbox_dir, ctx.config.outbox_page_enabled()) {
        (Some(dir), true) => gd_mail::read_outbox(dir, 100)
            .await
            .map(|mails| Outbox {
                folder: dir.display().to_string(),
                mails: mails
                    .into_iter()
                    .map(|m| OutboxMailView {
                        id: m.id,
                        from: m.from,
                        to: m.to,
                        subject: m.subject,
                        date: m.date.to_rfc3339(),
                        body: m.body,
                    })
                    .collect(),
            })
            .map_err(AppError::internal),
        _ => Err(AppError::NotFound),
    }
}
