//! `/portal`: the client's dashboard (orders under way, subscriptions), and
//! `/portal/subscriptions`: each subscription with its periods and what the client may do.

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::my_orders;
use super::page::{go_to, status_text};
use super::subscriptions::{
    my_subscriptions, ChangeSubscription, SubscriptionCard, SubscriptionPortal,
};
use crate::error::{AppError, Conflict};
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::shop::money;
use crate::ui::{failed, FormError, Loaded, INPUT, LINK, SECONDARY};

struct Texts {
    dashboard: &'static str,
    subscriptions: &'static str,
    under_way: &'static str,
    nothing_under_way: &'static str,
    all_orders: &'static str,
    no_subscriptions: &'static str,
    to_shop: &'static str,
    per_month: &'static str,
    per_year: &'static str,
    renews: &'static str,
    ends: &'static str,
    ended: &'static str,
    cancel: &'static str,
    resume: &'static str,
    payment_method: &'static str,
    plan: &'static str,
    switch: &'static str,
    switch_note: &'static str,
    periods: &'static str,
    order: &'static str,
    test_gateway: &'static str,
    past_due: &'static str,
    over: &'static str,
    unavailable: &'static str,
}

const DE: Texts = Texts {
    dashboard: "Kundenportal",
    subscriptions: "Abos",
    under_way: "Laufende Bestellungen",
    nothing_under_way: "Gerade läuft keine Bestellung.",
    all_orders: "Alle Bestellungen",
    no_subscriptions: "Sie haben kein Abo.",
    to_shop: "Unsere Leistungen ansehen",
    per_month: " / Monat",
    per_year: " / Jahr",
    renews: "Verlängert sich am",
    ends: "Gekündigt – endet am",
    ended: "Beendet am",
    cancel: "Zum Ende des Zeitraums kündigen",
    resume: "Kündigung zurücknehmen",
    payment_method: "Zahlungsmethode ändern",
    plan: "Paket",
    switch: "Paket wechseln",
    switch_note: "Der Wechsel gilt sofort; der Unterschied für den laufenden Zeitraum wird mit der nächsten Rechnung verrechnet.",
    periods: "Abrechnungszeiträume",
    order: "Bestellung",
    test_gateway: "Test-Zahlungsanbieter: Hier fließt kein Geld.",
    past_due: "Die letzte Zahlung ist fehlgeschlagen. Bitte ändern Sie die Zahlungsmethode; danach wird erneut abgebucht.",
    over: "Dieses Abo ist beendet und kann nicht mehr geändert werden.",
    unavailable: "Der Zahlungsanbieter ist gerade nicht erreichbar. Es wurde nichts geändert; bitte versuchen Sie es gleich noch einmal.",
};

const EN: Texts = Texts {
    dashboard: "Client portal",
    subscriptions: "Subscriptions",
    under_way: "Orders under way",
    nothing_under_way: "No order is under way.",
    all_orders: "All orders",
    no_subscriptions: "You have no subscription.",
    to_shop: "See our services",
    per_month: " / month",
    per_year: " / year",
    renews: "Renews on",
    ends: "Cancelled – ends on",
    ended: "Ended on",
    cancel: "Cancel at the end of the period",
    resume: "Don't cancel",
    payment_method: "Change payment method",
    plan: "Plan",
    switch: "Switch plan",
    switch_note: "The switch applies at once; the difference for the current period is settled with the next invoice.",
    periods: "Billing periods",
    order: "Order",
    test_gateway: "Test payment gateway: no money moves here.",
    past_due: "The last payment failed. Please change the payment method; it will be charged again afterwards.",
    over: "This subscription has ended and cannot be changed any more.",
    unavailable: "The payment provider cannot be reached right now. Nothing was changed; please try again in a moment.",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

fn words(lang: Lang, e: &AppError) -> &'static str {
    let t = texts(lang);
    match e {
        AppError::Conflict(Conflict::SubscriptionOver) => t.over,
        AppError::Conflict(Conflict::PaymentUnavailable) => t.unavailable,
        other => crate::ui::error_text(lang, other),
    }
}

/// A subscription status in the client's words.
pub(crate) fn subscription_status(lang: Lang, status: &str) -> &'static str {
    let de = lang == Lang::De;
    match (status, de) {
        ("active", true) => "Aktiv",
        ("active", false) => "Active",
        ("trialing", true) => "Testphase",
        ("trialing", false) => "Trial",
        ("past_due", true) => "Zahlung überfällig",
        ("past_due", false) => "Past due",
        ("unpaid", true) => "Unbezahlt",
        ("unpaid", false) => "Unpaid",
        ("paused", true) => "Pausiert",
        ("paused", false) => "Paused",
        ("incomplete", true) => "Zahlung ausstehend",
        ("incomplete", false) => "Awaiting payment",
        ("canceled" | "incomplete_expired", true) => "Beendet",
        ("canceled" | "incomplete_expired", false) => "Ended",
        (_, true) => "Unbekannt",
        (_, false) => "Unknown",
    }
}

