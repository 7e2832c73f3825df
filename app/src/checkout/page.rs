//! `/checkout`: billing details, the consents German law asks for, the order summary priced
//! for who buys, then the payment page. `/portal/orders` and `/portal/orders/{id}`: the
//! client's orders; an order waiting for its payment follows it without a reload.

use std::time::Duration;

use gd_pricing::{Billing, Treatment};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    checkout_summary, my_order, my_orders, CheckoutSignUp, CheckoutView, DeliveryView, OrderView,
    RequestRefill, StartCheckout,
};
use crate::error::{AppError, Conflict};
use crate::i18n::Lang;
use crate::shell::islands::set_cart_count;
use crate::shell::Layout;
use crate::shop::money;
use crate::ui::{failed, issue_on, FormError, Loaded, BUTTON, INPUT, LINK};

pub(crate) struct Texts {
    pub title: &'static str,
    pub orders_title: &'static str,
    pub order_title: &'static str,
    pub billing: &'static str,
    pub name: &'static str,
    pub company: &'static str,
    pub company_hint: &'static str,
    pub street: &'static str,
    pub postal_code: &'static str,
    pub city: &'static str,
    pub country: &'static str,
    pub vat_id: &'static str,
    pub vat_id_hint: &'static str,
    pub vat_demo: &'static str,
    pub account: &'static str,
    pub summary: &'static str,
    pub terms_before: &'static str,
    pub terms_link: &'static str,
    pub terms_middle: &'static str,
    pub withdrawal_link: &'static str,
    pub terms_after: &'static str,
    /// The consent to an early start, stored with the order word for word.
    pub early_start: &'static str,
    pub early_start_hint: &'static str,
    pub pay: &'static str,
    pub test_gateway: &'static str,
    pub once: &'static str,
    pub monthly: &'static str,
    pub yearly: &'static str,
    pub net: &'static str,
    pub vat: &'static str,
    pub total: &'static str,
    pub reverse_charge: &'static str,
    pub small_business: &'static str,
    pub back_to_cart: &'static str,
    pub empty: &'static str,
    pub unavailable: &'static str,
    pub mixed: &'static str,
    pub payment_unavailable: &'static str,
    pub for_target: &'static str,
    pub status: &'static str,
    pub timeline: &'static str,
    pub complete_payment: &'static str,
    pub waiting: &'static str,
    pub no_orders: &'static str,
    pub to_shop: &'static str,
    pub redirecting: &'static str,
    pub guest_title: &'static str,
    pub guest_intro: &'static str,
    pub guest_email: &'static str,
    pub guest_password: &'static str,
    pub guest_password_hint: &'static str,
    pub guest_submit: &'static str,
    pub guest_login: &'static str,
    pub guest_taken: &'static str,
}

