//! The second step of signing in (`/login/code`), two-factor settings
//! (`/account/two-factor`), and the "confirm it is you" form that sensitive changes ask for.

use leptos::prelude::*;

use super::load_page;
use crate::auth::two_factor::{
    two_factor_status, ConfirmTwoFactor, DisableTwoFactor, NewRecoveryCodes, Reauthenticate,
    StartTwoFactor, VerifyLoginCode,
};
use crate::error::{AppError, Conflict};
use crate::i18n::Lang;
use crate::ui::{
    failed, CardPage, Field, FormError, Loaded, Notice, BUTTON, DANGER, LINK, SECONDARY,
};

struct Texts {
    code_title: &'static str,
    code_text: &'static str,
    code_label: &'static str,
    code_hint: &'static str,
    code_button: &'static str,
    title: &'static str,
    on: &'static str,
    off: &'static str,
    codes_left: &'static str,
    required: &'static str,
    must_enrol: &'static str,
    start_button: &'static str,
    scan: &'static str,
    secret_label: &'static str,
    confirm_button: &'static str,
    codes_title: &'static str,
    codes_text: &'static str,
    renew_button: &'static str,
    disable_button: &'static str,
    disabled: &'static str,
    reauth_title: &'static str,
    reauth_text: &'static str,
    password: &'static str,
    or_code: &'static str,
    reauth_button: &'static str,
    reauth_done: &'static str,
    check_input: &'static str,
    expired: &'static str,
    rate_limited: &'static str,
    generic: &'static str,
    back: &'static str,
}

const DE: Texts = Texts {
    code_title: "Bestätigungscode",
    code_text: "Geben Sie den sechsstelligen Code aus Ihrer Authenticator-App ein – oder einen Ihrer Wiederherstellungscodes.",
    code_label: "Code",
    code_hint: "Der Code wechselt alle 30 Sekunden.",
    code_button: "Bestätigen",
    title: "Zwei-Faktor-Anmeldung",
    on: "Die Zwei-Faktor-Anmeldung ist eingeschaltet.",
    off: "Die Zwei-Faktor-Anmeldung ist ausgeschaltet.",
    codes_left: "Unbenutzte Wiederherstellungscodes:",
    required: "Ihre Rolle (Admin oder Finanzen) verlangt sie; sie lässt sich nicht ausschalten.",
    must_enrol: "Ihre Rolle (Admin oder Finanzen) verlangt eine Zwei-Faktor-Anmeldung. Richten Sie sie ein, bevor Sie diese Bereiche öffnen.",
    start_button: "Authenticator-App einrichten",
    scan: "Scannen Sie den QR-Code mit Ihrer Authenticator-App (oder tippen Sie den Schlüssel ab) und geben Sie den angezeigten Code ein.",
    secret_label: "Schlüssel:",
    confirm_button: "Einschalten",
    codes_title: "Ihre Wiederherstellungscodes",
    codes_text: "Bewahren Sie diese Codes sicher auf. Jeder funktioniert einmal, falls Sie Ihr Telefon nicht zur Hand haben. Sie werden nur jetzt angezeigt.",
    renew_button: "Neue Wiederherstellungscodes",
    disable_button: "Zwei-Faktor-Anmeldung ausschalten",
    disabled: "Die Zwei-Faktor-Anmeldung ist ausgeschaltet.",
    reauth_title: "Bitte bestätigen Sie, dass Sie es sind",
    reauth_text: "Für diese Änderung brauchen wir Ihr Passwort oder einen Code aus Ihrer Authenticator-App. Danach wiederholen Sie die Änderung.",
    password: "Passwort",
    or_code: "oder Code",
    reauth_button: "Bestätigen",
    reauth_done: "Danke. Sie können die Änderung jetzt vornehmen (10 Minuten lang).",
    check_input: "Bitte prüfen Sie die Eingabe.",
    expired: "Die Anmeldung ist abgelaufen. Bitte melden Sie sich noch einmal an.",
    rate_limited: "Zu viele Versuche. Bitte warten Sie einige Minuten.",
    generic: "Das hat leider nicht geklappt. Bitte versuchen Sie es noch einmal.",
    back: "Zurück zu Ihrem Konto",
};

