//! Every mail's words, in one pipeline: a MiniJinja template per kind and language
//! (`crates/mail/templates/{de,en}/{kind}.txt`, each with a `subject` and a `body` block).
//! The body is plain text written in a small Markdown (paragraphs, lists, bare links): the
//! plain-text part is the text itself, the HTML part the same text through a Markdown
//! renderer, in one layout. Both come from one source, so they can never say different things.
//!
//! Values are put in as they are: nothing in them becomes markup in the HTML part (raw HTML is
//! shown as text, links other than http(s) and mailto stay text, images are dropped).

use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior};
use pulldown_cmark::{
    html, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream,
};
use serde::Serialize;

/// A rendered mail: its subject, the plain-text part and the HTML part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no mail template `{0}`")]
    Unknown(String),
    #[error("mail template `{kind}`: {source}")]
    Render {
        kind: String,
        #[source]
        source: minijinja::Error,
    },
}

macro_rules! templates {
    ($($kind:literal),* $(,)?) => {
        /// Every kind of mail, in the order the admins' preview lists them.
        pub const KINDS: &[&str] = &[$($kind),*];
        /// (kind, language, template name, source).
        const SOURCES: &[(&str, &str, &str, &str)] = &[
            $(
                ($kind, "de", concat!("de/", $kind), include_str!(concat!("../templates/de/", $kind, ".txt"))),
                ($kind, "en", concat!("en/", $kind), include_str!(concat!("../templates/en/", $kind, ".txt"))),
            )*
        ];
    };
}

templates!(
    "verify_email",
    "already_registered",
    "confirm_email_change",
    "reset_password",
    "security_notice",
    "lead_confirmation",
    "lead_notification",
    "order_confirmation",
    "support_reply",
    "order_update",
    "subscription_renewed",
    "subscription_payment_failed",
    "subscription_ended",
    "finance_digest",
    "analytics_reconnect",
);

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // A value the template asks for and the caller forgot is an error, never an empty gap.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_keep_trailing_newline(true);
        env.add_filter("quote", |text: String| {
            text.lines()
                .map(|l| format!("> {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        });
        for (kind, lang, name, source) in SOURCES {
            // The sources are compiled in and checked by the tests: one that does not parse
            // is missing, and `render` says so.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(kind, lang, error = %e, "mail template does not parse");
            }
        }
        env
    })
}

fn name(kind: &str, lang: &str) -> &'static str {
    SOURCES
        .iter()
        .find(|(k, l, _, _)| *k == kind && *l == lang)
        .map_or("", |(_, _, name, _)| name)
}

/// Renders mail `kind` in `lang` ("de" or "en"; anything else is English) with `context`.
pub fn render(kind: &str, lang: &str, context: impl Serialize) -> Result<Rendered, TemplateError> {
    let lang = if lang == "de" { "de" } else { "en" };
    if !KINDS.contains(&kind) {
        return Err(TemplateError::Unknown(kind.to_owned()));
    }
    let failed = |source| TemplateError::Render {
        kind: kind.to_owned(),
        source,
    };
    let template = env().get_template(name(kind, lang)).map_err(failed)?;
    let mut captured = template.render_captured(context).map_err(failed)?;
    let (subject, body) = captured
        .with_state_mut(|state| {
            Ok::<_, minijinja::Error>((state.render_block("subject")?, state.render_block("body")?))
        })
        .map_err(failed)?;
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = tidy(&body);
    let html = layout(&subject, &markdown(&text), lang);
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

/// The body as the plain-text part: no leading blank lines, at most one blank line in a row,
/// one newline at the end.
fn tidy(body: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in body.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The text's Markdown as HTML, with nothing from values becoming markup.
fn markdown(text: &str) -> String {
    let mut skipped_links = 0usize;
    let mut in_image = 0usize;
    let mut in_link = 0usize;
    let events = TextMergeStream::new(Parser::new_ext(text, Options::empty()))
        .filter_map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::SoftBreak => Some(Event::HardBreak),
            Event::Start(Tag::Image { .. }) => {
                in_image += 1;
                None
            }
            Event::End(TagEnd::Image) => {
                in_image = in_image.saturating_sub(1);
                None
            }
            _ if in_image > 0 => None,
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let safe = ["http://", "https://", "mailto:"]
                    .iter()
                    .any(|s| dest_url.starts_with(s));
                if safe {
                    Some(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }))
                } else {
                    skipped_links += 1;
                    if link_type == LinkType::Autolink {
                        Some(Event::Text(CowStr::from(format!("<{dest_url}>"))))
                    } else {
                        None
                    }
                }
            }
            Event::End(TagEnd::Link) if skipped_links > 0 => {
                skipped_links -= 1;
                None
            }
            other => Some(other),
        })
        .flat_map(|event| {
            match &event {
                Event::Start(Tag::Link { .. }) => in_link += 1,
                Event::End(TagEnd::Link) => in_link = in_link.saturating_sub(1),
                _ => {}
            }
            match event {
                Event::Text(text) if in_link == 0 => autolink(&text),
                other => vec![other],
            }
        });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// A text with its bare http(s) links made links (the plain-text part shows them as they are).