pub(crate) const DE: Texts = Texts {
    title: "Kasse",
    orders_title: "Ihre Bestellungen",
    order_title: "Bestellung",
    billing: "Rechnungsadresse",
    name: "Vor- und Nachname",
    company: "Firma (optional)",
    company_hint: "Für Rechnungen an ein Unternehmen; mit USt-IdNr. erforderlich.",
    street: "Straße und Hausnummer",
    postal_code: "PLZ",
    city: "Ort",
    country: "Land",
    vat_id: "USt-IdNr. (optional)",
    vat_id_hint: "Unternehmen in einem anderen EU-Staat zahlen den Nettopreis (Reverse Charge), wenn das EU-Register (VIES) ihre USt-IdNr. bei der Bestellung bestätigt.",
    vat_demo: "Demo-Register statt VIES: bestätigt nur die erfundenen Firmen ",
    account: "Bestellung für",
    summary: "Ihre Bestellung",
    terms_before: "Ich habe die ",
    terms_link: "AGB",
    terms_middle: " und die ",
    withdrawal_link: "Widerrufsbelehrung",
    terms_after: " gelesen und akzeptiere die AGB.",
    early_start: "Ich verlange ausdrücklich, dass Growthdesk vor Ablauf der Widerrufsfrist mit der Leistung beginnt. Mir ist bekannt, dass mein Widerrufsrecht mit vollständiger Erbringung der Leistung erlischt.",
    early_start_hint: "Ohne diese Zustimmung beginnen wir erst nach Ablauf der 14-tägigen Widerrufsfrist.",
    pay: "Zahlungspflichtig bestellen",
    test_gateway: "Testbetrieb: Zahlungen laufen über den eingebauten Test-Zahlungsanbieter. Es fließt kein Geld.",
    once: "Einmalig",
    monthly: "Monatlich",
    yearly: "Jährlich",
    net: "Netto",
    vat: "MwSt.",
    total: "Summe",
    reverse_charge: "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge): Sie zahlen den Nettopreis.",
    small_business: "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.",
    back_to_cart: "Zurück zum Warenkorb",
    empty: "Ihr Warenkorb ist leer.",
    unavailable: "Ein Artikel im Warenkorb ist nicht mehr erhältlich. Bitte entfernen Sie ihn zuerst.",
    mixed: "Monatliche und jährliche Pakete bitte getrennt bestellen.",
    payment_unavailable: "Die Zahlungsseite ist gerade nicht erreichbar. Es wurde nichts berechnet; bitte versuchen Sie es gleich noch einmal.",
    for_target: "für",
    status: "Status",
    timeline: "Verlauf",
    complete_payment: "Zahlung abschließen",
    waiting: "Wir warten auf die Bestätigung Ihrer Zahlung – diese Seite aktualisiert sich von selbst.",
    no_orders: "Sie haben noch nichts bestellt.",
    to_shop: "Zu den Leistungen",
    redirecting: "Weiter zur Zahlung …",
    guest_title: "Neu hier? Konto anlegen und weiter",
    guest_intro: "Ihre Bestellungen, Abos und Rechnungen finden Sie danach im Kundenportal. Wir schicken Ihnen einen Link, um die Adresse zu bestätigen; bestellen können Sie sofort.",
    guest_email: "E-Mail-Adresse",
    guest_password: "Passwort",
    guest_password_hint: "Mindestens 8 Zeichen; keine häufig benutzten Passwörter.",
    guest_submit: "Konto anlegen und zur Kasse",
    guest_login: "Schon Kunde? Anmelden – Ihr Warenkorb bleibt erhalten.",
    guest_taken: "Für diese Adresse gibt es schon ein Konto. Bitte melden Sie sich an; wir haben Ihnen auch eine E-Mail dazu geschickt.",
};

pub(crate) const EN: Texts = Texts {
    title: "Checkout",
    orders_title: "Your orders",
    order_title: "Order",
    billing: "Billing address",
    name: "Full name",
    company: "Company (optional)",
    company_hint: "For invoices to a business; required with a VAT number.",
    street: "Street and number",
    postal_code: "Postal code",
    city: "City",
    country: "Country",
    vat_id: "VAT number (optional)",
    vat_id_hint: "Businesses in another EU country pay the net price (reverse charge) when the EU register (VIES) confirms their VAT number at the order.",
    vat_demo: "Demo register instead of VIES: confirms only the made-up businesses ",
    account: "Order for",
    summary: "Your order",
    terms_before: "I have read the ",
    terms_link: "terms and conditions",
    terms_middle: " and the ",
    withdrawal_link: "right of withdrawal",
    terms_after: " and accept the terms.",
    early_start: "I expressly request that Growthdesk starts the service before the withdrawal period ends. I understand that my right of withdrawal lapses once the service has been fully provided.",
    early_start_hint: "Without this consent we start only after the 14-day withdrawal period.",
    pay: "Order with obligation to pay",
    test_gateway: "Test mode: payments go to the built-in test gateway. No money moves.",
    once: "One-off",
    monthly: "Monthly",
    yearly: "Yearly",
    net: "Net",
    vat: "VAT",
    total: "Total",
    reverse_charge: "Reverse charge: VAT is due from the recipient; you pay the net price.",
    small_business: "No VAT is charged (small business, § 19 UStG).",
    back_to_cart: "Back to the cart",
    empty: "Your cart is empty.",
    unavailable: "An item in your cart is no longer available. Please remove it first.",
    mixed: "Please order monthly and yearly plans separately.",
    payment_unavailable: "The payment page cannot be reached right now. Nothing was charged; please try again in a moment.",
    for_target: "for",
    status: "Status",
    timeline: "History",
    complete_payment: "Complete the payment",
    waiting: "We are waiting for your payment to be confirmed – this page updates by itself.",
    no_orders: "You have not ordered anything yet.",
    to_shop: "See our services",
    redirecting: "On to the payment …",
    guest_title: "New here? Create an account and go on",
    guest_intro: "Your orders, subscriptions and invoices are then in the client portal. We send you a link to confirm the address; you can order right away.",
    guest_email: "Email address",
    guest_password: "Password",
    guest_password_hint: "At least 8 characters; no commonly used passwords.",
    guest_submit: "Create account and check out",
    guest_login: "Already a client? Sign in – your cart stays.",
    guest_taken: "This address has an account already. Please sign in; we have mailed you about it too.",
};

