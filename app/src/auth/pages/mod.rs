//! The account pages, in two lazy routes: the sign-in pages (sign-in, sign-up, verify,
//! forgot, reset) and account settings; their code loads only when someone opens one.
//! Every form is an `ActionForm` (or a plain form for the provider buttons), so it also works
//! before the WASM has loaded.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};
use leptos_router::{lazy_route, LazyRoute};

mod two_factor;

use super::api::{
    ChangePassword, EndOtherSessions, LogIn, LogOut, RequestAccountDeletion, RequestEmailChange,
    RequestPasswordReset, ResendVerification, ResetPassword, SignInStep, SignUp, UnlinkLogin,
    VerifyEmail,
};
use super::providers::{LinkedLoginView, ProviderProblem};
use super::texts::AuthTexts;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::ui::{
    failed, CardPage, Field, FormError, Loaded, Notice, BUTTON, DANGER, INPUT, LINK, SECONDARY,
};
use gd_common::LoginProvider;

fn query(name: &str) -> Option<String> {
    use_query_map().get_untracked().get(name)
}

/// Whether the page's URL carries `?name=…`, following client-side navigation (a server
/// function's redirect to the same page with a new query does not re-create the view).
fn has_query(name: &'static str) -> Signal<bool> {
    let query = use_query_map();
    Signal::derive(move || query.with(|q| q.get(name).is_some()))
}

/// The message for `?provider_error=…&provider=…`, which the provider sign-in puts on the
/// sign-in or account page when it did not work.
fn provider_problem(lang: Lang) -> Signal<Option<String>> {
    let query = use_query_map();
    Signal::derive(move || {
        query.with(|q| {
            let problem = ProviderProblem::parse(&q.get("provider_error")?)?;
            let label = gd_common::LoginProvider::parse(&q.get("provider")?)?.label();
            Some(AuthTexts::of(lang).provider_problem(problem, label))
        })
    })
}

#[component]
fn ProviderProblemNotice(lang: Lang) -> impl IntoView {
    let problem = provider_problem(lang);
    move || {
        problem.get().map(|text| {
            view! { <p role="alert" data-testid="provider-error" class="rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800">{text}</p> }
        })
    }
}

/// A plain form (a full page navigation, also without WASM): the server sends the browser on
/// to the provider.
#[component]
fn ProviderButton(
    lang: Lang,
    provider: LoginProvider,
    link: bool,
    #[prop(optional)] local: bool,
) -> impl IntoView {
    let t = AuthTexts::of(lang);
    let (id, label) = (provider.id(), provider.label());
    let text = match (link, local) {
        (true, _) => t.link_button.to_owned(),
        (false, false) => format!("{} {label}", t.continue_with),
        (false, true) => format!("{} {label} {}", t.continue_with, t.local_provider),
    };
    let action = format!("/auth/{id}/start");
    view! {
        <form method="post" action=action>
            <input type="hidden" name="lang" value=lang.code()/>
            {link.then(|| view! { <input type="hidden" name="intent" value="link"/> })}
            <button type="submit" data-provider=id class=SECONDARY>{text}</button>
        </form>
    }
}

/// Loads `path` as a new document (not a client-side navigation): after signing in or out.
fn load_page(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// The words for a failed form on these pages.
fn auth_words(lang: Lang, error: &AppError) -> &'static str {
    AuthTexts::of(lang).error(error)
}

macro_rules! lazy_page {
    ($name:ident, $view:ident) => {
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                $name
            }

            fn view(_this: Self) -> AnyView {
                $view().into_any()
            }
        }
    };
}

lazy_page!(AccountPage, account_pages_view);