fn autolink(text: &str) -> Vec<Event<'static>> {
    let mut events = Vec::new();
    let mut rest = text;
    while let Some(start) = ["https://", "http://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        let end = rest[start..]
            .find(char::is_whitespace)
            .map_or(rest.len(), |n| start + n);
        // A sentence's full stop or comma after a link is not part of it.
        let url = rest[start..end].trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
        let end = start + url.len();
        if start > 0 {
            events.push(Event::Text(CowStr::from(rest[..start].to_owned())));
        }
        events.push(Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: CowStr::from(url.to_owned()),
            title: CowStr::from(""),
            id: CowStr::from(""),
        }));
        events.push(Event::Text(CowStr::from(url.to_owned())));
        events.push(Event::End(TagEnd::Link));
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        events.push(Event::Text(CowStr::from(rest.to_owned())));
    }
    events
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// One frame for every mail's HTML part: readable in any client, inline styles only.
fn layout(subject: &str, content: &str, lang: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
         <body style=\"margin:0;padding:24px;background:#f8fafc;font-family:Helvetica,Arial,sans-serif;color:#0f172a;line-height:1.5\">\
         <div style=\"max-width:560px;margin:0 auto;background:#ffffff;border-radius:12px;padding:24px\">\
         <p style=\"margin:0 0 16px;font-weight:bold;color:#a21caf\">Growthdesk</p>\n{content}</div></body></html>\n",
        title = escape(subject),
    )
}