pub(crate) fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

// The EU member states the agency sells to, with their names.
use gd_common::COUNTRY_NAMES as COUNTRIES;

fn period_label(t: &Texts, b: Billing) -> &'static str {
    match b {
        Billing::OneOff => t.once,
        Billing::Monthly => t.monthly,
        Billing::Yearly => t.yearly,
    }
}

/// The checkout's words for its conflicts; the shared words otherwise.
fn checkout_words(lang: Lang, e: &AppError) -> &'static str {
    let t = texts(lang);
    match e {
        AppError::Conflict(Conflict::EmptyCart) => t.empty,
        AppError::Conflict(Conflict::CartUnavailable) => t.unavailable,
        AppError::Conflict(Conflict::MixedIntervals) => t.mixed,
        AppError::Conflict(Conflict::PaymentUnavailable) => t.payment_unavailable,
        other => crate::ui::error_text(lang, other),
    }
}

fn guest_words(lang: Lang, e: &AppError) -> &'static str {
    match e {
        AppError::Conflict(Conflict::EmailTaken) => texts(lang).guest_taken,
        other => crate::ui::error_text(lang, other),
    }
}

/// The checkout for a shopper who is not signed in: an account is made right here (or they
/// sign in), then the checkout goes on. The page answers 401 as every signed-in page does.
fn guest_view(lang: Lang, sign_up: ServerAction<CheckoutSignUp>) -> AnyView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(AppError::Unauthorized.status());
    }
    let t = texts(lang);
    let error = failed(sign_up);
    let email_issue = issue_on(lang, error, "email");
    let password_issue = issue_on(lang, error, "password");
    view! {
        <div class="mt-8 max-w-md" data-testid="checkout-guest">
            <h2 class="text-lg font-semibold text-slate-900">{t.guest_title}</h2>
            <p class="mt-1 text-sm text-slate-600">{t.guest_intro}</p>
            <ActionForm action=sign_up attr:class="mt-4 space-y-4">
                <input type="hidden" name="lang" value=lang.code()/>
                <FormError lang=lang error=error words=guest_words/>
                <div>
                    <label for="guest-email" class="block text-sm font-medium text-slate-700">{t.guest_email}</label>
                    <input id="guest-email" name="email" type="email" autocomplete="email" required class=INPUT
                        aria-invalid=move || email_issue.get().is_some().to_string() aria-describedby="guest-email-error"/>
                    <p id="guest-email-error" class="mt-1 text-sm text-red-700">{move || email_issue.get()}</p>
                </div>
                <div>
                    <label for="guest-password" class="block text-sm font-medium text-slate-700">{t.guest_password}</label>
                    <input id="guest-password" name="password" type="password" autocomplete="new-password" required class=INPUT
                        aria-invalid=move || password_issue.get().is_some().to_string() aria-describedby="guest-password-error"/>
                    <p class="mt-1 text-xs text-slate-500">{t.guest_password_hint}</p>
                    <p id="guest-password-error" class="mt-1 text-sm text-red-700">{move || password_issue.get()}</p>
                </div>
                <button type="submit" class=BUTTON data-testid="checkout-sign-up">{t.guest_submit}</button>
            </ActionForm>
            <p class="mt-4"><a class=LINK href=lang.path("/login") data-testid="checkout-login">{t.guest_login}</a></p>
        </div>
    }
    .into_any()
}

/// Sends the browser to `url` as a new document (the payment page is not ours).
pub(crate) fn go_to(url: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

pub(crate) fn checkout_view() -> impl IntoView {
    let lang = Lang::here();
    let t = texts(lang);
    let country = RwSignal::new(String::new());
    let vat_id = RwSignal::new(String::new());
    let summary = Resource::new(
        move || (country.get(), vat_id.get()),
        move |(c, v)| checkout_summary(lang.code().to_owned(), c, v),
    );
    let start = ServerAction::<StartCheckout>::new();
    let sign_up = ServerAction::<CheckoutSignUp>::new();
    // Signed up here: the whole page loads anew (the header follows the new account).
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_up.value().get() {
            go_to(&lang.path("/checkout"));
        }
    });
    let error = failed(start);
    let redirecting = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(started)) = start.value().get() {
            redirecting.set(true);
            go_to(&started.payment_url);
        }
    });
    view! {
        <Title text=format!("{} – Growthdesk", t.title)/>
        <Layout lang=lang>
            <section class="mx-auto max-w-5xl px-4 py-12">
                <h1 class="text-3xl font-bold text-slate-900">{t.title}</h1>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        match summary.await {
                            Err(AppError::Unauthorized) => Ok(guest_view(lang, sign_up)),
                            other => other.map(|view| checkout_body(lang, view, start, error, country, vat_id, redirecting)),
                        }
                    })}
                </Loaded>
            </section>
        </Layout>
    }
}

