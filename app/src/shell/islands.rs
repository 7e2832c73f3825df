//! The storefront's pages (landing, catalog, products, cart, blog, legal pages) are **islands
//! pages**: the server renders them completely, and in the browser only their interactive
//! parts, the islands, come alive (the header's cart count, the configurator, the cart's
//! lines, the contact form). Their first load carries no router, no page views and no data
//! already shown in the HTML. Sign-in, account, admin and the outbox stay fully hydrated
//! single-page areas; the browser loads that code only on their pages.
//!
//! Moving between storefront pages happens without a full page load: `navigate.js` fetches
//! the next page's HTML, swaps the `<main>` and the page's head tags, and hydrates the new
//! islands (Leptos's own islands router was measured and set aside, see the README). A link
//! from one kind of page to the other is `rel="external"`: a full page load.

use leptos::prelude::*;

/// The tiny script that moves between storefront pages in the browser (about 1 kB brotli).
pub const NAVIGATE_JS: &str = include_str!("navigate.js");

/// Whether `path` (a path with an optional query or fragment) is a storefront page.
pub fn is_storefront(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = match path.strip_prefix("/en") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => path,
    };
    let page_under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
    };
    matches!(path, "" | "/" | "/shop" | "/cart" | "/blog")
        || page_under("/shop/")
        || page_under("/blog/")
        || page_under("/legal/")
}

/// `rel` for a link from a page of one kind (`here_storefront`) to `href`: `external` when
/// the link crosses between the storefront and the fully hydrated areas, so that neither
/// side's navigation tries to show a page of the other kind.
pub fn crossing(here_storefront: bool, href: &str) -> Option<&'static str> {
    (is_storefront(href) != here_storefront).then_some("external")
}

/// Whether the page being rendered is a storefront page.
pub fn here_is_storefront() -> bool {
    is_storefront(
        &leptos_router::hooks::use_location()
            .pathname
            .get_untracked(),
    )
}

#[cfg(not(feature = "ssr"))]
thread_local! {
    /// The browser's one cart count, shared by every island of the page and kept across
    /// storefront navigations (the header is not swapped).
    static CART_COUNT: std::cell::OnceCell<ArcRwSignal<u32>> = const { std::cell::OnceCell::new() };
}

/// The cart count the header shows. In the browser one signal for the whole page, started
/// from what the server rendered; on the server a fresh one per request.
fn cart_count(rendered: u32) -> ArcRwSignal<u32> {
    #[cfg(not(feature = "ssr"))]
    {
        CART_COUNT.with(|count| count.get_or_init(|| ArcRwSignal::new(rendered)).clone())
    }
    #[cfg(feature = "ssr")]
    {
        ArcRwSignal::new(rendered)
    }
}

/// Sets the header's cart count after the server answered a cart change.
pub fn set_cart_count(count: u32) {
    #[cfg(not(feature = "ssr"))]
    CART_COUNT.with(|signal| match signal.get() {
        Some(signal) => signal.set(count),
        None => {
            let _ = signal.set(ArcRwSignal::new(count));
        }
    });
    #[cfg(feature = "ssr")]
    let _ = count;
}

/// The number in the header's cart link, as an island (storefront pages).
#[island]
pub fn CartBadge(count: u32) -> impl IntoView {
    view! { <CartCountText count=count/> }
}

/// The number in the header's cart link. Fully hydrated pages use it directly: Leptos 0.8
/// cannot hydrate an island's wrapper element inside a fully hydrated page.
#[component]
pub fn CartCountText(count: u32) -> impl IntoView {
    let count = cart_count(count);
    view! { <span data-testid="cart-count">{move || count.get()}</span> }
}

/// Marks an islands page interactive once every island before it has hydrated (islands
/// hydrate in document order; this one is last, in the footer). Tests wait for the mark.
#[island]
pub fn HydrationMark() -> impl IntoView {
    mark_hydrated();
}

/// The same mark on a fully hydrated page: the layout is part of each (lazy) page view, so
/// the mark comes when the page itself has hydrated, not when the app's shell has.
#[component]
pub fn PageHydrationMark() -> impl IntoView {
    mark_hydrated();
}

fn mark_hydrated() {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storefront_pages_in_both_languages() {
        for path in [
            "/",
            "/en",
            "/en/",
            "/shop",
            "/en/shop?category=likes",
            "/shop/instagram-follower",
            "/cart",
            "/en/cart",
            "/blog",
            "/blog/reels-2026",
            "/legal/impressum",
            "/#contact",
            "/en#process",
        ] {
            assert!(is_storefront(path), "{path}");
        }
        for path in [
            "/login",
            "/en/login",
            "/account",
            "/account/two-factor",
            "/admin/catalog",
            "/dev/outbox",
            "/shop/a/b",
            "/legal",
            "/legal/",
            "/english",
            "/enshop",
        ] {
            assert!(!is_storefront(path), "{path}");
        }
    }

    #[test]
    fn only_crossing_links_are_external() {
        assert_eq!(crossing(true, "/shop"), None);
        assert_eq!(crossing(true, "/login"), Some("external"));
        assert_eq!(crossing(false, "/cart"), Some("external"));
        assert_eq!(crossing(false, "/en/account"), None);
    }
}