fn period_status(lang: Lang, status: &str) -> &'static str {
    let de = lang == Lang::De;
    match (status, de) {
        ("paid", true) => "bezahlt",
        ("paid", false) => "paid",
        ("failed", true) => "fehlgeschlagen",
        ("failed", false) => "failed",
        ("void", true) => "storniert",
        ("void", false) => "void",
        (_, true) => "offen",
        (_, false) => "open",
    }
}

fn per(t: &Texts, interval: &str) -> &'static str {
    if interval == "year" {
        t.per_year
    } else {
        t.per_month
    }
}

/// `/portal/subscriptions`.
pub(crate) fn subscriptions_view() -> impl IntoView {
    let lang = Lang::here();
    let t = texts(lang);
    let change = ServerAction::<ChangeSubscription>::new();
    let portal = ServerAction::<SubscriptionPortal>::new();
    let subs = Resource::new(move || change.version().get(), |_| my_subscriptions());
    let change_error = failed(change);
    let portal_error = failed(portal);
    Effect::new(move |_| {
        if let Some(Ok(url)) = portal.value().get() {
            go_to(&url);
        }
    });
    view! {
        <Title text=format!("{} – Growthdesk", t.subscriptions)/>
        <Layout lang=lang>
            <section class="mx-auto max-w-3xl px-4 py-12">
                <h1 class="text-3xl font-bold text-slate-900">{t.subscriptions}</h1>
                <FormError lang=lang error=change_error words=words/>
                <FormError lang=lang error=portal_error words=words/>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        subs.await.map(|list| {
                            if list.is_empty() {
                                return view! {
                                    <p class="mt-6 text-slate-600">{t.no_subscriptions}</p>
                                    <p class="mt-2"><a rel="external" class=LINK href=lang.path("/shop")>{t.to_shop}</a></p>
                                }.into_any();
                            }
                            view! {
                                <ul class="mt-6 space-y-6" data-testid="subscription-list">
                                    {list.into_iter().map(|s| subscription_card(lang, s, change, portal)).collect_view()}
                                </ul>
                            }.into_any()
                        })
                    })}
                </Loaded>
                <p class="mt-8"><a class=LINK href=lang.path("/portal")>{t.dashboard}</a></p>
            </section>
        </Layout>
    }
}

fn subscription_card(
    lang: Lang,
    s: SubscriptionCard,
    change: ServerAction<ChangeSubscription>,
    portal: ServerAction<SubscriptionPortal>,
) -> impl IntoView {
    let t = texts(lang);
    let when = match (&s.ended, s.cancel_at_period_end, &s.period_end) {
        (Some(ended), _, _) => Some(format!("{} {ended}", t.ended)),
        (None, true, Some(end)) => Some(format!("{} {end}", t.ends)),
        (None, false, Some(end)) => Some(format!("{} {end}", t.renews)),
        _ => None,
    };
    let periods = s
        .periods
        .iter()
        .map(|p| {
            view! {
                <li class="flex justify-between gap-4 text-sm text-slate-700" data-testid="subscription-period" data-status=p.status.clone()>
                    <span>{p.range.clone()}</span>
                    <span>{money(lang, p.amount)} " · " {period_status(lang, &p.status)}</span>
                </li>
            }
        })
        .collect_view();
    let id = s.id.clone();
    let action = if s.cancel_at_period_end {
        "resume"
    } else {
        "cancel"
    };
    let label = if s.cancel_at_period_end {
        t.resume
    } else {
        t.cancel
    };
    let order_href = lang.path(&format!("/portal/orders/{}", s.order_id));
    let select_id = format!("plan-{}", s.id);
    let switch = (s.open && s.plans.len() > 1).then(|| {
        let current = s.tier.clone();
        let options = s
            .plans
            .iter()
            .map(|p| {
                let selected = current.as_deref() == Some(p.tier.as_str());
                view! {
                    <option value=p.tier.clone() selected=selected>
                        {format!("{} – {}{}", p.name, money(lang, p.amount), per(t, &s.interval))}
                    </option>
                }
            })
            .collect_view();
        view! {
            <ActionForm action=change attr:class="mt-4 space-y-2">
                <input type="hidden" name="id" value=s.id.clone()/>
                <input type="hidden" name="action" value="switch"/>
                <label class="block text-sm font-medium text-slate-900" for=select_id.clone()>{t.plan}</label>
                <select id=select_id name="tier" class=INPUT data-testid="subscription-plan">{options}</select>
                <button type="submit" class=SECONDARY data-testid="subscription-switch">{t.switch}</button>
                <p class="text-xs text-slate-600">{t.switch_note}</p>
            </ActionForm>
        }
    });
    view! {
        <li class="rounded-xl border border-slate-200 p-5" data-testid="subscription" data-status=s.status.clone()>
            <div class="flex justify-between gap-4">
                <h2 class="font-semibold text-slate-900">{s.plan.clone()}</h2>
                <span class="whitespace-nowrap font-semibold">{format!("{}{}", money(lang, s.amount), per(t, &s.interval))}</span>
            </div>
            <p class="mt-1 text-sm">
                <strong data-testid="subscription-status">{subscription_status(lang, &s.status)}</strong>
                {when.map(|w| view! { " · " <span data-testid="subscription-when">{w}</span> })}
            </p>
            <p class="text-sm text-slate-600"><a class=LINK href=order_href>{t.order} " " {s.order_number}</a></p>
            {s.test_gateway.then(|| view! { <p class="mt-2 text-xs font-medium text-amber-800">{t.test_gateway}</p> })}
            {(s.status == "past_due").then(|| view! {
                <p role="alert" class="mt-3 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="subscription-past-due">{t.past_due}</p>
            })}
            {s.open.then(|| {
                let id2 = id.clone();
                view! {
                    <div class="mt-4 grid gap-2 sm:grid-cols-2">
                        <ActionForm action=change>
                            <input type="hidden" name="id" value=id.clone()/>
                            <input type="hidden" name="action" value=action/>
                            <button type="submit" class=SECONDARY data-testid=format!("subscription-{action}")>{label}</button>
                        </ActionForm>
                        <ActionForm action=portal>
                            <input type="hidden" name="lang" value=lang.code()/>
                            <input type="hidden" name="id" value=id2/>
                            <button type="submit" class=SECONDARY data-testid="subscription-payment-method">{t.payment_method}</button>
                        </ActionForm>
                    </div>
                }
            })}
            {switch}
            <h3 class="mt-4 text-sm font-semibold text-slate-900">{t.periods}</h3>
            <ul class="mt-1 space-y-1">{periods}</ul>
        </li>
    }
}

