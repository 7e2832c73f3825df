use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{lazy_route, LazyRoute};

use super::api::{list_outbox, Outbox};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::shell::Layout;

/// The outbox is a developer page: its view and its data loading are split out of the main
/// WASM bundle (`cargo leptos build --split`) so the landing page does not pay for them.
pub struct OutboxPage;

#[lazy_route]
impl LazyRoute for OutboxPage {
    fn data() -> Self {
        OutboxPage
    }

    fn view(_this: Self) -> AnyView {
        let refresh = RwSignal::new(0u32);
        let outbox = Resource::new(move || refresh.get(), |_| list_outbox());
        view! {
            <Title text="Outbox – Growthdesk (local)"/>
            <Layout lang=Lang::De>
                <section class="mx-auto max-w-5xl px-4 py-12">
                    <div class="rounded-xl border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900" data-testid="outbox-banner">
                        "Lokaler Postausgang / local outbox: SMTP ist nicht konfiguriert. Diese Mails wurden nicht versendet, "
                        "sondern als Dateien abgelegt. / SMTP is not configured; these mails were written to files, not sent."
                    </div>
                    <div class="mt-8 flex items-center justify-between">
                        <h1 class="text-3xl font-bold text-slate-900">"Outbox"</h1>
                        <button on:click=move |_| refresh.update(|n| *n += 1) data-testid="outbox-refresh"
                            class="rounded-lg border border-slate-300 px-4 py-2 text-sm font-medium hover:border-fuchsia-500">
                            "Aktualisieren / Refresh"
                        </button>
                    </div>
                    <Transition fallback=|| view! { <p class="mt-6 text-slate-500">"…"</p> }>
                        <ErrorBoundary fallback=|errors| view! { <OutboxError errors=errors/> }>
                            {move || Suspend::new(async move { outbox.await.map(outbox_list) })}
                        </ErrorBoundary>
                    </Transition>
                </section>
            </Layout>
        }
        .into_any()
    }
}

fn outbox_list(outbox: Outbox) -> impl IntoView {
    let empty = outbox.mails.is_empty().then(|| {
        view! { <p class="mt-6 text-slate-600" data-testid="outbox-empty">"Noch keine Mails. / No mail yet."</p> }
    });
    view! {
        <p class="mt-2 text-sm text-slate-500">{outbox.folder}</p>
        {empty}
        <ul class="mt-6 space-y-4" data-testid="outbox-list">
            {outbox.mails.into_iter().map(|m| view! {
                <li class="rounded-xl border border-slate-200 p-4" data-testid="outbox-mail">
                    <p class="font-semibold text-slate-900" data-testid="outbox-subject">{m.subject}</p>
                    <p class="text-sm text-slate-600">"An / to: " <span data-testid="outbox-to">{m.to}</span></p>
                    <p class="text-xs text-slate-500">{m.from} " · " {m.date}</p>
                    <details class="mt-2">
                        <summary class="cursor-pointer text-sm text-fuchsia-700">"Text"</summary>
                        <pre class="mt-2 whitespace-pre-wrap text-sm text-slate-800">{m.body}</pre>
                    </details>
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn OutboxError(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let message = move || {
        let not_found = errors.get().iter().any(|(_, e)| {
            e.downcast_ref::<AppError>()
                .is_some_and(|e| *e == AppError::NotFound)
        });
        #[cfg(feature = "ssr")]
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(if not_found {
                http::StatusCode::NOT_FOUND
            } else {
                http::StatusCode::INTERNAL_SERVER_ERROR
            });
        }
        if not_found {
            "Der Postausgang ist nur lokal ohne SMTP verfügbar. / The outbox exists only locally without SMTP."
        } else {
            "Der Postausgang konnte nicht gelesen werden. / The outbox could not be read."
        }
    };
    view! { <p class="mt-6 rounded-lg bg-red-50 px-4 py-3 text-red-800" role="alert">{message}</p> }
}