#[allow(clippy::too_many_arguments)]
fn checkout_body(
    lang: Lang,
    view: CheckoutView,
    start: ServerAction<StartCheckout>,
    error: Signal<Option<AppError>>,
    country: RwSignal<String>,
    vat_id: RwSignal<String>,
    redirecting: RwSignal<bool>,
) -> AnyView {
    let t = texts(lang);
    if let Some(blocked) = view.blocked {
        let words = checkout_words(lang, &AppError::Conflict(blocked));
        return view! {
            <p role="alert" class="mt-6 rounded-lg bg-amber-50 px-4 py-3 text-amber-900" data-testid="checkout-blocked">{words}</p>
            <p class="mt-4"><a rel="external" class=LINK href=lang.path("/cart")>{t.back_to_cart}</a></p>
        }
        .into_any();
    }
    let prefill = view.prefill.clone();
    let selected_country = if country.get_untracked().is_empty() {
        prefill.country.clone()
    } else {
        country.get_untracked()
    };
    let field = move |name: &'static str,
                      label: &'static str,
                      value: String,
                      autocomplete: &'static str,
                      required: bool,
                      hint: Option<&'static str>| {
        let id = format!("checkout-{name}");
        let issue = issue_on(lang, error, name);
        let described = format!("{id}-error");
        view! {
            <div>
                <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
                <input id=id name=name value=value autocomplete=autocomplete required=required class=INPUT
                    aria-invalid=move || issue.get().is_some().to_string() aria-describedby=described.clone()/>
                {hint.map(|h| view! { <p class="mt-1 text-xs text-slate-500">{h}</p> })}
                <p id=described class="mt-1 text-sm text-red-700" data-testid="field-error">{move || issue.get()}</p>
            </div>
        }
    };
    let email = view.email.clone();
    let test_gateway = view.test_gateway;
    let demo_vat_ids = view.demo_vat_ids.clone();
    let summary = summary_view(lang, &view);
    let terms_issue = issue_on(lang, error, "terms");
    let country_issue = issue_on(lang, error, "country");
    let vat_issue = issue_on(lang, error, "vat_id");
    view! {
        <div class="mt-8 grid gap-10 lg:grid-cols-5">
            <ActionForm action=start attr:class="space-y-4 lg:col-span-3" attr:data-testid="checkout-form">
                <input type="hidden" name="lang" value=lang.code()/>
                {test_gateway.then(|| view! {
                    <p class="rounded-lg border border-amber-400 bg-amber-50 px-4 py-3 text-sm font-medium text-amber-900" data-testid="test-gateway-notice">{t.test_gateway}</p>
                })}
                <p class="text-sm text-slate-600">{t.account} " " <strong data-testid="checkout-email">{email}</strong></p>
                <h2 class="text-lg font-semibold text-slate-900">{t.billing}</h2>
                <FormError lang=lang error=error words=checkout_words/>
                {field("name", t.name, prefill.name.clone(), "name", true, None)}
                {field("company", t.company, prefill.company.clone(), "organization", false, Some(t.company_hint))}
                {field("street", t.street, prefill.street.clone(), "address-line1", true, None)}
                <div class="grid grid-cols-3 gap-3">
                    <div class="col-span-1">{field("postal_code", t.postal_code, prefill.postal_code.clone(), "postal-code", true, None)}</div>
                    <div class="col-span-2">{field("city", t.city, prefill.city.clone(), "address-level2", true, None)}</div>
                </div>
                <div>
                    <label for="checkout-country" class="block text-sm font-medium text-slate-700">{t.country}</label>
                    <select id="checkout-country" name="country" autocomplete="country" class=INPUT
                        aria-invalid=move || country_issue.get().is_some().to_string() aria-describedby="checkout-country-error"
                        on:change=move |ev| country.set(event_target_value(&ev))>
                        {COUNTRIES.iter().map(|(code, de, en)| {
                            let name = if lang == Lang::De { *de } else { *en };
                            view! { <option value=*code selected=*code == selected_country.as_str()>{name}</option> }
                        }).collect_view()}
                    </select>
                    <p id="checkout-country-error" class="mt-1 text-sm text-red-700" data-testid="field-error">{move || country_issue.get()}</p>
                </div>
                <div>
                    <label for="checkout-vat_id" class="block text-sm font-medium text-slate-700">{t.vat_id}</label>
                    <input id="checkout-vat_id" name="vat_id" value=prefill.vat_id.clone() autocomplete="off" class=INPUT
                        aria-invalid=move || vat_issue.get().is_some().to_string() aria-describedby="checkout-vat_id-error"
                        on:change=move |ev| vat_id.set(event_target_value(&ev))/>
                    <p class="mt-1 text-xs text-slate-500">{t.vat_id_hint}</p>
                    {(!demo_vat_ids.is_empty()).then(|| view! {
                        <p class="mt-1 text-xs font-medium text-amber-800" data-testid="vat-register-demo">{t.vat_demo}{demo_vat_ids.join(", ")}</p>
                    })}
                    <p id="checkout-vat_id-error" class="mt-1 text-sm text-red-700" data-testid="field-error">{move || vat_issue.get()}</p>
                </div>
                <div class="space-y-3 pt-2">
                    <label class="flex items-start gap-3 text-sm text-slate-700">
                        <input type="checkbox" name="terms" value="on" required class="mt-1" data-testid="checkout-terms"
                            aria-invalid=move || terms_issue.get().is_some().to_string() aria-describedby="checkout-terms-error"/>
                        <span>
                            {t.terms_before}
                            <a rel="external" class=LINK href=lang.path("/legal/agb") target="_blank">{t.terms_link}</a>
                            {t.terms_middle}
                            <a rel="external" class=LINK href=lang.path("/legal/widerruf") target="_blank">{t.withdrawal_link}</a>
                            {t.terms_after}
                        </span>
                    </label>
                    <p id="checkout-terms-error" class="text-sm text-red-700" data-testid="field-error">{move || terms_issue.get()}</p>
                    <label class="flex items-start gap-3 text-sm text-slate-700">
                        <input type="checkbox" name="early_start" value="on" class="mt-1" data-testid="checkout-early-start"/>
                        <span>{t.early_start}<span class="mt-1 block text-xs text-slate-500">{t.early_start_hint}</span></span>
                    </label>
                </div>
                <button type="submit" class=BUTTON data-testid="checkout-submit"
                    disabled=move || start.pending().get() || redirecting.get()>
                    {move || if redirecting.get() { t.redirecting } else { t.pay }}
                </button>
            </ActionForm>
            <aside class="lg:col-span-2" aria-labelledby="checkout-summary">
                <h2 id="checkout-summary" class="text-lg font-semibold text-slate-900">{t.summary}</h2>
                {summary}
                <p class="mt-4"><a rel="external" class=LINK href=lang.path("/cart")>{t.back_to_cart}</a></p>
            </aside>
        </div>
    }
    .into_any()
}