/// `/portal`: what is under way, and the subscriptions.
pub(crate) fn dashboard_view() -> impl IntoView {
    let lang = Lang::here();
    let t = texts(lang);
    let orders = Resource::new(|| (), |_| my_orders());
    let subs = Resource::new(|| (), |_| my_subscriptions());
    view! {
        <Title text=format!("{} – Growthdesk", t.dashboard)/>
        <Layout lang=lang>
            <section class="mx-auto max-w-3xl px-4 py-12">
                <h1 class="text-3xl font-bold text-slate-900">{t.dashboard}</h1>
                <h2 class="mt-8 text-xl font-semibold text-slate-900">{t.under_way}</h2>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        orders.await.map(|list| {
                            let open: Vec<_> = list
                                .into_iter()
                                .filter(|o| matches!(o.status.as_str(), "pending_payment" | "paid" | "in_fulfilment"))
                                .collect();
                            if open.is_empty() {
                                return view! { <p class="mt-2 text-slate-600">{t.nothing_under_way}</p> }.into_any();
                            }
                            view! {
                                <ul class="mt-2 divide-y divide-slate-200" data-testid="dashboard-orders">
                                    {open.into_iter().map(|o| view! {
                                        <li class="flex justify-between gap-4 py-2">
                                            <a class=LINK href=lang.path(&format!("/portal/orders/{}", o.id))>{t.order} " " {o.number} " · " {o.items}</a>
                                            <span class="text-sm text-slate-600">{status_text(lang, &o.status)}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        })
                    })}
                </Loaded>
                <p class="mt-2"><a class=LINK href=lang.path("/portal/orders")>{t.all_orders}</a></p>
                <h2 class="mt-8 text-xl font-semibold text-slate-900">{t.subscriptions}</h2>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        subs.await.map(|list| {
                            if list.is_empty() {
                                return view! { <p class="mt-2 text-slate-600">{t.no_subscriptions}</p> }.into_any();
                            }
                            view! {
                                <ul class="mt-2 divide-y divide-slate-200" data-testid="dashboard-subscriptions">
                                    {list.into_iter().map(|s| view! {
                                        <li class="flex justify-between gap-4 py-2">
                                            <span>{s.plan.clone()}</span>
                                            <span class="text-sm text-slate-600">{subscription_status(lang, &s.status)} " · " {format!("{}{}", money(lang, s.amount), per(t, &s.interval))}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        })
                    })}
                </Loaded>
                <p class="mt-2"><a class=LINK href=lang.path("/portal/subscriptions") data-testid="dashboard-subscriptions-link">{t.subscriptions}</a></p>
                <p class="mt-2"><a class=LINK href=lang.path("/portal/invoices") data-testid="dashboard-invoices-link">{if lang == Lang::De { "Rechnungen" } else { "Invoices" }}</a></p>
                <p class="mt-2"><a class=LINK href=lang.path("/portal/analytics") data-testid="dashboard-analytics-link">{if lang == Lang::De { "Instagram-Analysen" } else { "Instagram analytics" }}</a></p>
            </section>
        </Layout>
    }
}
