use leptos::prelude::*;
use leptos_meta::Html;

use super::islands::{
    crossing, here_is_storefront, CartBadge, CartCountText, HydrationMark, PageHydrationMark,
};
use crate::i18n::Lang;

/// Header with navigation and language switch, the page, and the footer.
#[component]
pub fn Layout(lang: Lang, children: Children) -> impl IntoView {
    let t = lang.t();
    let other = lang.other();
    // Not reactive: signing in or out ends with a full page load, which renders it anew.
    let viewer = super::viewer::page_viewer();
    let admin = viewer.as_ref().is_some_and(|v| v.admin);
    let finance = viewer.as_ref().is_some_and(|v| v.finance);
    let signed_in = viewer.is_some();
    let email = viewer.map(|v| v.email).unwrap_or_default();
    let cart = super::viewer::page_cart_count();
    let (services, process, contact) = match lang {
        Lang::De => ("/shop", "/#process", "/#contact"),
        Lang::En => ("/en/shop", "/en#process", "/en#contact"),
    };
    // Links between the storefront (islands pages) and the fully hydrated areas load the
    // whole page; within each, moving happens in the browser.
    let storefront = here_is_storefront();
    let rel = move |href: &str| crossing(storefront, href);
    // Islands only on islands pages (see `CartCountText`).
    let badge = if storefront {
        view! { <CartBadge count=cart/> }.into_any()
    } else {
        view! { <CartCountText count=cart/> }.into_any()
    };
    let finance_home = lang.path("/finance");
    let (portal, account, admin_users, login, cart_page) = (
        lang.path("/portal"),
        lang.path("/account"),
        lang.path("/admin/users"),
        lang.path("/login"),
        lang.path("/cart"),
    );
    let (blog, imprint, privacy, terms, withdrawal) = (
        lang.path("/blog"),
        lang.path("/legal/impressum"),
        lang.path("/legal/datenschutz"),
        lang.path("/legal/agb"),
        lang.path("/legal/widerruf"),
    );
    // Header and footer are type-erased: the page's whole view type is otherwise deeper than
    // the compiler's default recursion limit in every crate that renders it.
    let header = view! {
        <header class="sticky top-0 z-10 border-b border-slate-200 bg-white/90 backdrop-blur">
            <nav class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
                <a href=lang.home() rel=rel(lang.home()) class="text-xl font-extrabold tracking-tight text-slate-900">
                    "Growth"<span class="text-fuchsia-600">"desk"</span>
                </a>
                <div class="flex flex-wrap items-center gap-4 text-sm font-medium text-slate-700">
                    <a href=services rel=rel(services) class="hover:text-fuchsia-700" data-testid="shop-link">{t.nav_services}</a>
                    <a href=process rel=rel(process) class="hover:text-fuchsia-700">{t.nav_process}</a>
                    <a rel=rel(&blog) href=blog class="hover:text-fuchsia-700" data-testid="blog-link-nav">"Blog"</a>
                    <a href=contact rel=rel(contact) class="hover:text-fuchsia-700">{t.nav_contact}</a>
                    // One fixed set of elements, shown or hidden: the smallest code in the
                    // first-load bundle.
                    <span hidden=!signed_in class="max-w-48 truncate text-slate-500" data-testid="viewer-email">{email}</span>
                    <a hidden=!signed_in rel=rel(&portal) href=portal class="hover:text-fuchsia-700" data-testid="portal-link">{t.nav_portal}</a>
                    <a hidden=!signed_in rel=rel(&account) href=account class="hover:text-fuchsia-700" data-testid="account-link">{t.nav_account}</a>
                    <a hidden=!admin rel=rel(&admin_users) href=admin_users class="hover:text-fuchsia-700" data-testid="admin-link">{t.nav_admin}</a>
                    <a hidden=!finance rel=rel(&finance_home) href=finance_home.clone() class="hover:text-fuchsia-700" data-testid="finance-link">{t.nav_finance}</a>
                    <a hidden=signed_in rel=rel(&login) href=login class="hover:text-fuchsia-700" data-testid="login-link">{t.nav_login}</a>
                    <a rel=rel(&cart_page) href=cart_page class="hover:text-fuchsia-700" data-testid="cart-link">
                        {t.nav_cart} " (" {badge} ")"
                    </a>
                    // Another language is another header: always a full page load.
                    <a href=other.home() rel="external" hreflang=other.code() lang=other.code() data-testid="lang-switch"
                        class="rounded-full border border-slate-300 px-3 py-1 hover:border-fuchsia-500">
                        {t.switch_label}
                    </a>
                </div>
            </nav>
        </header>
    }
    .into_any();
    let footer = view! {
        <footer class="border-t border-slate-200">
            <div class="mx-auto flex max-w-6xl flex-wrap justify-between gap-4 px-4 py-8 text-sm text-slate-500">
                <span>{t.footer}</span>
                // German law: every page links the legal pages.
                <nav class="flex flex-wrap gap-4" aria-label=t.legal_label data-testid="legal-links">
                    <a rel=rel(&imprint) href=imprint class="hover:text-fuchsia-700">{t.legal_imprint}</a>
                    <a rel=rel(&privacy) href=privacy class="hover:text-fuchsia-700">{t.legal_privacy}</a>
                    <a rel=rel(&terms) href=terms class="hover:text-fuchsia-700">{t.legal_terms}</a>
                    <a rel=rel(&withdrawal) href=withdrawal class="hover:text-fuchsia-700">{t.legal_withdrawal}</a>
                </nav>
            </div>
            {if storefront {
                view! { <HydrationMark/> }.into_any()
            } else {
                view! { <PageHydrationMark/> }.into_any()
            }}
        </footer>
    }
    .into_any();
    view! {
        <Html attr:lang=lang.code()/>
        {header}
        <main>{children()}</main>
        {footer}
    }
}
