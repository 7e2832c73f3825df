//! `/admin/jobs`: the background jobs by queue (queued, running, retrying, dead, with the
//! oldest due job's wait), a list filtered by state with each job's error, retry and cancel.
//! `/admin/mail`: every mail template previewed with sample data (German and English, text
//! and HTML), and a person's mail history with each delivery's state and the server's answer.
//! The order page shows its own mails ([`order_mails`]).

use leptos::prelude::*;
use leptos_meta::Title;

use super::ops_api::{
    admin_jobs, admin_mail_preview, admin_order_mails, admin_person_mails, AdminCancelJob,
    AdminRetryJob, MailRecordView,
};
use super::pages::admin_nav;
use crate::error::{AppError, Conflict};
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::ui::{failed, FormError, Loaded, INPUT, LINK, SECONDARY};

fn job_words(lang: Lang, e: &AppError) -> &'static str {
    match (lang, e) {
        (Lang::De, AppError::Conflict(Conflict::TaskChanged)) => {
            "Dieser Job hat sich inzwischen geändert (er läuft oder ist fertig)."
        }
        (Lang::En, AppError::Conflict(Conflict::TaskChanged)) => {
            "This job changed meanwhile (it is running or finished)."
        }
        _ => crate::ui::error_text(lang, e),
    }
}

fn state_words(lang: Lang, state: &str) -> &'static str {
    match (state, lang == Lang::De) {
        ("queued", true) => "Wartet",
        ("queued", false) => "Queued",
        ("running", true) => "Läuft",
        ("running", false) => "Running",
        ("retrying", true) => "Fehler, neuer Versuch folgt",
        ("retrying", false) => "Failed, will retry",
        ("dead", true) => "Aufgegeben",
        ("dead", false) => "Dead",
        ("done", true) => "Erledigt",
        ("done", false) => "Done",
        ("cancelled", true) => "Abgebrochen",
        ("cancelled", false) => "Cancelled",
        (_, true) => "Unbekannt",
        (_, false) => "Unknown",
    }
}