fn summary_view(lang: Lang, view: &CheckoutView) -> impl IntoView {
    let t = texts(lang);
    let lines = view
        .lines
        .iter()
        .map(|l| {
            let total = l.total.map(|c| money(lang, c)).unwrap_or_default();
            view! {
                <li class="py-3" data-testid="checkout-line">
                    <div class="flex justify-between gap-4">
                        <span class="font-medium text-slate-900">{format!("{} × {}", l.quantity, l.name)}</span>
                        <span class="whitespace-nowrap">{total}</span>
                    </div>
                    <p class="text-sm text-slate-600">{l.details.clone()}</p>
                    {(!l.target.is_empty()).then(|| view! { <p class="text-sm text-slate-600">{t.for_target} " " {l.target.clone()}</p> })}
                </li>
            }
        })
        .collect_view();
    let periods = view
        .periods
        .iter()
        .map(|p| {
            let rates = p
                .rates
                .iter()
                .map(|r| {
                    view! {
                        <div class="flex justify-between text-sm text-slate-600">
                            <span>{t.net} " (" {r.rate.percent(lang == Lang::De)} ")"</span><span>{money(lang, r.net)}</span>
                        </div>
                        <div class="flex justify-between text-sm text-slate-600">
                            <span>{t.vat}</span><span>{money(lang, r.vat)}</span>
                        </div>
                    }
                })
                .collect_view();
            view! {
                <div class="border-t border-slate-200 py-3">
                    <p class="text-sm font-semibold text-slate-700">{period_label(t, p.billing)}</p>
                    {rates}
                    <div class="flex justify-between font-semibold text-slate-900">
                        <span>{t.total}</span><span data-testid="checkout-total">{money(lang, p.total)}</span>
                    </div>
                </div>
            }
        })
        .collect_view();
    let note = match view.treatment {
        Treatment::ReverseCharge => Some(t.reverse_charge),
        Treatment::SmallBusiness => Some(t.small_business),
        Treatment::Standard => None,
    };
    view! {
        <ul class="mt-3 divide-y divide-slate-200">{lines}</ul>
        {periods}
        {note.map(|n| view! { <p class="text-sm text-slate-700" data-testid="checkout-treatment">{n}</p> })}
    }
}

