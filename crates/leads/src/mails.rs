//! The words of the two mails a lead causes.

use crate::{Lead, Locale};

/// A plain-text mail before it is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailText {
    pub subject: String,
    pub body: String,
}

/// To the person who wrote: we have your message, here is what happens next.
pub fn confirmation_mail(lead: &Lead, public_url: &str) -> MailText {
    match lead.locale() {
        Locale::De => MailText {
            subject: "Ihre Anfrage bei Growthdesk".into(),
            body: format!(
                "Hallo {name},\n\n\
                 vielen Dank für Ihre Nachricht. Wir melden uns innerhalb eines Werktags bei Ihnen.\n\n\
                 Ihre Nachricht:\n{message}\n\n\
                 Viele Grüße\nIhr Growthdesk-Team\n{url}\n",
                name = lead.name,
                message = quote(&lead.message),
                url = public_url,
            ),
        },
        Locale::En => MailText {
            subject: "Your enquiry at Growthdesk".into(),
            body: format!(
                "Hello {name},\n\n\
                 thank you for your message. We will get back to you within one working day.\n\n\
                 Your message:\n{message}\n\n\
                 Best regards\nThe Growthdesk team\n{url}/en\n",
                name = lead.name,
                message = quote(&lead.message),
                url = public_url,
            ),
        },
    }
}

/// To the agency: a new lead with everything needed to answer it.
pub fn notification_mail(lead: &Lead) -> MailText {
    MailText {
        subject: format!("Neue Anfrage: {} <{}>", lead.name, lead.email),
        body: format!(
            "Neue Anfrage über das Kontaktformular\n\n\
             Name: {}\nE-Mail: {}\nInstagram: {}\nSprache: {}\nEingegangen: {}\nLead-ID: {}\n\n\
             Nachricht:\n{}\n",
            lead.name,
            lead.email,
            lead.instagram_handle
                .as_deref()
                .map(|h| format!("@{h}"))
                .unwrap_or_else(|| "—".into()),
            lead.locale,
            lead.created_at.format("%d.%m.%Y %H:%M UTC"),
            lead.id,
            quote(&lead.message),
        ),
    }
}

fn quote(text: &str) -> String {
    text.lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
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
        let de = confirmation_mail(&lead("de"), "http://x");
        assert!(de.body.starts_with("Hallo Anna"));
        assert!(de.body.contains("> Zeile 1\n> Zeile 2"));
        let en = confirmation_mail(&lead("en"), "http://x");
        assert_eq!(en.subject, "Your enquiry at Growthdesk");
    }

    #[test]
    fn notification_has_the_contact_details() {
        let n = notification_mail(&lead("en"));
        assert!(n.subject.contains("anna@example.de"));
        assert!(n.body.contains("Instagram: @anna.bakes"));
    }
}