pub(super) fn jobs_view() -> AnyView {
    let lang = Lang::here();
    let de = lang == Lang::De;
    let state = RwSignal::new(String::new());
    let retry = ServerAction::<AdminRetryJob>::new();
    let cancel = ServerAction::<AdminCancelJob>::new();
    let jobs = Resource::new(
        move || (state.get(), retry.version().get(), cancel.version().get()),
        |(state, _, _)| admin_jobs(state),
    );
    let (e1, e2) = (failed(retry), failed(cancel));
    let error = Signal::derive(move || e1.get().or(e2.get()));
    view! {
        <Title text="Jobs"/>
        <Layout lang=lang>
            <section class="mx-auto max-w-5xl px-4 py-12">
                {admin_nav(lang)}
                <h1 class="text-3xl font-bold text-slate-900">{if de { "Hintergrund-Jobs" } else { "Background jobs" }}</h1>
                <label class="mt-4 block max-w-xs text-sm text-slate-700">{if de { "Zustand" } else { "State" }}
                    <select class=INPUT data-testid="job-state" on:change=move |ev| state.set(event_target_value(&ev))>
                        <option value="">{if de { "Alle offenen" } else { "All open" }}</option>
                        {gd_states().into_iter().map(|s| view! { <option value=s>{state_words(lang, s)}</option> }).collect_view()}
                    </select>
                </label>
                <div class="mt-4"><FormError lang=lang error=error words=job_words/></div>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        jobs.await.map(|v| {
                            let queues = v.queues.into_iter().map(|q| view! {
                                <tr class="border-t border-slate-200" data-testid="queue">
                                    <td class="py-1 font-medium">{q.kind.clone()}</td>
                                    {["queued", "running", "retrying", "dead"].into_iter().map(|s| {
                                        let n = q.counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
                                        view! { <td class="text-right">{n}</td> }
                                    }).collect_view()}
                                    <td class="text-right">{format!("{} s", q.oldest_due_secs)}</td>
                                </tr>
                            }).collect_view();
                            let rows = v.jobs.into_iter().map(|j| {
                                let (retry_id, cancel_id) = (j.id.clone(), j.id.clone());
                                let can_retry = matches!(j.state.as_str(), "dead" | "retrying" | "cancelled");
                                let can_cancel = matches!(j.state.as_str(), "queued" | "retrying");
                                view! {
                                    <li class="rounded-lg border border-slate-200 p-3 text-sm" data-testid="job" data-state=j.state.clone()>
                                        <p><span class="font-medium">{j.kind.clone()}</span> " · " {state_words(lang, &j.state)}
                                            " · " {format!("{}/{}", j.attempts, j.max_attempts)} " · " {j.run_at.clone()}
                                            {j.done_at.clone().map(|d| format!(" → {d}"))}</p>
                                        {j.error.clone().map(|e| view! { <p class="break-all text-red-700" data-testid="job-error">{e}</p> })}
                                        <div class="mt-2 flex gap-3">
                                            {can_retry.then(|| view! {
                                                <ActionForm action=retry><input type="hidden" name="id" value=retry_id/>
                                                    <button type="submit" class=SECONDARY data-testid="retry-job">{if de { "Jetzt erneut" } else { "Retry now" }}</button></ActionForm>
                                            })}
                                            {can_cancel.then(|| view! {
                                                <ActionForm action=cancel><input type="hidden" name="id" value=cancel_id/>
                                                    <button type="submit" class=SECONDARY data-testid="cancel-job">{if de { "Abbrechen" } else { "Cancel" }}</button></ActionForm>
                                            })}
                                        </div>
                                    </li>
                                }
                            }).collect_view();
                            view! {
                                <table class="mt-6 w-full text-left text-sm">
                                    <thead class="text-slate-500"><tr>
                                        <th class="py-1">{if de { "Warteschlange" } else { "Queue" }}</th>
                                        <th class="text-right">{state_words(lang, "queued")}</th>
                                        <th class="text-right">{state_words(lang, "running")}</th>
                                        <th class="text-right">{if de { "Neuer Versuch" } else { "Retrying" }}</th>
                                        <th class="text-right">{state_words(lang, "dead")}</th>
                                        <th class="text-right">{if de { "Ältester fällig seit" } else { "Oldest due for" }}</th>
                                    </tr></thead>
                                    <tbody>{queues}</tbody>
                                </table>
                                <ul class="mt-6 space-y-2">{rows}</ul>
                            }
                        })
                    })}
                </Loaded>
            </section>
        </Layout>
    }
    .into_any()
}

fn gd_states() -> [&'static str; 6] {
    ["queued", "running", "retrying", "dead", "done", "cancelled"]
}

fn mail_state(lang: Lang, state: &str) -> &'static str {
    match (state, lang == Lang::De) {
        ("queued", true) => "Wartet",
        ("queued", false) => "Queued",
        ("sending", true) => "Wird gesendet",
        ("sending", false) => "Sending",
        ("sent", true) => "Gesendet",
        ("sent", false) => "Sent",
        ("failed", true) => "Fehlgeschlagen",
        ("failed", false) => "Failed",
        (_, true) => "Unbekannt",
        (_, false) => "Unknown",
    }
}