/// Sample data for each kind: what the admins' preview renders, and what the tests render
/// every template with.
pub fn sample(kind: &str, lang: &str) -> serde_json::Value {
    use serde_json::json;
    let de = lang == "de";
    let link = "https://growthdesk.example/portal/orders/0190f5a4-0000-7000-8000-000000000001";
    match kind {
        "verify_email" | "confirm_email_change" => {
            json!({ "link": "https://growthdesk.example/verify-email?token=SAMPLE" })
        }
        "reset_password" => {
            json!({ "link": "https://growthdesk.example/reset-password?token=SAMPLE" })
        }
        "already_registered" => json!({
            "login": "https://growthdesk.example/login",
            "forgot": "https://growthdesk.example/forgot-password"
        }),
        "security_notice" => json!({
            "change": "email_changed", "new_email": "neu@example.de", "provider": "Google",
            "forgot": "https://growthdesk.example/forgot-password"
        }),
        "lead_confirmation" => json!({
            "name": "Anna Beispiel", "message": "Wir möchten mehr Reichweite.\nGeht das bis Mai?",
            "url": "https://growthdesk.example"
        }),
        "lead_notification" => json!({
            "name": "Anna Beispiel", "email": "anna@example.de", "instagram": "@anna.bakes",
            "lead_lang": "de", "received": "02.12.2026 10:15 UTC",
            "lead_id": "0190f5a4-0000-7000-8000-000000000002",
            "message": "Wir möchten mehr Reichweite.\nGeht das bis Mai?"
        }),
        "order_confirmation" => json!({
            "name": "Erika Mustermann", "number": 10042,
            "lines": [
                { "quantity": 2, "name": "Instagram-Follower", "description": "5.000 Follower",
                  "total": "119,80 €", "period": "one_off", "target": "@growth.desk" },
                { "quantity": 1, "name": "Social-Media-Betreuung", "description": "Basic",
                  "total": "499,00 €", "period": "monthly", "target": "" }
            ],
            "treatment": "standard", "net": "519,92 €", "vat": "98,88 €", "total": "618,80 €",
            "early_start": true, "link": link
        }),
        "order_update" => json!({
            "name": "Erika Mustermann", "number": 10042,
            "status": if de { "Abgeschlossen" } else { "completed" },
            "note": if de { "Alles ist geliefert." } else { "Everything has been delivered." },
            "link": link
        }),
        "finance_digest" => json!({
            "day": if de { "01.12.2026" } else { "2026-12-01" },
            "invoices": [
                { "number": "RE-2026-00041", "buyer": "Erika Mustermann", "total": if de { "618,80 €" } else { "€618.80" } },
                { "number": "RE-2026-00042", "buyer": "Muster & Söhne GmbH", "total": if de { "49,00 €" } else { "€49.00" } }
            ],
            "invoices_total": if de { "667,80 €" } else { "€667.80" },
            "credit_notes": [
                { "number": "RK-2026-00003", "buyer": "Erika Mustermann", "total": if de { "59,90 €" } else { "€59.90" } }
            ],
            "credit_notes_total": if de { "59,90 €" } else { "€59.90" },
            "failed_payments": [
                { "client": "anna@example.de", "plan": "Social-Media-Betreuung Basic", "amount": if de { "499,00 €" } else { "€499.00" } }
            ],
            "failed_syncs": [
                { "number": "RE-2026-00040", "error": "Lexoffice refused the key (401): Unauthorized" }
            ],
            "link": "https://growthdesk.example/finance"
        }),
        "analytics_reconnect" => json!({
            "network": "Instagram", "handle": "growth.desk",
            "link": "https://growthdesk.example/portal/analytics"
        }),
        "support_reply" => json!({
            "name": "Erika Mustermann", "number": 10042,
            "message": if de {
                "Die ersten 2.000 Follower sind da, der Rest folgt bis Freitag."
            } else {
                "The first 2,000 followers have arrived, the rest follows by Friday."
            },
            "link": link
        }),
        "subscription_renewed" => json!({
            "name": "Erika Mustermann", "plan": "Social-Media-Betreuung · Basic",
            "amount": "499,00 €", "until": "01.02.2027",
            "link": "https://growthdesk.example/portal/subscriptions"
        }),
        "subscription_payment_failed" | "subscription_ended" => json!({
            "name": "Erika Mustermann", "plan": "Social-Media-Betreuung · Basic",
            "amount": "499,00 €", "link": "https://growthdesk.example/portal/subscriptions"
        }),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_in_both_languages_with_its_sample() {
        for kind in KINDS {
            for lang in ["de", "en"] {
                let r = render(kind, lang, sample(kind, lang))
                    .unwrap_or_else(|e| panic!("{kind}/{lang}: {e}"));
                assert!(!r.subject.is_empty(), "{kind}/{lang}");
                assert!(r.text.len() > 20, "{kind}/{lang}: {}", r.text);
                assert!(r.html.starts_with("<!DOCTYPE html>"), "{kind}/{lang}");
                assert!(r.html.contains(&format!("lang=\"{lang}\"")));
            }
        }
        assert!(matches!(
            render("nope", "de", serde_json::json!({})),
            Err(TemplateError::Unknown(_))
        ));
    }

    #[test]
    fn the_language_decides_the_words() {
        let de = render("order_update", "de", sample("order_update", "de")).unwrap();
        let en = render("order_update", "en", sample("order_update", "en")).unwrap();
        assert_eq!(de.subject, "Ihre Bestellung 10042: Abgeschlossen");
        assert!(de
            .text
            .starts_with("Hallo Erika Mustermann,\n\nIhre Bestellung 10042"));
        assert!(en.text.starts_with("Hello Erika Mustermann,"));
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_gap() {
        let err = render("order_update", "de", serde_json::json!({ "name": "X" })).unwrap_err();
        assert!(matches!(err, TemplateError::Render { .. }), "{err}");
    }

    #[test]
    fn text_and_html_say_the_same_and_values_never_become_markup() {
        let r = render(
            "lead_confirmation",
            "de",
            serde_json::json!({
                "name": "<script>alert(1)</script> [klick](javascript:alert(2)) ![x](http://t.example/p.gif)",
                "message": "Zeile 1\nZeile 2",
                "url": "https://growthdesk.example"
            }),
        )
        .unwrap();
        assert!(r.text.contains("> Zeile 1\n> Zeile 2"), "{}", r.text);
        assert!(
            r.text.contains("<script>alert(1)</script>"),
            "the text part is verbatim"
        );
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert!(!r.html.contains("<img"), "{}", r.html);
        assert!(
            r.html
                .contains("<a href=\"https://growthdesk.example\">https://growthdesk.example</a>"),
            "{}",
            r.html
        );
        assert!(
            r.text.contains("\nhttps://growthdesk.example\n"),
            "{}",
            r.text
        );
        assert!(r.html.contains("<blockquote>"), "{}", r.html);
        // Line breaks of the text stay line breaks in the HTML.
        assert!(r.html.contains("Viele Grüße<br />"), "{}", r.html);
    }

    #[test]
    fn order_lines_and_tax_notes_follow_the_treatment() {
        let mut ctx = sample("order_confirmation", "de");
        let r = render("order_confirmation", "de", &ctx).unwrap();
        assert!(
            r.text.contains(
                "- 2 × Instagram-Follower (5.000 Follower): 119,80 €, für @growth.desk\n"
            ),
            "{}",
            r.text
        );
        assert!(
            r.text
                .contains("- 1 × Social-Media-Betreuung (Basic): 499,00 € / Monat\n"),
            "{}",
            r.text
        );
        assert!(r.text.contains("MwSt.: 98,88 €"));
        ctx["treatment"] = "reverse_charge".into();
        let r = render("order_confirmation", "en", &ctx).unwrap();
        assert!(r
            .text
            .contains("Reverse charge: VAT is due from the recipient."));
        assert!(!r.text.contains("VAT: "));
    }
}