/// A status code in the client's words (the admins' pages use the same).
pub(crate) fn status_text(lang: Lang, status: &str) -> &'static str {
    let de = lang == Lang::De;
    match (status, de) {
        ("pending_payment", true) => "Zahlung ausstehend",
        ("pending_payment", false) => "Awaiting payment",
        ("paid", true) => "Bezahlt",
        ("paid", false) => "Paid",
        ("in_fulfilment", true) => "In Bearbeitung",
        ("in_fulfilment", false) => "In progress",
        ("completed", true) => "Abgeschlossen",
        ("completed", false) => "Completed",
        ("partly_fulfilled", true) => "Teilweise geliefert",
        ("partly_fulfilled", false) => "Partly delivered",
        ("partly_refunded", true) => "Teilweise erstattet",
        ("partly_refunded", false) => "Partly refunded",
        ("refunded", true) => "Erstattet",
        ("refunded", false) => "Refunded",
        ("cancelled", true) => "Storniert",
        ("cancelled", false) => "Cancelled",
        (_, true) => "Unbekannt",
        (_, false) => "Unknown",
    }
}

/// `/portal/orders/{id}`: one order. While it waits for its payment it asks again every two
/// seconds (the gateway's event usually lands within a second of the buyer's return); while
/// it is under way, every 15 seconds, so that its timeline follows without a reload.
pub(crate) fn order_view() -> impl IntoView {
    let lang = Lang::here();
    let t = texts(lang);
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let session_id = query.with_untracked(|q| q.get("session_id").unwrap_or_default());
    let tick = RwSignal::new(0u32);
    let refill = ServerAction::<RequestRefill>::new();
    let order = Resource::new(
        move || (id(), tick.get(), refill.version().get()),
        move |(id, _, _)| my_order(id, session_id.clone()),
    );
    // A short poll while the payment is awaited (every 2 s), a slow one while the order is
    // under way (every 15 s: fulfilment, refunds), none once it is final.
    let every = RwSignal::new(None::<u64>);
    Effect::new(move |_| {
        if let Some(Ok(o)) = order.get() {
            every.set(match o.status.as_str() {
                "pending_payment" => Some(2),
                "paid" | "in_fulfilment" | "partly_refunded" | "partly_fulfilled" => Some(15),
                _ => None,
            });
            // Paid on this visit: the header's count follows the cart.
            set_cart_count(o.cart_count);
        }
    });
    Effect::new(move |before: Option<Option<(u64, IntervalHandle)>>| {
        let running = before.flatten();
        let wanted = every.get();
        match running {
            Some((secs, handle)) if Some(secs) == wanted => Some((secs, handle)),
            other => {
                if let Some((_, handle)) = other {
                    handle.clear();
                }
                wanted.and_then(|secs| {
                    set_interval_with_handle(
                        move || tick.update(|n| *n += 1),
                        Duration::from_secs(secs),
                    )
                    .ok()
                    .map(|handle| (secs, handle))
                })
            }
        }
    });
    view! {
        <Title text=format!("{} – Growthdesk", t.order_title)/>
        <Layout lang=lang>
            <section class="mx-auto max-w-3xl px-4 py-12">
                <Loaded lang=lang>
                    {move || Suspend::new(async move { order.await.map(|o| order_body(lang, o, refill)) })}
                </Loaded>
                <p class="mt-8"><a class=LINK href=lang.path("/portal/orders")>{t.orders_title}</a></p>
            </section>
        </Layout>
    }
}