/// A list of mails with their delivery.
pub(super) fn mail_list(lang: Lang, mails: Vec<MailRecordView>) -> impl IntoView {
    let de = lang == Lang::De;
    if mails.is_empty() {
        return view! { <p class="text-sm text-slate-600" data-testid="no-mails">{if de { "Keine Mails." } else { "No mails." }}</p> }.into_any();
    }
    view! {
        <ul class="space-y-2 text-sm" data-testid="mail-history">
            {mails.into_iter().map(|m| view! {
                <li class="rounded-lg border border-slate-200 p-3" data-testid="mail" data-state=m.state.clone()>
                    <p class="font-medium text-slate-900">{m.subject.clone()}</p>
                    <p class="text-slate-600">{m.to.clone()} " · " {m.kind.clone()} " · " {m.lang.clone()} " · " {m.created.clone()}</p>
                    <p class=if m.state == "failed" { "text-red-700" } else { "text-slate-600" }>
                        {mail_state(lang, &m.state)} {format!(" · {} {}", m.attempts, if de { "Versuch(e)" } else { "attempt(s)" })}
                        {m.sent.clone().map(|s| format!(" · {s}"))}
                    </p>
                    {m.answer.clone().map(|a| view! { <p class="break-all text-xs text-slate-500" data-testid="mail-answer">{a}</p> })}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The mails of order `id` (on the order page).
pub(super) fn order_mails(lang: Lang, id: String) -> impl IntoView {
    let mails = Resource::new(move || id.clone(), admin_order_mails);
    view! {
        <h2 class="mt-8 font-semibold text-slate-900">"Mails"</h2>
        <Loaded lang=lang>
            {move || Suspend::new(async move { mails.await.map(|m| mail_list(lang, m)) })}
        </Loaded>
    }
}

pub(super) fn mail_view() -> AnyView {
    let lang = Lang::here();
    let de = lang == Lang::De;
    let kind = RwSignal::new(String::new());
    let mail_lang = RwSignal::new("de".to_owned());
    let preview = Resource::new(
        move || (kind.get(), mail_lang.get()),
        |(kind, lang)| admin_mail_preview(kind, lang),
    );
    let email = RwSignal::new(String::new());
    let history = Resource::new(move || email.get(), admin_person_mails);
    view! {
        <Title text="Mail"/>
        <Layout lang=lang>
            <section class="mx-auto max-w-5xl px-4 py-12">
                {admin_nav(lang)}
                <h1 class="text-3xl font-bold text-slate-900">{if de { "Mail-Vorlagen" } else { "Mail templates" }}</h1>
                <p class="mt-2 text-sm text-slate-600">{if de { "Jede Mail mit Beispieldaten, als Text und als HTML." } else { "Every mail with sample data, as text and as HTML." }}</p>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        preview.await.map(|p| {
                            let current = p.kind.clone();
                            view! {
                                <div class="mt-4 flex flex-wrap gap-4">
                                    <label class="text-sm text-slate-700">{if de { "Vorlage" } else { "Template" }}
                                        <select class=INPUT data-testid="mail-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                                            {p.kinds.iter().map(|k| view! { <option value=k.clone() selected=*k == current>{k.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label class="text-sm text-slate-700">{if de { "Sprache" } else { "Language" }}
                                        <select class=INPUT data-testid="mail-lang" on:change=move |ev| mail_lang.set(event_target_value(&ev))>
                                            <option value="de" selected=p.lang == "de">"Deutsch"</option>
                                            <option value="en" selected=p.lang == "en">"English"</option>
                                        </select>
                                    </label>
                                </div>
                                <p class="mt-4 font-semibold text-slate-900" data-testid="mail-subject">{p.subject.clone()}</p>
                                <div class="mt-2 grid gap-4 md:grid-cols-2">
                                    <pre class="whitespace-pre-wrap rounded-lg bg-slate-50 p-3 text-sm" data-testid="mail-text">{p.text.clone()}</pre>
                                    // The HTML part as the recipient sees it, sandboxed: no scripts, no navigation.
                                    <iframe title="HTML" sandbox="" srcdoc=p.html.clone() class="h-96 w-full rounded-lg border border-slate-200" data-testid="mail-html"></iframe>
                                </div>
                            }
                        })
                    })}
                </Loaded>
                <h2 class="mt-10 text-xl font-semibold text-slate-900">{if de { "Mails an eine Person" } else { "Mails to a person" }}</h2>
                <label class="mt-2 block max-w-md text-sm text-slate-700">{if de { "E-Mail-Adresse" } else { "Email address" }}
                    <input type="email" class=INPUT data-testid="mail-person" on:change=move |ev| email.set(event_target_value(&ev))/>
                </label>
                <div class="mt-4">
                    <Loaded lang=lang>
                        {move || Suspend::new(async move { history.await.map(|m| mail_list(lang, m)) })}
                    </Loaded>
                </div>
                <p class="mt-8"><a class=LINK href=lang.path("/admin/jobs")>{if de { "Hintergrund-Jobs →" } else { "Background jobs →" }}</a></p>
            </section>
        </Layout>
    }
    .into_any()
}