const EN: Texts = Texts {
    code_title: "Confirmation code",
    code_text: "Enter the six-digit code from your authenticator app – or one of your recovery codes.",
    code_label: "Code",
    code_hint: "The code changes every 30 seconds.",
    code_button: "Confirm",
    title: "Two-factor sign-in",
    on: "Two-factor sign-in is on.",
    off: "Two-factor sign-in is off.",
    codes_left: "Unused recovery codes:",
    required: "Your role (admin or finance) needs it; it cannot be turned off.",
    must_enrol: "Your role (admin or finance) needs two-factor sign-in. Set it up before you open those areas.",
    start_button: "Set up an authenticator app",
    scan: "Scan the QR code with your authenticator app (or type in the key) and enter the code it shows.",
    secret_label: "Key:",
    confirm_button: "Turn on",
    codes_title: "Your recovery codes",
    codes_text: "Keep these codes safe. Each works once, for when your phone is not at hand. They are shown only now.",
    renew_button: "New recovery codes",
    disable_button: "Turn two-factor sign-in off",
    disabled: "Two-factor sign-in is off.",
    reauth_title: "Please confirm it is you",
    reauth_text: "This change needs your password or a code from your authenticator app. Then make the change again.",
    password: "Password",
    or_code: "or code",
    reauth_button: "Confirm",
    reauth_done: "Thank you. You can make the change now (for 10 minutes).",
    check_input: "Please check your input.",
    expired: "The sign-in has expired. Please sign in again.",
    rate_limited: "Too many attempts. Please wait a few minutes.",
    generic: "Sorry, that did not work. Please try again.",
    back: "Back to your account",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

/// The words for a failed form on these pages.
fn words(lang: Lang, error: &AppError) -> &'static str {
    let t = texts(lang);
    match error {
        AppError::Validation { .. } => t.check_input,
        AppError::Conflict(Conflict::SignInExpired) | AppError::Unauthorized => t.expired,
        AppError::Conflict(Conflict::TwoFactorRequired) => t.required,
        AppError::ReauthRequired => t.reauth_text,
        AppError::RateLimited(_) => t.rate_limited,
        _ => t.generic,
    }
}

/// `/login/code`: the second step of signing in.
pub(super) fn login_code_view() -> impl IntoView {
    let lang = Lang::here();
    let t = texts(lang);
    let action = ServerAction::<VerifyLoginCode>::new();
    let error = failed(action);
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(()))) {
            load_page(&lang.path("/account"));
        }
    });
    view! {
        <CardPage title=t.code_title lang=lang>
            <p class="text-slate-600">{t.code_text}</p>
            <ActionForm action=action attr:class="space-y-4" attr:data-testid="code-form">
                <input type="hidden" name="lang" value=lang.code()/>
                <FormError lang=lang error=error words=words/>
                <Field form="auth" lang=lang label=t.code_label name="code" kind="text" autocomplete="one-time-code"
                    error=error hint=t.code_hint/>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>{t.code_button}</button>
            </ActionForm>
            <a class=LINK href=lang.path("/login")>"←"</a>
        </CardPage>
    }
}

/// "Confirm it is you": shown where a change answered `ReauthRequired`.
#[component]
pub(super) fn Reauth(lang: Lang) -> impl IntoView {
    let t = texts(lang);
    let action = ServerAction::<Reauthenticate>::new();
    let error = failed(action);
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <div class="space-y-3 rounded-xl border border-amber-300 bg-amber-50 p-4" data-testid="reauth">
            <h2 class="font-semibold text-slate-900">{t.reauth_title}</h2>
            <Show when=done fallback=move || view! {
                <p class="text-sm text-slate-700">{t.reauth_text}</p>
                <ActionForm action=action attr:class="space-y-3" attr:data-testid="reauth-form">
                    <FormError lang=lang error=error words=words/>
                    <label class="block text-sm text-slate-700">{t.password}
                        <input name="password" type="password" autocomplete="current-password"
                            class="mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2"/>
                    </label>
                    <label class="block text-sm text-slate-700">{t.or_code}
                        <input name="code" type="text" autocomplete="one-time-code" inputmode="numeric"
                            class="mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2"/>
                    </label>
                    <button type="submit" class=SECONDARY>{t.reauth_button}</button>
                </ActionForm>
            }>
                <Notice text=t.reauth_done/>
            </Show>
        </div>
    }
}