/// The signed-in client's pages share one lazy chunk: account settings, two-factor
/// settings, the checkout and the client portal (dashboard, orders, subscriptions).
fn account_pages_view() -> AnyView {
    let path = use_location().pathname.get_untracked();
    match path.strip_prefix("/en").unwrap_or(&path) {
        "/account/two-factor" => two_factor::two_factor_view().into_any(),
        "/checkout" => crate::checkout::page::checkout_view().into_any(),
        "/portal" => crate::checkout::portal::dashboard_view().into_any(),
        "/portal/subscriptions" => crate::checkout::portal::subscriptions_view().into_any(),
        "/portal/orders" => crate::checkout::page::orders_view().into_any(),
        "/portal/invoices" => crate::invoices::page::portal_view(),
        p if p.starts_with("/portal/orders/") => crate::checkout::page::order_view().into_any(),
        _ => account_view().into_any(),
    }
}
lazy_page!(SignInPages, sign_in_pages_view);

/// The pages of signing up and in (sign-in, sign-up, verify, forgot, reset) share one lazy
/// chunk: each lazy page type costs the first-load bundle its own loader (and the chunk loader
/// a table entry), and these small forms share most of their code anyway. Account settings
/// stay apart: they are several times larger.
fn sign_in_pages_view() -> AnyView {
    let path = use_location().pathname.get_untracked();
    match path.strip_prefix("/en").unwrap_or(&path) {
        "/signup" => signup_view().into_any(),
        "/verify-email" => verify_view().into_any(),
        "/forgot-password" => forgot_view().into_any(),
        "/reset-password" => reset_view().into_any(),
        "/login/code" => two_factor::login_code_view().into_any(),
        _ => login_view().into_any(),
    }
}

fn login_view() -> impl IntoView {
    let lang = Lang::here();
    let t = AuthTexts::of(lang);
    let action = ServerAction::<LogIn>::new();
    let error = failed(action);
    let (verified, reset, resent) = (
        has_query("verified"),
        has_query("reset"),
        has_query("resent"),
    );
    let resend = ServerAction::<ResendVerification>::new();
    let unverified = move || matches!(error.get(), Some(AppError::EmailNotVerified));
    let providers = Resource::new(|| (), |_| super::api::login_providers());
    // Signed in: a full page load of the account page, so everything renders for this user;
    // with two-factor sign-in, the code comes first.
    Effect::new(move |_| match action.value().get() {
        Some(Ok(SignInStep::SignedIn)) => load_page(&lang.path("/account")),
        Some(Ok(SignInStep::CodeNeeded)) => load_page(&lang.path("/login/code")),
        _ => {}
    });
    view! {
        <CardPage title=t.login_title lang=lang>
            <ProviderProblemNotice lang=lang/>
            <Show when=move || verified.get()><Notice text=t.verified_notice/></Show>
            <Show when=move || reset.get()><Notice text=t.reset_notice/></Show>
            <Show when=move || resent.get()><Notice text=t.resent_notice/></Show>
            <ActionForm action=action attr:class="space-y-4" attr:data-testid="login-form">
                <input type="hidden" name="lang" value=lang.code()/>
                <FormError lang=lang error=error words=auth_words/>
                <Field form="auth" lang=lang label=t.email name="email" kind="email" autocomplete="email" error=error/>
                <Field form="auth" lang=lang label=t.password name="password" kind="password" autocomplete="current-password" error=error/>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>{t.login_button}</button>
            </ActionForm>
            <Show when=unverified>
                <ActionForm action=resend attr:data-testid="resend-form">
                    <input type="hidden" name="lang" value=lang.code()/>
                    <label class="block text-sm text-slate-700">{t.email}
                        <input name="email" type="email" autocomplete="email" class=INPUT/>
                    </label>
                    <button type="submit" class="mt-2 text-sm font-medium text-fuchsia-700 hover:underline">{t.resend_button}</button>
                </ActionForm>
            </Show>
            // Not a `Loaded` region on purpose: the provider buttons are an extra, and signing in
            // with a password must stay possible (and the page a 200) if they cannot load.
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = providers.await.unwrap_or_default();
                    (!list.is_empty()).then(|| view! {
                        <div class="space-y-2" data-testid="login-providers">
                            <p class="text-center text-sm text-slate-500">{t.or_continue_with}</p>
                            {list.into_iter().map(|p| view! {
                                <ProviderButton lang=lang provider=p.provider link=false local=p.local/>
                            }).collect_view()}
                        </div>
                    })
                })}
            </Suspense>
            <div class="flex justify-between">
                <a class=LINK href=lang.path("/signup")>{t.no_account}</a>
                <a class=LINK href=lang.path("/forgot-password")>{t.forgot_link}</a>
            </div>
        </CardPage>
    }
}

