//! The HTML document, the routes, the shared layout and the not-found page.

pub mod islands;
mod lang_segment;
mod layout;
mod not_found;
mod viewer;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, ParamSegment, SsrMode, StaticSegment};

use lang_segment::LangPrefix;
pub use layout::Layout;
pub use not_found::NotFound;
pub use viewer::Viewer;

use crate::admin::AdminPages;
use crate::analytics::AnalyticsPage;
use crate::auth::{AccountPage, SignInPages};
use crate::i18n::Lang;
use crate::landing::Landing;
use crate::outbox::OutboxPage;

/// The whole HTML document, rendered on the server around [`App`]. Storefront pages are
/// islands pages (see [`islands`]): a marker tells the browser's `hydrate` which kind it got.
pub fn html_document(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let islands_page = use_context::<http::request::Parts>()
        .is_some_and(|request| islands::is_storefront(request.uri.path()));
    #[cfg(not(feature = "ssr"))]
    let islands_page = false;
    let nonce = leptos::nonce::use_nonce();
    view! {
        <!DOCTYPE html>
        // `lang` comes from the page (`Layout` sets it with `<Html attr:lang>`).
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options islands=islands_page/>
                {islands_page.then(|| view! {
                    <meta name="gd-mode" content="islands"/>
                    <script type="module" nonce=nonce>{islands::NAVIGATE_JS}</script>
                })}
                {viewer::page_viewer().map(|v| view! { <meta name="gd-viewer" content=v.encode()/> })}
                {Some(viewer::page_cart_count()).filter(|n| *n > 0).map(|n| view! { <meta name="gd-cart" content=n.to_string()/> })}
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-white text-slate-800 antialiased">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Tests (and curious people) tell when the page has become interactive by the body's
    // `data-hydrated`, which the page's layout sets (see `islands::PageHydrationMark`).
    // Pages whose answer depends on who asks render completely before the first byte is sent
    // (`SsrMode::Async`), so their data's error sets the real status: 401, 403, 404.
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                // The landing page keeps two plain routes: a bare `/{lang}` on the server would
                // also catch `/favicon.svg` and every other file at the root.
                <Route path=StaticSegment("") view=storefront(|| view! { <Landing lang=Lang::De/> })/>
                <Route path=StaticSegment("en") view=storefront(|| view! { <Landing lang=Lang::En/> })/>
                <Route path=(StaticSegment("dev"), StaticSegment("outbox")) view={Lazy::<OutboxPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("shop")) ssr=SsrMode::Async view=storefront(crate::shop::storefront_page)/>
                <Route path=(LangPrefix, StaticSegment("cart")) ssr=SsrMode::Async view=storefront(crate::shop::storefront_page)/>
                <Route path=(LangPrefix, StaticSegment("legal"), ParamSegment("slug")) ssr=SsrMode::Async view=storefront(crate::shop::storefront_page)/>
                <Route path=(LangPrefix, StaticSegment("blog")) ssr=SsrMode::Async view=storefront(crate::shop::storefront_page)/>
                <Route path=(LangPrefix, StaticSegment("blog"), ParamSegment("slug")) ssr=SsrMode::Async view=storefront(crate::shop::storefront_page)/>
                <Route path=(LangPrefix, StaticSegment("shop"), ParamSegment("slug")) ssr=SsrMode::Async view=storefront(crate::shop::storefront_page)/>
                <Route path=(LangPrefix, StaticSegment("login")) view={Lazy::<SignInPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("login"), StaticSegment("code")) view={Lazy::<SignInPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("signup")) view={Lazy::<SignInPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("verify-email")) view={Lazy::<SignInPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("forgot-password")) view={Lazy::<SignInPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("reset-password")) view={Lazy::<SignInPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("account")) ssr=SsrMode::Async view={Lazy::<AccountPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("account"), StaticSegment("two-factor")) ssr=SsrMode::Async view={Lazy::<AccountPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("checkout")) ssr=SsrMode::Async view={Lazy::<AccountPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("portal")) ssr=SsrMode::Async view={Lazy::<AccountPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("portal"), StaticSegment("subscriptions")) ssr=SsrMode::Async view={Lazy::<AccountPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("portal"), StaticSegment("orders")) ssr=SsrMode::Async view={Lazy::<AccountPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("portal"), StaticSegment("invoices")) ssr=SsrMode::Async view={Lazy::<AccountPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("portal"), StaticSegment("analytics")) ssr=SsrMode::Async view={Lazy::<AnalyticsPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("analytics")) ssr=SsrMode::Async view={Lazy::<AnalyticsPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("finance")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("finance"), StaticSegment("reports")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("portal"), StaticSegment("orders"), ParamSegment("id")) ssr=SsrMode::Async view={Lazy::<AccountPage>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("users")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("audit")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("pages")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("pages"), ParamSegment("id")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("orders")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("fulfilment")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("providers")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("jobs")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("mail")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("orders"), ParamSegment("id")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("catalog")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
                <Route path=(LangPrefix, StaticSegment("admin"), StaticSegment("catalog"), ParamSegment("id")) ssr=SsrMode::Async view={Lazy::<AdminPages>::new()}/>
            </Routes>
        </Router>
    }
}

/// A storefront page in the route table. Storefront pages are islands pages, rendered by the
/// server alone: the browser's fully hydrated app never shows one (links to them are
/// `rel="external"`), so it carries none of their code. Should it reach one anyway, it asks
/// the server for the page.
fn storefront<V: IntoView + 'static>(
    page: impl Fn() -> V + Clone + Send + Sync + 'static,
) -> impl Fn() -> AnyView + Clone + Send + Sync + 'static {
    move || {
        #[cfg(feature = "ssr")]
        {
            page().into_any()
        }
        #[cfg(not(feature = "ssr"))]
        {
            let _ = &page;
            let _ = window().location().reload();
            ().into_any()
        }
    }
}
