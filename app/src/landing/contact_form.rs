//! The "talk to us" form. It works in three situations that must look the same: hydrated
//! (the server function is called with fetch), before the WASM has loaded or with JavaScript
//! off (a plain form post answered by a redirect whose URL carries the outcome), and after such
//! a redirect when the page is rendered on the server.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use super::api::{LeadSent, SubmitLead, MESSAGE_MAX};
use crate::error::AppError;
use crate::i18n::Lang;

#[component]
pub fn ContactForm(lang: Lang) -> impl IntoView {
    let t = lang.t();
    let pending = RwSignal::new(false);
    let submitted: RwSignal<Option<Result<LeadSent, AppError>>> = RwSignal::new(None);

    // The outcome of a form post without JavaScript arrives in the URL.
    let query = use_query_map().get_untracked();
    let from_url = super::outcome::from_query(|k| query.get(k));
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
    let issue = move |field: &'static str| {
        outcome.get().and_then(|r| r.err()).and_then(|e| {
            e.issues()
                .iter()
                .find(|i| i.field == field)
                .map(|i| lang.issue(i))
        })
    };
    let general_error = move || match outcome.get() {
        Some(Err(AppError::Validation { .. })) => Some(t.form_has_errors),
        Some(Err(_)) => Some(t.error_generic),
        _ => None,
    };
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
                            {move || general_error().map(|msg| view! {
                                <p role="alert" class="rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800" data-testid="form-error">{msg}</p>
                            })}
                            <Field label=t.field_name name="name" error=Signal::derive(move || issue("name"))>
                                <input id="lead-name" name="name" type="text" autocomplete="name" required maxlength="120"
                                    value=name0 class=INPUT_CLASS aria-invalid=move || issue("name").is_some().to_string()
                                    aria-describedby="lead-name-error"/>
                            </Field>
                            <Field label=t.field_email name="email" error=Signal::derive(move || issue("email"))>
                                <input id="lead-email" name="email" type="email" autocomplete="email" required maxlength="254"
                                    value=email0 class=INPUT_CLASS aria-invalid=move || issue("email").is_some().to_string()
                                    aria-describedby="lead-email-error"/>
                            </Field>
                            <Field label=t.field_instagram name="instagram" error=Signal::derive(move || issue("instagram"))>
                                <input id="lead-instagram" name="instagram" type="text" autocomplete="off" maxlength="60"
                                    placeholder=t.field_instagram_hint value=instagram0 class=INPUT_CLASS
                                    aria-invalid=move || issue("instagram").is_some().to_string()
                                    aria-describedby="lead-instagram-error"/>
                            </Field>
                            <Field label=t.field_message name="message" error=Signal::derive(move || issue("message"))>
                                <textarea id="lead-message" name="message" rows="5" required maxlength=MESSAGE_MAX.to_string()
                                    class=INPUT_CLASS aria-invalid=move || issue("message").is_some().to_string()
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
                                <FieldError id="lead-consent-error" error=Signal::derive(move || issue("consent"))/>
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

const INPUT_CLASS: &str = "mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-slate-900 shadow-sm focus:border-fuchsia-500 focus:outline-none focus:ring-2 focus:ring-fuchsia-200 aria-[invalid=true]:border-red-500";

#[component]
fn Field(
    label: &'static str,
    name: &'static str,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    let id = format!("lead-{name}");
    let error_id = format!("lead-{name}-error");
    view! {
        <div>
            <label for=id class="block text-sm font-medium text-slate-700">{label}</label>
            {children()}
            <FieldError id=error_id error=error/>
        </div>
    }
}

#[component]
fn FieldError(#[prop(into)] id: String, error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="mt-1 text-sm text-red-700" data-testid="field-error">
            {move || error.get()}
        </p>
    }
}