fn order_body(lang: Lang, o: OrderView, refill: ServerAction<RequestRefill>) -> impl IntoView {
    let t = texts(lang);
    let waiting = o.status == "pending_payment";
    let lines = o
        .lines
        .iter()
        .map(|l| {
            let suffix = match l.billing {
                Billing::OneOff => "",
                Billing::Monthly => if lang == Lang::De { " / Monat" } else { " / month" },
                Billing::Yearly => if lang == Lang::De { " / Jahr" } else { " / year" },
            };
            view! {
                <li class="py-3" data-testid="order-line">
                    <div class="flex justify-between gap-4">
                        <span class="font-medium text-slate-900">{format!("{} × {}", l.quantity, l.name)}</span>
                        <span class="whitespace-nowrap">{format!("{}{suffix}", money(lang, l.total))}</span>
                    </div>
                    <p class="text-sm text-slate-600">{l.details.clone()}</p>
                    {(!l.target.is_empty()).then(|| view! { <p class="text-sm text-slate-600">{t.for_target} " " {l.target.clone()}</p> })}
                </li>
            }
        })
        .collect_view();
    let timeline = o
        .timeline
        .iter()
        .map(|e| {
            view! {
                <li class="text-sm text-slate-700">
                    <span class="text-slate-500">{e.at.clone()}</span> " · " {status_text(lang, &e.status)}
                    {e.note.clone().map(|n| view! { <span class="text-slate-500">" – " {n}</span> })}
                </li>
            }
        })
        .collect_view();
    let note = match o.treatment {
        Treatment::ReverseCharge => Some(t.reverse_charge),
        Treatment::SmallBusiness => Some(t.small_business),
        Treatment::Standard => None,
    };
    view! {
        <h1 class="text-3xl font-bold text-slate-900">{t.order_title} " " {o.number}</h1>
        <p class="mt-2 text-slate-600">{o.created.clone()}</p>
        {o.test_gateway.then(|| view! {
            <p class="mt-4 rounded-lg border border-amber-400 bg-amber-50 px-4 py-3 text-sm font-medium text-amber-900">{t.test_gateway}</p>
        })}
        <p class="mt-4 text-lg">{t.status} ": " <strong data-testid="order-status" data-status=o.status.clone()>{status_text(lang, &o.status)}</strong></p>
        {waiting.then(|| view! { <p role="status" class="mt-2 text-sm text-slate-600" data-testid="order-waiting">{t.waiting}</p> })}
        {o.pay_url.clone().map(|url| view! { <p class="mt-2"><a rel="external" class=LINK href=url data-testid="order-pay">{t.complete_payment}</a></p> })}
        <ul class="mt-6 divide-y divide-slate-200">{lines}</ul>
        <div class="border-t border-slate-200 py-3 text-sm text-slate-700">
            <div class="flex justify-between"><span>{t.net}</span><span>{money(lang, o.net)}</span></div>
            <div class="flex justify-between"><span>{t.vat}</span><span>{money(lang, o.vat)}</span></div>
            <div class="flex justify-between text-base font-semibold text-slate-900"><span>{t.total}</span><span data-testid="order-total">{money(lang, o.total)}</span></div>
        </div>
        {note.map(|n| view! { <p class="text-sm text-slate-700">{n}</p> })}
        {delivery(lang, &o.delivery, refill)}
        <h2 class="mt-8 text-lg font-semibold text-slate-900">{if lang == Lang::De { "Rechnungen" } else { "Invoices" }}</h2>
        <div class="mt-2"><crate::invoices::page::MyInvoices lang=lang order=o.id.clone()/></div>
        <h2 class="mt-8 text-lg font-semibold text-slate-900">{t.timeline}</h2>
        <ul class="mt-2 space-y-1" data-testid="order-timeline">{timeline}</ul>
    }
}

