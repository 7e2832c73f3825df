//! `/cart`: the lines with their configuration, quantity and price; notices for lines whose
//! price changed or that are no longer sold; the totals per billing period and VAT rate.
//! Every change is a form (it works without JavaScript); in the browser the lines are an
//! island that follows each answer without a reload, and the header's count with it.

use gd_pricing::Billing;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use super::api::{current_cart, CartRemove, CartSetQuantity, CartView, LineNotice};
use crate::i18n::Lang;
use crate::shell::islands::set_cart_count;
use crate::shell::Layout;
use crate::shop::{money, texts as shop_texts};
use crate::ui::{failed, FormError, Loaded, BUTTON, LINK, SECONDARY};

/// The cart page (a storefront page, see `shop::storefront_page`).
pub(crate) fn cart_page() -> AnyView {
    cart_view_page().into_any()
}

struct Texts {
    title: &'static str,
    empty: &'static str,
    to_shop: &'static str,
    quantity: &'static str,
    update: &'static str,
    remove: &'static str,
    unavailable: &'static str,
    changed: &'static str,
    once: &'static str,
    monthly: &'static str,
    yearly: &'static str,
    net: &'static str,
    vat: &'static str,
    total: &'static str,
    for_target: &'static str,
    checkout: &'static str,
}

const DE: Texts = Texts {
    title: "Warenkorb",
    empty: "Ihr Warenkorb ist leer.",
    to_shop: "Zu den Leistungen",
    quantity: "Anzahl",
    update: "Ändern",
    remove: "Entfernen",
    unavailable: "Nicht mehr erhältlich – bitte entfernen. Es zählt nicht zur Summe.",
    changed: "Der Preis hat sich geändert",
    once: "Einmalig",
    monthly: "Monatlich",
    yearly: "Jährlich",
    net: "Netto",
    vat: "MwSt.",
    total: "Summe",
    for_target: "für",
    checkout: "Zur Kasse",
};

const EN: Texts = Texts {
    title: "Cart",
    empty: "Your cart is empty.",
    to_shop: "See our services",
    quantity: "Quantity",
    update: "Change",
    remove: "Remove",
    unavailable: "No longer available: please remove it. It is not counted in the total.",
    changed: "The price has changed",
    once: "One-off",
    monthly: "Monthly",
    yearly: "Yearly",
    net: "Net",
    vat: "VAT",
    total: "Total",
    for_target: "for",
    checkout: "Go to checkout",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

fn cart_view_page() -> impl IntoView {
    let lang = Lang::of_path(&use_location().pathname.get_untracked());
    let t = texts(lang);
    let cart = Resource::new(|| (), move |_| current_cart(lang.code().to_owned()));
    view! {
        <Title text=format!("{} – Growthdesk", t.title)/>
        <Layout lang=lang>
            <section class="mx-auto max-w-4xl px-4 py-12">
                <h1 class="text-3xl font-bold text-slate-900">{t.title}</h1>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        cart.await.map(|cart| view! { <CartEditor lang=lang cart=cart/> })
                    })}
                </Loaded>
            </section>
        </Layout>
    }
}

/// The lines and totals, changed in place: the page's island. Each change is a form (it
/// works without JavaScript); hydrated, the server's answer (the whole cart, priced anew)
/// replaces what is shown, and the header's count follows.
#[island(lazy)]
fn CartEditor(lang: Lang, cart: CartView) -> impl IntoView {
    let t = texts(lang);
    let cart = RwSignal::new(cart);
    let set_quantity = ServerAction::<CartSetQuantity>::new();
    let remove = ServerAction::<CartRemove>::new();
    for action in [set_quantity.value(), remove.value()] {
        Effect::new(move |_| {
            if let Some(Ok(view)) = action.get() {
                set_cart_count(view.count);
                cart.set(view);
            }
        });
    }
    let (quantity_error, remove_error) = (failed(set_quantity), failed(remove));
    let error = Signal::derive(move || quantity_error.get().or_else(|| remove_error.get()));
    view! {
        <div class="mt-4"><FormError lang=lang error=error/></div>
        {move || cart_contents(lang, t, cart.get(), set_quantity, remove)}
    }
}

