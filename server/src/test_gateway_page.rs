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
    subscription_note: &'static str,
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
    subscription_note: "Ein Abo startet mit der ersten Zahlung; Verlängerungen, Kartenwechsel und Kündigung probieren Sie danach im Test-Kundenportal aus (Kundenportal → Abos → Zahlungsmethode).",
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
    subscription_note: "A subscription starts with its first payment; try renewals, card changes and cancelling afterwards in the test billing portal (client portal → subscriptions → payment method).",
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
            // Delayed methods are offered for one-off payments only.
            let (later, note) = if session.mode() == "subscription" {
                (String::new(), w.subscription_note)
            } else {
                (
                    format!(
                        "{}{}",
                        button("later_succeeds", w.later_ok, ""),
                        button("later_fails", w.later_fail, "")
                    ),
                    w.later_note,
                )
            };
            format!(
                "{notice}<form method=\"post\" action=\"/test-gateway/pay/{id}\">{}{}{later}{}</form><p class=\"note\">{note}</p><p><a href=\"{}\">{}</a></p>",
                button("pay", w.pay, "primary"),
                button("decline", w.decline, ""),
                button("expire", w.expire, ""),
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

struct PortalWords {
    lang: &'static str,
    title: &'static str,
    banner: &'static str,
    per_month: &'static str,
    per_year: &'static str,
    status: &'static str,
    period_end: &'static str,
    ends: &'static str,
    card: &'static str,
    card_ok: &'static str,
    card_bad: &'static str,
    use_ok: &'static str,
    use_bad: &'static str,
    cancel: &'static str,
    resume: &'static str,
    end_of_period: &'static str,
    clock_note: &'static str,
    refund: &'static str,
    refund_note: &'static str,
    ended: &'static str,
    back: &'static str,
    none: &'static str,
}

const PORTAL_DE: PortalWords = PortalWords {
    lang: "de",
    title: "Test-Kundenportal",
    banner: "Test-Zahlungsanbieter von Growthdesk: Hier fließt kein Geld. Diese Seite steht für das Kundenportal von Stripe, solange kein Stripe-Schlüssel eingerichtet ist.",
    per_month: " / Monat",
    per_year: " / Jahr",
    status: "Status",
    period_end: "Aktueller Zeitraum bis",
    ends: "Endet zum Ende des Zeitraums",
    card: "Zahlungsmethode",
    card_ok: "Testkarte (wird angenommen)",
    card_bad: "Testkarte (wird abgelehnt)",
    use_ok: "Karte verwenden, die angenommen wird",
    use_bad: "Karte verwenden, die abgelehnt wird",
    cancel: "Zum Ende des Zeitraums kündigen",
    resume: "Kündigung zurücknehmen",
    end_of_period: "Test-Uhr: zum Ende des Zeitraums springen",
    clock_note: "Die Test-Uhr verlängert das Abo sofort (mit der hinterlegten Karte), versucht eine offene Zahlung erneut oder beendet ein gekündigtes Abo – wie Stripes Test-Uhren.",
    refund: "Dashboard: letzte Zahlung erstatten",
    refund_note: "Was die Agentur in Stripes Dashboard tut: Der Rest der letzten Zahlung geht zurück, Growthdesk erhält „charge.refunded“ und stellt eine Rechnungskorrektur aus.",
    ended: "Beendet",
    back: "Zurück zu Growthdesk",
    none: "Keine Abos.",
};

const PORTAL_EN: PortalWords = PortalWords {
    lang: "en",
    title: "Test billing portal",
    banner: "Growthdesk's test payment gateway: no money moves here. This page stands in for Stripe's billing portal while no Stripe key is configured.",
    per_month: " / month",
    per_year: " / year",
    status: "Status",
    period_end: "Current period until",
    ends: "Ends at the end of the period",
    card: "Payment method",
    card_ok: "Test card (accepted)",
    card_bad: "Test card (declined)",
    use_ok: "Use a card that is accepted",
    use_bad: "Use a card that is declined",
    cancel: "Cancel at the end of the period",
    resume: "Don't cancel",
    end_of_period: "Test clock: jump to the end of the period",
    clock_note: "The test clock renews the subscription now (with the card on file), retries an open payment or ends a cancelled subscription – as Stripe's test clocks do.",
    refund: "Dashboard: refund the latest payment",
    refund_note: "What the agency does in Stripe's dashboard: what is left of the latest payment goes back, Growthdesk receives \"charge.refunded\" and issues a credit note.",
    ended: "Ended",
    back: "Back to Growthdesk",
    none: "No subscriptions.",
};

/// The billing portal page: the customer's subscriptions with what Stripe's portal (and its
/// test clocks) let a tester do.
pub(crate) fn render_portal(portal: &gd_payments::test_gateway::billing::Portal) -> String {
    let w = if portal.locale == "en" {
        &PORTAL_EN
    } else {
        &PORTAL_DE
    };
    let id = escape(&portal.id);
    let mut subs = String::new();
    for sub in &portal.subscriptions {
        let sub_id = escape(sub["id"].as_str().unwrap_or(""));
        let items = sub["items"]["data"].as_array().cloned().unwrap_or_default();
        let mut lines = String::new();
        let mut period_end = None;
        for item in &items {
            let price = &item["price"];
            let period = match price["recurring"]["interval"].as_str() {
                Some("year") => w.per_year,
                _ => w.per_month,
            };
            let amount =
                price["unit_amount"].as_i64().unwrap_or(0) * item["quantity"].as_i64().unwrap_or(1);
            lines.push_str(&format!(
                "<li><span>{}</span><span>{}{period}</span></li>",
                escape(price["nickname"].as_str().unwrap_or("")),
                if w.lang == "de" {
                    Cents(amount).de()
                } else {
                    Cents(amount).en()
                }
            ));
            period_end = item["current_period_end"].as_i64();
        }
        let status = sub["status"].as_str().unwrap_or("");
        let over = matches!(status, "canceled" | "incomplete_expired");
        let end = period_end
            .and_then(|t| chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0))
            .map(|t| {
                if w.lang == "de" {
                    t.format("%d.%m.%Y").to_string()
                } else {
                    t.format("%Y-%m-%d").to_string()
                }
            })
            .unwrap_or_default();
        let declined =
            sub["default_payment_method"] == gd_payments::test_gateway::billing::CARD_DECLINED;
        let button = |action: &str, label: &str, class: &str| {
            format!(
                "<form method=\"post\" action=\"/test-gateway/billing/{id}\">\
                 <input type=\"hidden\" name=\"subscription\" value=\"{sub_id}\">\
                 <button type=\"submit\" name=\"action\" value=\"{action}\" class=\"{class}\" data-testid=\"portal-{action}\">{label}</button></form>"
            )
        };
        // Refunds are the agency's (Stripe's dashboard), offered here for testing: also after
        // the end, since money paid for a past period can still go back.
        let refund = format!(
            "{}<p class=\"note\">{}</p>",
            button("refund_latest", w.refund, ""),
            w.refund_note
        );
        let actions = if over {
            format!("<p><strong>{}</strong></p>{refund}", w.ended)
        } else {
            let cancel = if sub["cancel_at_period_end"] == true {
                format!("<p>{}</p>{}", w.ends, button("resume", w.resume, ""))
            } else {
                button("cancel", w.cancel, "")
            };
            let card = if declined {
                button("card_accepted", w.use_ok, "")
            } else {
                button("card_declined", w.use_bad, "")
            };
            format!(
                "{cancel}{card}{}<p class=\"note\">{}</p>{refund}",
                button("end_of_period", w.end_of_period, "primary"),
                w.clock_note
            )
        };
        subs.push_str(&format!(
            "<section data-testid=\"portal-subscription\"><ul class=\"lines\">{lines}</ul>\
             <p>{}: <strong data-testid=\"portal-status\">{}</strong></p>\
             <p>{}: {end}</p><p>{}: {}</p>{actions}</section>",
            w.status,
            escape(status),
            w.period_end,
            w.card,
            if declined { w.card_bad } else { w.card_ok },
        ));
    }
    if subs.is_empty() {
        subs = format!("<p>{}</p>", w.none);
    }
    let back = portal
        .return_url
        .as_deref()
        .map_or_else(String::new, |url| {
            format!(
                "<p><a href=\"{}\" data-testid=\"portal-back\">{}</a></p>",
                escape(url),
                w.back
            )
        });
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title} – Growthdesk</title><link rel=\"stylesheet\" href=\"/test-gateway.css\"></head>\
         <body><main><p class=\"banner\" data-testid=\"gateway-banner\">{banner}</p>\
         <h1>{title}</h1>{subs}{back}</main></body></html>",
        lang = w.lang,
        title = w.title,
        banner = w.banner,
    )
}
