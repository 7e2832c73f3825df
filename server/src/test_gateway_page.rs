//! The test gateway's hosted payment page: what Stripe's checkout page is for real payments.
//! A plain server-rendered page (no script), saying plainly that no money moves.

use gd_payments::test_gateway::PageSession;
use gd_pricing::Cents;

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

struct Words {
    lang: &'static str,
    title: &'static str,
    banner: &'static str,
    total: &'static str,
    per_month: &'static str,
    per_year: &'static str,
    pay: &'static str,
    decline: &'static str,
    later_ok: &'static str,
    later_fail: &'static str,
    later_note: &'static str,
    expire: &'static str,
    back: &'static str,
    declined: &'static str,
    complete: &'static str,
    expired: &'static str,
    continue_: &'static str,
}

const DE: Words = Words {
    lang: "de",
    title: "Testzahlung",
    banner: "Test-Zahlungsanbieter von Growthdesk: Hier fließt kein Geld. Diese Seite steht für die Zahlungsseite von Stripe, solange kein Stripe-Schlüssel eingerichtet ist.",
    total: "Heute fällig",
    per_month: " / Monat",
    per_year: " / Jahr",
    pay: "Bezahlen (Testkarte wird angenommen)",
    decline: "Karte wird abgelehnt",
    later_ok: "Später bezahlen – gelingt",
    later_fail: "Später bezahlen – schlägt fehl",
    later_note: "„Später“ steht für ein verzögertes Verfahren wie eine Lastschrift: Das Ergebnis kommt nach etwa 15 Sekunden.",
    expire: "Sitzung jetzt ablaufen lassen",
    back: "Zurück zum Warenkorb",
    declined: "Die Karte wurde abgelehnt (Test). Es wurde nichts belastet; Sie können es erneut versuchen.",
    complete: "Diese Zahlung ist abgeschlossen.",
    expired: "Diese Zahlungssitzung ist abgelaufen.",
    continue_: "Weiter",
};

const EN: Words = Words {
    lang: "en",
    title: "Test payment",
    banner: "Growthdesk's test payment gateway: no money moves here. This page stands in for Stripe's payment page while no Stripe key is configured.",
    total: "Due today",
    per_month: " / month",
    per_year: " / year",
    pay: "Pay (test card accepted)",
    decline: "Card is declined",
    later_ok: "Pay later – succeeds",
    later_fail: "Pay later – fails",
    later_note: "\"Later\" stands for a delayed method such as a bank debit: the outcome arrives after about 15 seconds.",
    expire: "Let the session expire now",
    back: "Back to the cart",
    declined: "The card was declined (test). Nothing was charged; you may try again.",
    complete: "This payment is complete.",
    expired: "This payment session has expired.",
    continue_: "Continue",
};

fn money(w: &Words, c: i64) -> String {
    if w.lang == "de" {
        Cents(c).de()
    } else {
        Cents(c).en()
    }
}

/// The page for `session`; `declined` after a declined card.
pub(crate) fn render(session: &PageSession, declined: bool) -> String {
    let w = if session.locale() == "en" { &EN } else { &DE };
    let mut lines = String::new();
    for l in &session.lines {
        let period = match l.interval.as_deref() {
            Some("month") => w.per_month,
            Some("year") => w.per_year,
            _ => "",
        };
        lines.push_str(&format!(
            "<li><span>{}</span><span>{}{period}</span></li>",
            escape(&l.name),
            money(w, l.amount)
        ));
    }
    let id = escape(&session.id);
    let body = match session.status() {
        "open" => {
            let notice = if declined {
                format!(
                    "<p class=\"declined\" role=\"alert\" data-testid=\"gateway-declined\">{}</p>",
                    w.declined
                )
            } else {
                String::new()
            };
            let button = |choice: &str, label: &str, class: &str| {
                format!(
                    "<button type=\"submit\" name=\"choice\" value=\"{choice}\" class=\"{class}\" data-testid=\"gateway-{choice}\">{label}</button>"
                )
            };
            format!(
                "{notice}<form method=\"post\" action=\"/test-gateway/pay/{id}\">{}{}{}{}{}</form><p class=\"note\">{}</p><p><a href=\"{}\">{}</a></p>",
                button("pay", w.pay, "primary"),
                button("decline", w.decline, ""),
                button("later_succeeds", w.later_ok, ""),
                button("later_fails", w.later_fail, ""),
                button("expire", w.expire, ""),
                w.later_note,
                escape(session.cancel_url()),
                w.back,
            )
        }
        "complete" => format!(
            "<p>{}</p><p><a href=\"{}\">{}</a></p>",
            w.complete,
            escape(&session.success_url()),
            w.continue_
        ),
        _ => format!(
            "<p>{}</p><p><a href=\"{}\">{}</a></p>",
            w.expired,
            escape(session.cancel_url()),
            w.back
        ),
    };
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title} – Growthdesk</title><link rel=\"stylesheet\" href=\"/test-gateway.css\"></head>\
         <body><main><p class=\"banner\" data-testid=\"gateway-banner\">{banner}</p>\
         <h1>{title}</h1><ul class=\"lines\">{lines}</ul>\
         <p class=\"total\"><span>{total_label}</span><strong data-testid=\"gateway-total\">{total}</strong></p>\
         {body}</main></body></html>",
        lang = w.lang,
        title = w.title,
        banner = w.banner,
        total_label = w.total,
        total = money(w, session.amount_total()),
    )
}