/// Where each item's delivery stands, with the refill button inside the guarantee window.
fn delivery(
    lang: Lang,
    parts: &[DeliveryView],
    refill: ServerAction<RequestRefill>,
) -> Option<impl IntoView> {
    if parts.is_empty() {
        return None;
    }
    let de = lang == Lang::De;
    let refused = Signal::derive(move || {
        refill
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|_| {
                if de {
                    "Eine Nachfüllung ist gerade nicht möglich (schon beantragt oder Garantie abgelaufen)."
                } else {
                    "A refill is not possible now (already asked for, or the guarantee has ended)."
                }
            })
    });
    let items = parts
        .iter()
        .map(|p| {
            let progress = match (p.status.as_str(), p.remains) {
                ("in_progress" | "submitted", Some(left)) if left > 0 && left < p.quantity => {
                    Some(format!("{} / {}", p.quantity - left, p.quantity))
                }
                ("partial", Some(left)) => Some(format!("{} / {}", p.quantity - left, p.quantity)),
                _ => None,
            };
            let refill_state = p.refill.as_deref().map(|r| match (r, de) {
                ("requested" | "submitted", true) => "Nachfüllung beantragt",
                ("requested" | "submitted", false) => "Refill requested",
                ("completed", true) => "Nachgefüllt",
                ("completed", false) => "Refilled",
                (_, true) => "Nachfüllung abgelehnt",
                (_, false) => "Refill declined",
            });
            let id = p.id.clone();
            let days = p.guarantee_days;
            view! {
                <li class="py-3" data-testid="delivery-item" data-status=p.status.clone()>
                    <div class="flex justify-between gap-4">
                        <span class="font-medium text-slate-900">{p.title.clone()}
                            {p.renewal.then_some(if de { " (Verlängerung)" } else { " (renewal)" })}</span>
                        <span class="whitespace-nowrap text-sm" data-testid="delivery-status">{delivery_status(lang, &p.status)}</span>
                    </div>
                    <p class="text-sm text-slate-600">{p.target.clone()}
                        {progress.map(|x| format!(" · {x}"))}
                        {p.start_count.map(|c| format!(" · {} {c}", if de { "Startwert" } else { "start count" }))}
                        {p.finished.clone().map(|f| format!(" · {f}"))}
                        {refill_state.map(|r| format!(" · {r}"))}
                    </p>
                    {p.refillable.then(|| view! {
                        <ActionForm action=refill attr:class="mt-2">
                            <input type="hidden" name="id" value=id.clone()/>
                            <button type="submit" class=LINK data-testid="request-refill">{if de {
                                format!("Nachfüllen lassen (Garantie {days} Tage)")
                            } else {
                                format!("Ask for a refill ({days}-day guarantee)")
                            }}</button>
                        </ActionForm>
                    })}
                </li>
            }
        })
        .collect_view();
    Some(view! {
        <h2 class="mt-8 text-lg font-semibold text-slate-900">{if de { "Lieferung" } else { "Delivery" }}</h2>
        {move || refused.get().map(|text| view! { <p role="alert" class="mt-2 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800">{text}</p> })}
        <ul class="mt-2 divide-y divide-slate-200" data-testid="order-delivery">{items}</ul>
    })
}

/// A delivery's status in the client's words.
fn delivery_status(lang: Lang, status: &str) -> &'static str {
    match (status, lang == Lang::De) {
        ("queued" | "held", true) => "Wird vorbereitet",
        ("queued" | "held", false) => "Being prepared",
        ("submitting" | "submitted", true) => "Gestartet",
        ("submitting" | "submitted", false) => "Started",
        ("in_progress", true) => "Läuft",
        ("in_progress", false) => "Under way",
        ("completed", true) => "Geliefert",
        ("completed", false) => "Delivered",
        ("partial", true) => "Teilweise geliefert",
        ("partial", false) => "Partly delivered",
        ("cancelled", true) => "Storniert",
        ("cancelled", false) => "Cancelled",
        (_, true) => "Unbekannt",
        (_, false) => "Unknown",
    }
}

/// `/portal/orders`: the client's orders.
pub(crate) fn orders_view() -> impl IntoView {
    let lang = Lang::here();
    let t = texts(lang);
    let orders = Resource::new(|| (), |_| my_orders());
    view! {
        <Title text=format!("{} – Growthdesk", t.orders_title)/>
        <Layout lang=lang>
            <section class="mx-auto max-w-3xl px-4 py-12">
                <h1 class="text-3xl font-bold text-slate-900">{t.orders_title}</h1>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        orders.await.map(|list| {
                            if list.is_empty() {
                                return view! {
                                    <p class="mt-6 text-slate-600">{t.no_orders}</p>
                                    <p class="mt-2"><a rel="external" class=LINK href=lang.path("/shop")>{t.to_shop}</a></p>
                                }.into_any();
                            }
                            view! {
                                <ul class="mt-6 divide-y divide-slate-200" data-testid="order-list">
                                    {list.into_iter().map(|o| {
                                        let href = lang.path(&format!("/portal/orders/{}", o.id));
                                        view! {
                                            <li class="flex items-center justify-between gap-4 py-3">
                                                <span>
                                                    <a class=LINK href=href>{t.order_title} " " {o.number}</a>
                                                    <span class="block text-sm text-slate-600">{o.created} " · " {o.items}</span>
                                                </span>
                                                <span class="text-right text-sm">
                                                    <span class="block font-semibold">{money(lang, o.total)}</span>
                                                    <span class="block text-slate-600">{status_text(lang, &o.status)}</span>
                                                </span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        })
                    })}
                </Loaded>
            </section>
        </Layout>
    }
}
