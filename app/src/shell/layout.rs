use leptos::prelude::*;
use leptos_meta::Html;

use super::ViewerSignal;
use crate::i18n::Lang;

/// Header with navigation and language switch, the page, and the footer.
#[component]
pub fn Layout(lang: Lang, children: Children) -> impl IntoView {
    let t = lang.t();
    let other = lang.other();
    view! {
        <Html attr:lang=lang.code()/>
        <header class="sticky top-0 z-10 border-b border-slate-200 bg-white/90 backdrop-blur">
            <nav class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
                <a href=lang.home() class="text-xl font-extrabold tracking-tight text-slate-900">
                    "Growth"<span class="text-fuchsia-600">"desk"</span>
                </a>
                <div class="flex flex-wrap items-center gap-4 text-sm font-medium text-slate-700">
                    <a href=format!("{}#services", lang.home()) class="hover:text-fuchsia-700">{t.nav_services}</a>
                    <a href=format!("{}#process", lang.home()) class="hover:text-fuchsia-700">{t.nav_process}</a>
                    <a href=format!("{}#contact", lang.home()) class="hover:text-fuchsia-700">{t.nav_contact}</a>
                    {move || match use_context::<ViewerSignal>().and_then(|v| v.0.get()) {
                        Some(viewer) => view! {
                            <span class="max-w-48 truncate text-slate-500" data-testid="viewer-email">{viewer.email}</span>
                            <a href=lang.path("/account") class="hover:text-fuchsia-700" data-testid="account-link">{t.nav_account}</a>
                            {viewer.admin.then(|| view! {
                                <a href=lang.path("/admin/users") class="hover:text-fuchsia-700" data-testid="admin-link">{t.nav_admin}</a>
                            })}
                        }.into_any(),
                        None => view! {
                            <a href=lang.path("/login") class="hover:text-fuchsia-700" data-testid="login-link">{t.nav_login}</a>
                        }.into_any(),
                    }}
                    <a href=other.home() hreflang=other.code() lang=other.code() data-testid="lang-switch"
                        class="rounded-full border border-slate-300 px-3 py-1 hover:border-fuchsia-500">
                        {t.switch_label}
                    </a>
                </div>
            </nav>
        </header>
        <main>{children()}</main>
        <footer class="border-t border-slate-200">
            <div class="mx-auto max-w-6xl px-4 py-8 text-sm text-slate-500">{t.footer}</div>
        </footer>
    }
}
