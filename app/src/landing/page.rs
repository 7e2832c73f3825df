//! The landing page: hero, services, process and the contact form.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use super::contact_form::ContactForm;
use crate::i18n::Lang;
use crate::shell::Layout;

#[component]
pub fn Landing(lang: Lang) -> impl IntoView {
    let t = lang.t();
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
