use leptos::prelude::*;
use leptos_meta::Html;

use crate::i18n::Lang;

/// Header with navigation and language switch, the page, and the footer.
#[component]
pub fn Layout(lang: Lang, children: Children) -> impl IntoView {
    let t = lang.t();
    let other = lang.other();
    // Not reactive: signing in or out ends with a full page load, which renders it anew.
    let viewer = super::viewer::page_viewer();
    let admin = viewer.as_ref().is_some_and(|v| v.admin);
    let signed_in = viewer.is_some();
    let email = viewer.map(|v| v.email).unwrap_or_default();
    let cart = use_context::<super::CartCount>().map(|c| c.0);
    let (services, process, contact) = match lang {
        Lang::De => ("/shop", "/#process", "/#contact"),
        Lang::En => ("/en/shop", "/en#process", "/en#contact"),
    };
    view! {
        <Html attr:lang=lang.code()/>
        <header class="sticky top-0 z-10 border-b border-slate-200 bg-white/90 backdrop-blur">
            <nav class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
                <a href=lang.home() class="text-xl font-extrabold tracking-tight text-slate-900">
                    "Growth"<span class="text-fuchsia-600">"desk"</span>
                </a>
                <div class="flex flex-wrap items-center gap-4 text-sm font-medium text-slate-700">
                    <a href=services class="hover:text-fuchsia-700" data-testid="shop-link">{t.nav_services}</a>
                    <a href=process class="hover:text-fuchsia-700">{t.nav_process}</a>
                    <a href=lang.path("/blog") class="hover:text-fuchsia-700" data-testid="blog-link-nav">"Blog"</a>
                    <a href=contact class="hover:text-fuchsia-700">{t.nav_contact}</a>
                    // One fixed set of elements, shown or hidden: the smallest code in the
                    // first-load bundle.
                    <span hidden=!signed_in class="max-w-48 truncate text-slate-500" data-testid="viewer-email">{email}</span>
                    <a hidden=!signed_in href=lang.path("/account") class="hover:text-fuchsia-700" data-testid="account-link">{t.nav_account}</a>
                    <a hidden=!admin href=lang.path("/admin/users") class="hover:text-fuchsia-700" data-testid="admin-link">{t.nav_admin}</a>
                    <a hidden=signed_in href=lang.path("/login") class="hover:text-fuchsia-700" data-testid="login-link">{t.nav_login}</a>
                    <a href=lang.path("/cart") class="hover:text-fuchsia-700" data-testid="cart-link">
                        {t.nav_cart} " (" <span data-testid="cart-count">{move || cart.map(|c| c.get()).unwrap_or(0)}</span> ")"
                    </a>
                    <a href=other.home() hreflang=other.code() lang=other.code() data-testid="lang-switch"
                        class="rounded-full border border-slate-300 px-3 py-1 hover:border-fuchsia-500">
                        {t.switch_label}
                    </a>
                </div>
            </nav>
        </header>
        <main>{children()}</main>
        <footer class="border-t border-slate-200">
            <div class="mx-auto flex max-w-6xl flex-wrap justify-between gap-4 px-4 py-8 text-sm text-slate-500">
                <span>{t.footer}</span>
                // German law: every page links the legal pages.
                <nav class="flex flex-wrap gap-4" aria-label=t.legal_label data-testid="legal-links">
                    <a href=lang.path("/legal/impressum") class="hover:text-fuchsia-700">{t.legal_imprint}</a>
                    <a href=lang.path("/legal/datenschutz") class="hover:text-fuchsia-700">{t.legal_privacy}</a>
                    <a href=lang.path("/legal/agb") class="hover:text-fuchsia-700">{t.legal_terms}</a>
                    <a href=lang.path("/legal/widerruf") class="hover:text-fuchsia-700">{t.legal_withdrawal}</a>
                </nav>
            </div>
        </footer>
    }
}
