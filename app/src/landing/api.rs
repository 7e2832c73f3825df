//! Server functions of the landing page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What the browser learns after a successful submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadSent {
    /// True when this was a repeat of a lead we already have; nothing new was sent.
    pub duplicate: bool,
}

/// Maximum message length the form announces (the domain crate enforces it).
pub const MESSAGE_MAX: usize = 4000;

/// Stores a lead from the contact form and queues its mails. Public: no role needed; 20 a
/// hour per sender address, 5 a hour per recipient.
#[server(prefix = "/api", endpoint = "submit_lead")]
pub async fn submit_lead(
    #[server(default)] name: String,
    #[server(default)] email: String,
    #[server(default)] instagram: String,
    message: String,
    #[server(default)] consent: Option<String>,
    #[server(default)] lang: String,
) -> Result<LeadSent, AppError> {
    use crate::context::{is_plain_form_post, server_context};
    use std::collections::BTreeMap;

    let ctx = server_context()?;
    let lang = crate::i18n::Lang::from_code(&lang);
    // Without JavaScript the browser follows a redirect; its URL carries the outcome.
    let answer = |outcome: Result<LeadSent, AppError>| {
        if is_plain_form_post() {
            leptos_axum::redirect(&super::outcome::redirect_url(lang, &outcome));
        }
        outcome
    };
    let input = gd_leads::LeadInput {
        name,
        email,
        instagram,
        message,
        consent: consent.is_some(),
        locale: lang.code().to_owned(),
    };
    let lead = match gd_leads::parse(&input) {
        Ok(lead) => lead,
        Err(issues) => {
            let error = AppError::Validation {
                issues,
                echo: BTreeMap::from([
                    ("name".to_owned(), input.name),
                    ("email".to_owned(), input.email),
                    ("instagram".to_owned(), input.instagram),
                    ("message".to_owned(), input.message),
                    (
                        "consent".to_owned(),
                        if input.consent {
                            "on".into()
                        } else {
                            String::new()
                        },
                    ),
                ]),
            };
            return answer(Err(error));
        }
    };
    // Each lead mails its own address: per sender and per recipient, so the form can be used
    // neither to flood us nor to send someone else a stream of confirmations.
    let limits = [
        gd_accounts::Limit::new(format!("lead:ip:{}", crate::context::ip()), 20, 3600),
        gd_accounts::Limit::new(format!("lead:to:{}", lead.email.normalized()), 5, 3600),
    ];
    if let Err(limited) = crate::context::throttle(&limits).await {
        return answer(Err(limited));
    }
    let stored = async {
        let mut tx = crate::context::begin().await?;
        let submission = gd_leads::submit(&mut tx, &lead, ctx.config.lead_duplicate_window_secs)
            .await
            .map_err(AppError::internal)?;
        crate::context::commit(tx).await?;
        Ok(LeadSent {
            duplicate: submission.duplicate,
        })
    };
    answer(stored.await)
}
