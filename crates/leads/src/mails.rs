//! The two mails a lead causes, on the mail templates (`lead_confirmation`,
//! `lead_notification`).

use gd_mail::templates::{render, Rendered, TemplateError};
use serde_json::json;

use crate::{Lead, Locale};

/// A rendered mail: its template kind, its language and its words.
pub type LeadMail = (&'static str, &'static str, Rendered);

/// To the person who wrote: we have your message, here is what happens next.
pub fn confirmation_mail(lead: &Lead, public_url: &str) -> Result<LeadMail, TemplateError> {
    let (lang, url) = match lead.locale() {
        Locale::De => ("de", public_url.to_owned()),
        Locale::En => ("en", format!("{public_url}/en")),
    };
    let rendered = render(
        "lead_confirmation",
        lang,
        json!({ "name": lead.name, "message": lead.message, "url": url }),
    )?;
    Ok(("lead_confirmation", lang, rendered))
}

/// To the agency (in German, its language): a new lead with everything needed to answer it.
pub fn notification_mail(lead: &Lead) -> Result<LeadMail, TemplateError> {
    let rendered = render(
        "lead_notification",
        "de",
        json!({
            "name": lead.name,
            "email": lead.email,
            "instagram": lead.instagram_handle.as_deref().map(|h| format!("@{h}")),
            "lead_lang": lead.locale,
            "received": lead.created_at.format("%d.%m.%Y %H:%M UTC").to_string(),
            "lead_id": lead.id.to_string(),
            "message": lead.message,
        }),
    )?;
    Ok(("lead_notification", "de", rendered))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use uuid::Uuid;

    fn lead(locale: &str) -> Lead {
        Lead {
            id: Uuid::nil(),
            name: "Anna".into(),
            email: "anna@example.de".into(),
            instagram_handle: Some("anna.bakes".into()),
            message: "Zeile 1\nZeile 2".into(),
            locale: locale.into(),
            created_at: Utc::now(),
            confirmation_sent_at: None,
            notification_sent_at: None,
        }
    }

    #[test]
    fn confirmation_speaks_the_leads_language() {
        let (_, lang, de) = confirmation_mail(&lead("de"), "http://x").unwrap();
        assert_eq!(lang, "de");
        assert!(de.text.starts_with("Hallo Anna"));
        assert!(de.text.contains("> Zeile 1\n> Zeile 2"));
        let (_, _, en) = confirmation_mail(&lead("en"), "http://x").unwrap();
        assert_eq!(en.subject, "Your enquiry at Growthdesk");
        assert!(en.text.contains("\nhttp://x/en\n"), "{}", en.text);
    }

    #[test]
    fn notification_has_the_contact_details() {
        let (_, _, n) = notification_mail(&lead("en")).unwrap();
        assert!(n.subject.contains("anna@example.de"));
        assert!(n.text.contains("Instagram: @anna.bakes"), "{}", n.text);
        let mut none = lead("de");
        none.instagram_handle = None;
        let (_, _, n) = notification_mail(&none).unwrap();
        assert!(n.text.contains("Instagram: —"), "{}", n.text);
    }
}
