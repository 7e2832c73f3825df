//! The building blocks every area's pages share, so that forms and data regions look and
//! behave the same everywhere: one accessible field markup (label, `aria-invalid`,
//! `aria-describedby`, the problem in words), one form-level message, one notice, one card,
//! and one way to show a region whose data failed to load (which also gives a
//! server-rendered page the error's HTTP status).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::error::AppError;
use crate::i18n::Lang;
use crate::shell::Layout;

pub const INPUT: &str = "mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-slate-900 shadow-sm focus:border-fuchsia-500 focus:outline-none focus:ring-2 focus:ring-fuchsia-200 aria-[invalid=true]:border-red-500";
pub const BUTTON: &str = "w-full rounded-xl bg-fuchsia-600 px-6 py-3 font-semibold text-white shadow hover:bg-fuchsia-700 disabled:opacity-60";
pub const SECONDARY: &str = "w-full rounded-xl border border-slate-300 bg-white px-6 py-2 text-sm font-semibold text-slate-800 hover:border-fuchsia-500";
pub const DANGER: &str = "w-full rounded-xl border border-red-300 px-6 py-2 text-sm font-semibold text-red-700 hover:bg-red-50";
pub const LINK: &str = "text-sm font-medium text-fuchsia-700 hover:underline";

/// A page holding one centred card (sign-in, account settings).
#[component]
pub fn CardPage(title: &'static str, lang: Lang, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <Layout lang=lang>
            <section class="mx-auto max-w-md px-4 py-16">
                <h1 class="text-3xl font-bold text-slate-900">{title}</h1>
                <div class="mt-6 space-y-4 rounded-2xl bg-white p-6 shadow-lg ring-1 ring-slate-200">{children()}</div>
            </section>
        </Layout>
    }
}

/// Something went well (a link was sent, a setting changed).
#[component]
pub fn Notice(text: &'static str) -> impl IntoView {
    view! { <p role="status" data-testid="notice" class="rounded-lg bg-emerald-50 px-4 py-3 text-sm text-emerald-800">{text}</p> }
}

/// The sentence above a form that failed, when it did. `words` says it in the area's terms
/// (its conflicts, its wording); by default the words every area shares ([`error_text`]).
#[component]
pub fn FormError(
    lang: Lang,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(default = error_text)] words: fn(Lang, &AppError) -> &'static str,
) -> impl IntoView {
    move || {
        error.with(|e| e.as_ref().map(|e| words(lang, e))).map(|text| {
            view! { <p role="alert" data-testid="form-error" class="rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800">{text}</p> }
        })
    }
}

/// One form field: its label, the control, an optional hint and the problem in words. Ids
/// are `{form}-{name}` (the control) and `{form}-{name}-error` (the problem), which the
/// control's `aria-describedby` names. Without `children`, the control is a plain `<input>` of
/// type `kind`; with them, the children are the control (a textarea, a prefilled input) and
/// must carry those ids themselves.
#[component]
pub fn Field(
    /// The form's id prefix (`auth`, `lead`, …).
    form: &'static str,
    lang: Lang,
    label: &'static str,
    name: &'static str,
    /// The form's last error; the problem it reports on this field is shown here.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    let error_id = format!("{form}-{name}-error");
    // The control is described by its hint (when there is one) and its problem.
    let described = match hint {
        Some(_) => format!("{form}-{name}-hint {error_id}"),
        None => error_id.clone(),
    };
    let issue = issue_on(lang, error, name);
    let control = match children {
        Some(children) => children(),
        None => view! {
            <input id=id.clone() name=name type=kind autocomplete=autocomplete required class=INPUT
                aria-invalid=move || issue.get().is_some().to_string() aria-describedby=described/>
        }
        .into_any(),
    };
    view! {
        <div>
            <label for=id class="block text-sm font-medium text-slate-700">{label}</label>
            {control}
            {hint.map(|h| view! { <p id=format!("{form}-{name}-hint") class="mt-1 text-xs text-slate-500">{h}</p> })}
            <p id=error_id class="mt-1 text-sm text-red-700" data-testid="field-error">{move || issue.get()}</p>
        </div>
    }
}

/// The words for the problem `error` reports on field `name`, if it reports one (for a
/// control given to [`Field`] as children, whose `aria-invalid` follows it).
pub fn issue_on(
    lang: Lang,
    error: Signal<Option<AppError>>,
    name: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        error.with(|e| {
            e.as_ref()?
                .issues()
                .iter()
                .find(|i| i.field == name)
                .map(|i| lang.issue(i))
        })
    })
}