/// `/account/two-factor`: turn two-factor sign-in on (QR code, first code, recovery codes),
/// renew the recovery codes, or turn it off.
pub(super) fn two_factor_view() -> impl IntoView {
    let lang = Lang::here();
    let t = texts(lang);
    let start = ServerAction::<StartTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let renew = ServerAction::<NewRecoveryCodes>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let status = Resource::new(
        move || {
            (
                confirm.version().get(),
                renew.version().get(),
                disable.version().get(),
            )
        },
        |_| two_factor_status(),
    );
    let start_error = failed(start);
    let confirm_error = failed(confirm);
    let renew_error = failed(renew);
    let disable_error = failed(disable);
    let needs_reauth = move || {
        [start_error.get(), renew_error.get(), disable_error.get()]
            .iter()
            .any(|e| matches!(e, Some(AppError::ReauthRequired)))
    };
    let enrolment = move || start.value().get().and_then(|r| r.ok());
    let codes = move || {
        renew
            .value()
            .get()
            .and_then(|r| r.ok())
            .or_else(|| confirm.value().get().and_then(|r| r.ok()))
    };
    let disabled = move || matches!(disable.value().get(), Some(Ok(())));
    view! {
        <CardPage title=t.title lang=lang>
            <Show when=needs_reauth><Reauth lang=lang/></Show>
            {move || codes().map(|codes| view! {
                <div class="space-y-2 rounded-xl border border-emerald-300 bg-emerald-50 p-4">
                    <h2 class="font-semibold text-slate-900">{t.codes_title}</h2>
                    <p class="text-sm text-slate-700">{t.codes_text}</p>
                    <ul class="grid grid-cols-2 gap-1 font-mono text-sm" data-testid="recovery-codes">
                        {codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                    </ul>
                </div>
            })}
            <Show when=disabled><Notice text=t.disabled/></Show>
            <Loaded lang=lang>
                {move || Suspend::new(async move {
                    status.await.map(|s| if s.enabled {
                        view! {
                            <p data-testid="two-factor-state" class="font-medium text-emerald-800">{t.on}</p>
                            <p class="text-sm text-slate-600">{t.codes_left} " " <span data-testid="codes-left">{s.recovery_codes_left}</span></p>
                            <FormError lang=lang error=renew_error words=words/>
                            <ActionForm action=renew attr:data-testid="renew-form">
                                <button type="submit" class=SECONDARY>{t.renew_button}</button>
                            </ActionForm>
                            {if s.required {
                                view! { <p class="text-sm text-slate-600">{t.required}</p> }.into_any()
                            } else {
                                view! {
                                    <FormError lang=lang error=disable_error words=words/>
                                    <ActionForm action=disable attr:data-testid="disable-form">
                                        <button type="submit" class=DANGER>{t.disable_button}</button>
                                    </ActionForm>
                                }.into_any()
                            }}
                        }.into_any()
                    } else {
                        view! {
                            <p data-testid="two-factor-state" class="font-medium text-slate-700">{t.off}</p>
                            {s.required.then(|| view! {
                                <p role="alert" data-testid="must-enrol" class="rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900">{t.must_enrol}</p>
                            })}
                            {move || match enrolment() {
                                None => view! {
                                    <FormError lang=lang error=start_error words=words/>
                                    <ActionForm action=start attr:data-testid="start-form">
                                        <button type="submit" class=BUTTON>{t.start_button}</button>
                                    </ActionForm>
                                }.into_any(),
                                Some(e) => view! {
                                    <p class="text-sm text-slate-700">{t.scan}</p>
                                    <img src=e.qr alt="QR" width="220" height="220" class="mx-auto" data-testid="totp-qr"/>
                                    <p class="text-sm text-slate-700">{t.secret_label} " "
                                        <code class="break-all font-mono" data-testid="totp-secret">{e.secret}</code></p>
                                    <ActionForm action=confirm attr:class="space-y-3" attr:data-testid="confirm-form">
                                        <FormError lang=lang error=confirm_error words=words/>
                                        <Field form="auth" lang=lang label=t.code_label name="code" kind="text" autocomplete="one-time-code"
                                            error=confirm_error/>
                                        <button type="submit" class=BUTTON>{t.confirm_button}</button>
                                    </ActionForm>
                                }.into_any(),
                            }}
                        }.into_any()
                    })
                })}
            </Loaded>
            <a class=LINK href=lang.path("/account")>{t.back}</a>
        </CardPage>
    }
}
