//! The "talk to us" form. It works in three situations that must look the same: hydrated
//! (the server function is called with fetch), before the WASM has loaded or with JavaScript
//! off (a plain form post answered by a redirect whose URL carries the outcome), and after such
//! a redirect when the page is rendered on the server.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::api::{LeadSent, SubmitLead, MESSAGE_MAX};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::ui::{issue_on, Field, FormError, INPUT};

/// The landing page's island.
#[island]
pub fn ContactForm(lang: Lang) -> impl IntoView {
    let t = lang.t();
    let pending = RwSignal::new(false);
    let submitted: RwSignal<Option<Result<LeadSent, AppError>>> = RwSignal::new(None);
    let from_url = outcome_in_url();
    let echo = |field: &str| match &from_url {
        Some(Err(AppError::Validation { echo, .. })) => {
            echo.get(field).cloned().unwrap_or_default()
        }
        _ => String::new(),
    };
    let (name0, email0, instagram0, message0) = (
        echo("name"),
        echo("email"),
        echo("instagram"),
        echo("message"),
    );
    let consent0 = !echo("consent").is_empty();

    let outcome = Memo::new(move |_| submitted.get().or_else(|| from_url.clone()));
    // Hydrated: read the form and call the server function with fetch. The code that encodes
    // the request and decodes the answer is loaded on the first submit (`#[lazy]`), so the
    // landing page's first load does not carry it; before hydration the form posts as HTML.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = event_target::<leptos::web_sys::HtmlFormElement>(&ev);
        let Ok(data) = leptos::web_sys::FormData::new_with_form(&form) else {
            return;
        };
        let field = |name: &str| data.get(name).as_string().unwrap_or_default();
        let input = SubmitLead {
            name: field("name"),
            email: field("email"),
            instagram: field("instagram"),
            message: field("message"),
            consent: data.has("consent").then(|| "on".to_owned()),
            lang: field("lang"),
        };
        pending.set(true);
        leptos::task::spawn_local(async move {
            let result = send_lead(input).await;
            submitted.set(Some(result));
            pending.set(false);
        });
    };
    let sent = move || matches!(outcome.get(), Some(Ok(_)));
    let error = Signal::derive(move || outcome.get().and_then(|r| r.err()));
    let invalid = move |field: &'static str| {
        let issue = issue_on(lang, error, field);
        move || issue.get().is_some().to_string()
    };
    let consent_issue = issue_on(lang, error, "consent");
    let message_len = RwSignal::new(message0.chars().count());

    view! {
        <div class="rounded-2xl bg-white p-6 shadow-lg ring-1 ring-slate-200 sm:p-8">
            <Show
                when=sent
                fallback=move || {
                    let (name0, email0, instagram0, message0) =
                        (name0.clone(), email0.clone(), instagram0.clone(), message0.clone());
                    view! {
                        <form method="post" action=SubmitLead::PATH novalidate class="space-y-5" data-testid="lead-form"
                            on:submit=on_submit>
                            <input type="hidden" name="lang" value=lang.code()/>
                            <FormError lang=lang error=error words=lead_words/>
                            <Field form="lead" lang=lang label=t.field_name name="name" error=error>
                                <input id="lead-name" name="name" type="text" autocomplete="name" required maxlength="120"
                                    value=name0 class=INPUT aria-invalid=invalid("name")
                                    aria-describedby="lead-name-error"/>
                            </Field>
                            <Field form="lead" lang=lang label=t.field_email name="email" error=error>
                                <input id="lead-email" name="email" type="email" autocomplete="email" required maxlength="254"
                                    value=email0 class=INPUT aria-invalid=invalid("email")
                                    aria-describedby="lead-email-error"/>
                            </Field>
                            <Field form="lead" lang=lang label=t.field_instagram name="instagram" error=error>
                                <input id="lead-instagram" name="instagram" type="text" autocomplete="off" maxlength="60"
                                    placeholder=t.field_instagram_hint value=instagram0 class=INPUT
                                    aria-invalid=invalid("instagram")
                                    aria-describedby="lead-instagram-error"/>
                            </Field>
                            <Field form="lead" lang=lang label=t.field_message name="message" error=error>
                                <textarea id="lead-message" name="message" rows="5" required maxlength=MESSAGE_MAX.to_string()
                                    class=INPUT aria-invalid=invalid("message")
                                    aria-describedby="lead-message-error lead-message-count"
                                    on:input=move |ev| message_len.set(event_target_value(&ev).chars().count())
                                >{message0}</textarea>
                                <p id="lead-message-count" class="mt-1 text-right text-xs text-slate-500" data-testid="message-count">
                                    {move || message_len.get()} " / " {MESSAGE_MAX} " " {t.chars}
                                </p>
                            </Field>
                            <div>
                                <label class="flex items-start gap-3 text-sm text-slate-700">
                                    <input id="lead-consent" name="consent" type="checkbox" checked=consent0
                                        class="mt-1 h-4 w-4 rounded border-slate-300 text-fuchsia-600"
                                        aria-describedby="lead-consent-error"/>
                                    <span>{t.field_consent}</span>
                                </label>
                                <p id="lead-consent-error" class="mt-1 text-sm text-red-700" data-testid="field-error">
                                    {move || consent_issue.get()}
                                </p>
                            </div>
                            <button type="submit" disabled=move || pending.get()
                                class="w-full rounded-xl bg-fuchsia-600 px-6 py-3 font-semibold text-white shadow hover:bg-fuchsia-700 disabled:opacity-60 sm:w-auto">
                                {move || if pending.get() { t.sending } else { t.submit }}
                            </button>
                        </form>
                    }
                }
            >
                <div role="status" data-testid="lead-sent" class="space-y-2 text-center">
                    <p class="text-2xl font-bold text-slate-900">{t.sent_title}</p>
                    <p class="text-slate-600">{t.sent_text}</p>
                </div>
            </Show>
        </div>
    }
}

#[lazy]
async fn send_lead(input: SubmitLead) -> Result<LeadSent, AppError> {
    input.run_on_client().await
}

/// The outcome of a form post made without JavaScript, which arrives in the page's URL
/// (see `outcome`). Read from the address on both sides, so that the island needs no props
/// (and the browser no JSON decoder for errors until the form is sent).
fn outcome_in_url() -> Option<Result<LeadSent, AppError>> {
    #[cfg(feature = "ssr")]
    let query = leptos_router::hooks::use_query_map()
        .get_untracked()
        .to_query_string();
    #[cfg(not(feature = "ssr"))]
    let query = window().location().search().unwrap_or_default();
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
            .into_owned()
            .collect();
    super::outcome::from_query(|k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
}

/// The sentence above the form when it failed.
fn lead_words(lang: Lang, error: &AppError) -> &'static str {
    match error {
        AppError::Validation { .. } => lang.t().form_has_errors,
        _ => lang.t().error_generic,
    }
}