/// The error of an action's last call, if it failed.
pub fn failed<T, O>(action: ServerAction<T>) -> Signal<Option<AppError>>
where
    T: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// A region whose data comes from the server: "…" while it loads, the children once it came,
/// and, when it failed, what went wrong in the page's language with the way on (sign in, set
/// up two-factor sign-in). A page rendered on the server answers with the error's status
/// (401, 403, 404, 500…), so the region's failure is the page's.
///
/// The children are the data view: a `Suspend` whose value is a `Result<_, AppError>`.
#[component]
pub fn Loaded<Chil>(lang: Lang, children: TypedChildren<Chil>) -> impl IntoView
where
    Chil: IntoView + Send + 'static,
{
    let children = children.into_inner();
    view! {
        <Transition fallback=|| view! { <p class="mt-6 text-slate-500" aria-busy="true">"…"</p> }>
            <ErrorBoundary fallback=move |errors| view! { <LoadError lang=lang errors=errors/> }>
                {children()}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn LoadError(lang: Lang, errors: ArcRwSignal<Errors>) -> impl IntoView {
    let error = move || {
        errors.with(|list| {
            list.iter()
                .find_map(|(_, e)| e.downcast_ref::<AppError>().cloned())
                .unwrap_or(AppError::Internal(String::new()))
        })
    };
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(error().status());
    }
    move || {
        let error = error();
        let (testid, way_on) = match error {
            AppError::Unauthorized => (
                "not-signed-in",
                Some(("/login", tr(lang, "Anmelden", "Sign in"))),
            ),
            AppError::SecondFactorRequired => (
                "load-error",
                Some((
                    "/account/two-factor",
                    tr(
                        lang,
                        "Zwei-Faktor-Anmeldung einrichten",
                        "Set up two-factor sign-in",
                    ),
                )),
            ),
            _ => ("load-error", None),
        };
        view! {
            <div role="alert" data-testid=testid class="mt-6 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800">
                <p>{error_text(lang, &error)}</p>
                {way_on.map(|(path, text)| {
                    let href = lang.path(path);
                    let rel = crate::shell::islands::crossing(crate::shell::islands::here_is_storefront(), &href);
                    view! {
                        <a data-testid="way-on" class="mt-2 block font-medium text-fuchsia-700 hover:underline" rel=rel href=href>{text}</a>
                    }
                })}
            </div>
        }
    }
}

fn tr(lang: Lang, de: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// What went wrong, for the errors every area shares; an area words its own conflicts and
/// field problems and falls back to this.
pub fn error_text(lang: Lang, error: &AppError) -> &'static str {
    match error {
        AppError::NotFound => tr(lang, "Das gibt es hier nicht (mehr).", "This does not exist (any more)."),
        AppError::Unauthorized => tr(lang, "Bitte melden Sie sich an.", "Please sign in."),
        AppError::Forbidden => tr(
            lang,
            "Dafür fehlt Ihrem Konto die Berechtigung.",
            "Your account is not allowed to do this.",
        ),
        AppError::SecondFactorRequired => tr(
            lang,
            "Dieser Bereich verlangt die Anmeldung mit einem zweiten Faktor. Richten Sie ihn zuerst ein.",
            "This area needs sign-in with a second factor. Set it up first.",
        ),
        AppError::ReauthRequired => tr(
            lang,
            "Bitte bestätigen Sie zuerst, dass Sie es sind (Passwort oder Code).",
            "Please confirm it is you first (password or code).",
        ),
        AppError::Validation { .. } => tr(
            lang,
            "Bitte prüfen Sie die markierten Felder.",
            "Please check the marked fields.",
        ),
        AppError::RateLimited(_) => tr(
            lang,
            "Zu viele Versuche. Bitte warten Sie ein paar Minuten.",
            "Too many attempts. Please wait a few minutes.",
        ),
        AppError::Transport(_) => tr(
            lang,
            "Keine Verbindung zum Server. Bitte versuchen Sie es gleich noch einmal.",
            "Could not reach the server. Please try again in a moment.",
        ),
        _ => tr(
            lang,
            "Das hat leider nicht geklappt. Bitte versuchen Sie es gleich noch einmal.",
            "Sorry, that did not work. Please try again in a moment.",
        ),
    }
}