fn cart_contents(
    lang: Lang,
    t: &'static Texts,
    cart: CartView,
    set_quantity: ServerAction<CartSetQuantity>,
    remove: ServerAction<CartRemove>,
) -> AnyView {
    let shop_t = shop_texts(lang);
    if cart.lines.is_empty() {
        return view! {
            <p class="mt-6 text-slate-600" data-testid="cart-empty">{t.empty}</p>
            <a href=lang.path("/shop") class=LINK>{t.to_shop}</a>
        }
        .into_any();
    }
    let suffix = move |billing: Billing| match billing {
        Billing::OneOff => "",
        Billing::Monthly => shop_t.per_month,
        Billing::Yearly => shop_t.per_year,
    };
    let lines = cart
        .lines
        .into_iter()
        .map(|l| {
            let notice = l.notice.map(|n| match n {
                LineNotice::Unavailable => t.unavailable.to_owned(),
                LineNotice::PriceChanged { was, now } => {
                    format!("{}: {} → {}", t.changed, money(lang, was), money(lang, now))
                }
            });
            let target = (!l.target.is_empty()).then(|| format!("{} {}", t.for_target, l.target));
            let total = l
                .total
                .map(|c| format!("{} {}", money(lang, c), suffix(l.billing)).trim_end().to_owned())
                .unwrap_or_else(|| "–".to_owned());
            let product = lang.path(&format!("/shop/{}", l.slug));
            let (id, id2) = (l.id.clone(), l.id.clone());
            view! {
                <li class="flex flex-col gap-3 border-b border-slate-200 py-4 sm:flex-row sm:items-start" data-testid="cart-line">
                    <div class="flex-1">
                        <a href=product class="font-semibold text-slate-900 hover:text-fuchsia-700">{l.name}</a>
                        <p class="text-sm text-slate-600">{l.details}</p>
                        {target.map(|t| view! { <p class="text-sm text-slate-600" data-testid="cart-target">{t}</p> })}
                        {notice.map(|n| view! { <p role="status" class="mt-1 rounded bg-amber-50 px-2 py-1 text-sm text-amber-900" data-testid="cart-notice">{n}</p> })}
                    </div>
                    <ActionForm action=set_quantity attr:class="flex items-end gap-2">
                        <input type="hidden" name="lang" value=lang.code()/>
                        <input type="hidden" name="line" value=id/>
                        <label class="text-sm text-slate-700">{t.quantity}
                            <input name="quantity" type="number" min="1" max="100" value=l.quantity.to_string()
                                class="mt-1 block w-20 rounded-lg border border-slate-300 px-2 py-1" data-testid="cart-quantity"/>
                        </label>
                        <button type="submit" class="rounded-lg border border-slate-300 px-3 py-1 text-sm hover:border-fuchsia-500">{t.update}</button>
                    </ActionForm>
                    <p class="w-32 text-right font-semibold text-slate-900" data-testid="cart-line-total">{total}</p>
                    <ActionForm action=remove>
                        <input type="hidden" name="lang" value=lang.code()/>
                        <input type="hidden" name="line" value=id2/>
                        <button type="submit" class="text-sm text-red-700 hover:underline" data-testid="cart-remove">{t.remove}</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let periods = cart
        .periods
        .into_iter()
        .map(|p| {
            let label = match p.billing {
                Billing::OneOff => t.once,
                Billing::Monthly => t.monthly,
                Billing::Yearly => t.yearly,
            };
            let rates = p
                .rates
                .iter()
                .map(|r| {
                    view! {
                        <p class="flex justify-between text-sm text-slate-600">
                            <span>{t.net}</span><span>{money(lang, r.net)}</span>
                        </p>
                        <p class="flex justify-between text-sm text-slate-600">
                            <span>{format!("{} {}", t.vat, r.rate.percent(lang == Lang::De))}</span>
                            <span>{money(lang, r.vat)}</span>
                        </p>
                    }
                })
                .collect_view();
            view! {
                <div class="rounded-xl bg-slate-50 p-4" data-testid="cart-period">
                    <p class="font-semibold text-slate-900">{label}</p>
                    {rates}
                    <p class="mt-1 flex justify-between font-bold text-slate-900">
                        <span>{t.total}</span>
                        <span data-testid="cart-total">{format!("{} {}", money(lang, p.total), suffix(p.billing)).trim_end().to_owned()}</span>
                    </p>
                </div>
            }
        })
        .collect_view();
    view! {
        <ul class="mt-6" data-testid="cart-lines">{lines}</ul>
        <div class="mt-6 ml-auto max-w-sm space-y-3">{periods}</div>
        // The checkout is part of the signed-in app (a full page load, not the storefront's).
        <div class="mt-6 ml-auto max-w-sm space-y-3">
            <a href=lang.path("/checkout") rel="external" class=format!("block text-center {BUTTON}") data-testid="cart-checkout">{t.checkout}</a>
            <a href=lang.path("/shop") class=format!("block text-center {SECONDARY}")>{t.to_shop}</a>
        </div>
    }
    .into_any()
}