fn signup_view() -> impl IntoView {
    let lang = Lang::here();
    let t = AuthTexts::of(lang);
    let action = ServerAction::<SignUp>::new();
    let error = failed(action);
    let sent = has_query("sent");
    view! {
        <CardPage title=t.signup_title lang=lang>
            {move || if sent.get() {
                view! { <Notice text=t.signup_sent/> }.into_any()
            } else {
                view! {
                    <ActionForm action=action attr:class="space-y-4" attr:data-testid="signup-form">
                        <input type="hidden" name="lang" value=lang.code()/>
                        <FormError lang=lang error=error words=auth_words/>
                        <Field form="auth" lang=lang label=t.email name="email" kind="email" autocomplete="email" error=error/>
                        <Field form="auth" lang=lang label=t.password name="password" kind="password" autocomplete="new-password"
                            error=error hint=t.password_hint/>
                        <button type="submit" class=BUTTON disabled=move || action.pending().get()>{t.signup_button}</button>
                    </ActionForm>
                }.into_any()
            }}
            <a class=LINK href=lang.path("/login")>{t.have_account}</a>
        </CardPage>
    }
}

fn verify_view() -> impl IntoView {
    let lang = Lang::here();
    let t = AuthTexts::of(lang);
    let action = ServerAction::<VerifyEmail>::new();
    let error = failed(action);
    let token = query("token").unwrap_or_default();
    view! {
        <CardPage title=t.verify_title lang=lang>
            <p class="text-slate-600">{t.verify_text}</p>
            <ActionForm action=action attr:class="space-y-4" attr:data-testid="verify-form">
                <input type="hidden" name="lang" value=lang.code()/>
                <input type="hidden" name="token" value=token/>
                <FormError lang=lang error=error words=auth_words/>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>{t.verify_button}</button>
            </ActionForm>
        </CardPage>
    }
}

fn forgot_view() -> impl IntoView {
    let lang = Lang::here();
    let t = AuthTexts::of(lang);
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = failed(action);
    let sent = has_query("sent");
    view! {
        <CardPage title=t.forgot_title lang=lang>
            {move || if sent.get() {
                view! { <Notice text=t.forgot_sent/> }.into_any()
            } else {
                view! {
                    <p class="text-slate-600">{t.forgot_text}</p>
                    <ActionForm action=action attr:class="space-y-4" attr:data-testid="forgot-form">
                        <input type="hidden" name="lang" value=lang.code()/>
                        <FormError lang=lang error=error words=auth_words/>
                        <Field form="auth" lang=lang label=t.email name="email" kind="email" autocomplete="email" error=error/>
                        <button type="submit" class=BUTTON disabled=move || action.pending().get()>{t.forgot_button}</button>
                    </ActionForm>
                }.into_any()
            }}
        </CardPage>
    }
}

fn reset_view() -> impl IntoView {
    let lang = Lang::here();
    let t = AuthTexts::of(lang);
    let action = ServerAction::<ResetPassword>::new();
    let error = failed(action);
    let token = query("token").unwrap_or_default();
    view! {
        <CardPage title=t.reset_title lang=lang>
            <ActionForm action=action attr:class="space-y-4" attr:data-testid="reset-form">
                <input type="hidden" name="lang" value=lang.code()/>
                <input type="hidden" name="token" value=token/>
                <FormError lang=lang error=error words=auth_words/>
                <Field form="auth" lang=lang label=t.new_password name="password" kind="password" autocomplete="new-password"
                    error=error hint=t.password_hint/>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>{t.reset_button}</button>
            </ActionForm>
        </CardPage>
    }
}

