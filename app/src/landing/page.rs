//! The landing page: hero, services, process and the contact form.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use super::contact_form::ContactForm;
use crate::i18n::Lang;
use crate::shell::Layout;

/// The landing page's own words. Only the server renders the page (an islands page), so they
/// stay out of the browser's bundle; the contact form's words are in `Lang::t`.
struct LandingTexts {
    hero_kicker: &'static str,
    hero_title: &'static str,
    hero_text: &'static str,
    hero_cta: &'static str,
    services_title: &'static str,
    services: [(&'static str, &'static str); 3],
    process_title: &'static str,
    process: [(&'static str, &'static str); 3],
    contact_title: &'static str,
    contact_text: &'static str,
}

static DE: LandingTexts = LandingTexts {
    hero_kicker: "Instagram-Wachstum aus Deutschland",
    hero_title: "Mehr Reichweite. Echte Follower. Messbar.",
    hero_text: "Growthdesk plant, startet und misst Ihr Instagram-Wachstum – transparent, DSGVO-konform und mit Live-Zahlen in Ihrem Kundenportal.",
    hero_cta: "Gespräch vereinbaren",
    services_title: "Was wir für Sie tun",
    services: [
        ("Follower-Wachstum", "Zielgruppengenaue Kampagnen statt leerer Zahlen – Sie sehen jeden Schritt im Portal."),
        ("Reels & Reichweite", "Mehr Aufrufe für Ihre besten Inhalte, gesteuert nach Ihren Zielen und Ihrem Budget."),
        ("Analysen", "Follower, Reichweite und Engagement täglich aktualisiert, als übersichtliche Diagramme."),
    ],
    process_title: "So läuft es ab",
    process: [
        ("1. Gespräch", "Sie erzählen uns von Ihrem Account und Ihren Zielen."),
        ("2. Plan", "Wir schlagen Pakete und einen Zeitplan vor – mit festem Preis."),
        ("3. Wachstum", "Wir setzen um, Sie verfolgen die Ergebnisse live."),
    ],
    contact_title: "Sprechen Sie mit uns",
    contact_text: "Schreiben Sie uns kurz, worum es geht. Wir antworten innerhalb eines Werktags.",
};

static EN: LandingTexts = LandingTexts {
    hero_kicker: "Instagram growth from Germany",
    hero_title: "More reach. Real followers. Measured.",
    hero_text: "Growthdesk plans, runs and measures your Instagram growth – transparent, GDPR-compliant and with live figures in your client portal.",
    hero_cta: "Book a call",
    services_title: "What we do for you",
    services: [
        ("Follower growth", "Campaigns aimed at your audience instead of empty numbers – every step visible in the portal."),
        ("Reels & reach", "More views for your best content, steered by your goals and your budget."),
        ("Analytics", "Followers, reach and engagement updated daily, as clear charts."),
    ],
    process_title: "How it works",
    process: [
        ("1. Talk", "Tell us about your account and your goals."),
        ("2. Plan", "We propose packages and a schedule – at a fixed price."),
        ("3. Grow", "We deliver, you follow the results live."),
    ],
    contact_title: "Talk to us",
    contact_text: "Tell us briefly what it is about. We reply within one working day.",
};

#[component]
pub fn Landing(lang: Lang) -> impl IntoView {
    let t = match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    };
    view! {
        <Title text=t.hero_title/>
        <Meta name="description" content=t.hero_text/>
        <Layout lang=lang>
            <section class="bg-gradient-to-br from-fuchsia-600 via-pink-500 to-orange-400 text-white">
                <div class="mx-auto max-w-6xl px-4 py-20 sm:py-28">
                    <p class="text-sm font-semibold uppercase tracking-widest text-white/80">{t.hero_kicker}</p>
                    <h1 class="mt-4 max-w-3xl text-4xl font-extrabold leading-tight sm:text-6xl">{t.hero_title}</h1>
                    <p class="mt-6 max-w-2xl text-lg text-white/90">{t.hero_text}</p>
                    <a href="#contact" class="mt-10 inline-block rounded-xl bg-white px-6 py-3 font-semibold text-fuchsia-700 shadow hover:bg-fuchsia-50">
                        {t.hero_cta}
                    </a>
                </div>
            </section>

            <section id="services" class="mx-auto max-w-6xl px-4 py-20">
                <h2 class="text-3xl font-bold text-slate-900">{t.services_title}</h2>
                <div class="mt-10 grid gap-6 md:grid-cols-3">
                    {t.services.iter().map(|(title, text)| view! {
                        <article class="rounded-2xl border border-slate-200 p-6">
                            <h3 class="text-lg font-semibold text-slate-900">{*title}</h3>
                            <p class="mt-2 text-slate-600">{*text}</p>
                        </article>
                    }).collect_view()}
                </div>
            </section>

            <section id="process" class="bg-slate-50">
                <div class="mx-auto max-w-6xl px-4 py-20">
                    <h2 class="text-3xl font-bold text-slate-900">{t.process_title}</h2>
                    <ol class="mt-10 grid gap-6 md:grid-cols-3">
                        {t.process.iter().map(|(title, text)| view! {
                            <li class="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
                                <p class="font-semibold text-fuchsia-700">{*title}</p>
                                <p class="mt-2 text-slate-600">{*text}</p>
                            </li>
                        }).collect_view()}
                    </ol>
                </div>
            </section>

            <section id="contact" class="mx-auto grid max-w-6xl gap-10 px-4 py-20 md:grid-cols-2">
                <div>
                    <h2 class="text-3xl font-bold text-slate-900">{t.contact_title}</h2>
                    <p class="mt-4 text-lg text-slate-600">{t.contact_text}</p>
                </div>
                <ContactForm lang=lang/>
            </section>
        </Layout>
    }
}