fn account_view() -> impl IntoView {
    let lang = Lang::here();
    let t = AuthTexts::of(lang);
    let unlink = ServerAction::<UnlinkLogin>::new();
    let unlink_error = failed(unlink);
    let linked = has_query("linked");
    let me = Resource::new(
        move || unlink.version().get(),
        |_| super::api::current_account(),
    );
    let log_out = ServerAction::<LogOut>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let change = ServerAction::<ChangePassword>::new();
    let change_error = failed(change);
    let changed = move || matches!(change.value().get(), Some(Ok(())));
    let change_email = ServerAction::<RequestEmailChange>::new();
    let email_error = failed(change_email);
    let provider_reauth = Signal::derive({
        let query = use_query_map();
        move || query.with(|q| q.get("provider_error").as_deref() == Some("reauth"))
    });
    let needs_reauth = move || {
        matches!(email_error.get(), Some(AppError::ReauthRequired)) || provider_reauth.get()
    };
    let email_sent = move || matches!(change_email.value().get(), Some(Ok(())));
    let delete = ServerAction::<RequestAccountDeletion>::new();
    let delete_error = failed(delete);
    // Signing out (or the deletion request) ends with a full page load: the header and every
    // page rendered from now on see the visitor as signed out.
    Effect::new(move |_| {
        if matches!(log_out.value().get(), Some(Ok(())))
            || matches!(delete.value().get(), Some(Ok(())))
        {
            load_page(lang.home());
        }
    });
    let sessions = Resource::new(
        move || end_others.version().get(),
        |_| super::api::my_sessions(),
    );
    view! {
        <CardPage title=t.account_title lang=lang>
            <Loaded lang=lang>
                {move || Suspend::new(async move {
                    me.await.map(|me| {
                            let methods = login_methods(&me);
                            view! {
                            <p class="text-slate-700">{t.signed_in_as} " " <strong data-testid="account-email">{me.email}</strong></p>
                            <p class="text-sm text-slate-600">{t.roles} ": " <span data-testid="account-roles">{me.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")}</span></p>
                            <Show when=needs_reauth><two_factor::Reauth lang=lang/></Show>
                            <p class="text-sm text-slate-600" data-testid="two-factor-summary">
                                {if me.two_factor { t.two_factor_on } else { t.two_factor_off }} " "
                                <a class=LINK href=lang.path("/account/two-factor") data-testid="two-factor-link">{t.two_factor_manage}</a>
                            </p>
                            <h2 class="pt-4 text-lg font-semibold text-slate-900">{t.logins_title}</h2>
                            <Show when=move || linked.get()><Notice text=t.linked_notice/></Show>
                            <ProviderProblemNotice lang=lang/>
                            <FormError lang=lang error=unlink_error words=auth_words/>
                            <ul class="space-y-2 text-sm" data-testid="login-methods">
                                <li class="rounded-lg border border-slate-200 p-2" data-testid="login-password">
                                    {if me.has_password { t.password_set } else { t.no_password }}
                                </li>
                                {methods.into_iter().map(|(provider, link)| {
                                    let testid = format!("login-{}", provider.id());
                                    view! {
                                    <li class="flex items-center justify-between gap-3 rounded-lg border border-slate-200 p-2"
                                        data-testid=testid>
                                        <span>
                                            <span class="font-medium">{provider.label()}</span> ": "
                                            {match &link {
                                                Some(l) => format!("{} · {}", l.account, l.linked),
                                                None => t.not_linked.to_owned(),
                                            }}
                                        </span>
                                        <span class="w-32 shrink-0">
                                            {match link {
                                                Some(_) => view! {
                                                    <ActionForm action=unlink>
                                                        <input type="hidden" name="provider" value=provider.id()/>
                                                        <button type="submit" class=SECONDARY>{t.unlink_button}</button>
                                                    </ActionForm>
                                                }.into_any(),
                                                None => view! {
                                                    <ProviderButton lang=lang provider=provider link=true/>
                                                }.into_any(),
                                            }}
                                        </span>
                                    </li>
                                }}).collect_view()}
                            </ul>
                            <h2 class="pt-4 text-lg font-semibold text-slate-900">{t.sessions_title}</h2>
                            <Loaded lang=lang>
                                {move || Suspend::new(async move {
                                    sessions.await.map(|list| view! {
                                        <ul class="space-y-2 text-sm" data-testid="session-list">
                                            {list.into_iter().map(|s| view! {
                                                <li class="rounded-lg border border-slate-200 p-2" data-testid="session">
                                                    <span class="font-medium">{s.started}</span>
                                                    {s.current.then(|| view! { <span class="ml-2 rounded bg-emerald-100 px-1 text-emerald-800">{t.this_device}</span> })}
                                                    <br/><span class="text-slate-500">{s.ip} " · " {s.device}</span>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    })
                                })}
                            </Loaded>
                            <ActionForm action=end_others attr:data-testid="end-others-form">
                                <button type="submit" class="w-full rounded-xl border border-slate-300 px-6 py-2 text-sm font-semibold hover:border-fuchsia-500">{t.end_others}</button>
                            </ActionForm>
                            <h2 class="pt-4 text-lg font-semibold text-slate-900">{t.change_title}</h2>
                            <Show when=changed><Notice text=t.changed/></Show>
                            <ActionForm action=change attr:class="space-y-3" attr:data-testid="change-password-form">
                                <FormError lang=lang error=change_error words=auth_words/>
                                <Field form="auth" lang=lang label=t.current_password name="current" kind="password" autocomplete="current-password" error=change_error/>
                                <Field form="auth" lang=lang label=t.new_password name="password" kind="password" autocomplete="new-password"
                                    error=change_error hint=t.password_hint/>
                                <button type="submit" class=BUTTON>{t.change_button}</button>
                            </ActionForm>
                            <h2 class="pt-4 text-lg font-semibold text-slate-900">{t.email_title}</h2>
                            <Show when=email_sent><Notice text=t.email_sent/></Show>
                            <ActionForm action=change_email attr:class="space-y-3" attr:data-testid="change-email-form">
                                <FormError lang=lang error=email_error words=auth_words/>
                                <Field form="auth" lang=lang label=t.new_email name="new_email" kind="email" autocomplete="email" error=email_error/>
                                <button type="submit" class=BUTTON>{t.email_button}</button>
                            </ActionForm>
                            <h2 class="pt-4 text-lg font-semibold text-slate-900">{t.delete_title}</h2>
                            <ActionForm action=delete attr:class="space-y-3" attr:data-testid="delete-form">
                                <input type="hidden" name="lang" value=lang.code()/>
                                <FormError lang=lang error=delete_error words=auth_words/>
                                <label class="flex items-start gap-3 text-sm text-slate-700">
                                    <input id="auth-confirm" name="confirm" type="checkbox" class="mt-1"/>
                                    <span>{t.delete_confirm}</span>
                                </label>
                                <button type="submit" class=DANGER>{t.delete_button}</button>
                            </ActionForm>
                            <ActionForm action=log_out attr:data-testid="logout-form">
                                <input type="hidden" name="lang" value=lang.code()/>
                                <button type="submit" class=BUTTON>{t.log_out}</button>
                            </ActionForm>
                        }
                    })
                })}
            </Loaded>
        </CardPage>
    }
}

/// Every provider the account could use: the configured ones, linked or not, and linked ones
/// whose provider was switched off since (so they can still be removed).
fn login_methods(me: &super::api::Me) -> Vec<(LoginProvider, Option<LinkedLoginView>)> {
    let mut methods: Vec<_> = me
        .providers
        .iter()
        .map(|p| {
            let link = me.logins.iter().find(|l| l.provider == p.provider).cloned();
            (p.provider, link)
        })
        .collect();
    for l in &me.logins {
        if !methods.iter().any(|(p, _)| *p == l.provider) {
            methods.push((l.provider, Some(l.clone())));
        }
    }
    methods
}
