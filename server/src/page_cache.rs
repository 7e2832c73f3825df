//! The rendered HTML of the pages every visitor sees alike, kept per catalog version.
//!
//! The landing page, the catalog and the product pages depend on nothing but the path, the
//! language and the catalog, as long as the visitor is not signed in and has an empty cart
//! (the header shows neither). Their first render is kept; the next anonymous request gets
//! the same bytes with its own CSP nonce put in, without rendering. A catalog change (the
//! `NOTIFY` that reloads the in-memory catalog, in every server process) empties the store,
//! because a new catalog is a new version. Anything else renders as before: signed-in
//! visitors, a cart with items, the admins' preview, other query parameters, answers that are
//! not a plain 200 page or that set a cookie.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use gd_catalog::Catalog;
use http::{header, HeaderValue, Method, StatusCode};

use crate::security::CspNonce;

/// At most this many pages are kept (a search with a new word is a new page).
const CAPACITY: usize = 512;
/// A kept page is at most this large.
const MAX_PAGE_BYTES: usize = 512 * 1024;
/// Tells operators (and tests) whether a page came from the store (`hit`) or was rendered to
/// be kept (`miss`); pages that are never kept have none.
const X_CACHE: http::HeaderName = http::HeaderName::from_static("x-cache");

/// The kept pages of one catalog version.
#[derive(Clone, Default)]
pub struct PageCache(Arc<Mutex<Pages>>);

#[derive(Default)]
struct Pages {
    /// The catalog the pages were rendered from; held so that its address cannot be reused.
    catalog: Option<Arc<Catalog>>,
    pages: HashMap<String, Arc<Page>>,
}

/// A rendered page, cut where its render's nonce stood.
struct Page {
    content_type: HeaderValue,
    pieces: Vec<Bytes>,
    len: usize,
}

impl Page {
    fn cut(html: &Bytes, nonce: &str, content_type: HeaderValue) -> Self {
        let mut pieces = Vec::new();
        let mut start = 0;
        for at in find_all(html, nonce.as_bytes()) {
            pieces.push(html.slice(start..at));
            start = at + nonce.len();
        }
        pieces.push(html.slice(start..));
        Self {
            content_type,
            len: html.len(),
            pieces,
        }
    }

    /// The page with `nonce` where the render's stood.
    fn with_nonce(&self, nonce: &str) -> Bytes {
        let mut out = Vec::with_capacity(self.len);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(nonce.as_bytes());
            }
            out.extend_from_slice(piece);
        }
        Bytes::from(out)
    }
}

/// Every start of `needle` in `haystack` (non-overlapping).
fn find_all<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let mut from = 0;
    std::iter::from_fn(move || {
        if needle.is_empty() || from >= haystack.len() {
            return None;
        }
        let at = haystack[from..]
            .windows(needle.len())
            .position(|w| w == needle)?
            + from;
        from = at + needle.len();
        Some(at)
    })
}

impl PageCache {
    fn get(&self, key: &str, catalog: &Arc<Catalog>) -> Option<Arc<Page>> {
        let mut pages = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !pages
            .catalog
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, catalog))
        {
            pages.pages.clear();
            pages.catalog = Some(catalog.clone());
            return None;
        }
        pages.pages.get(key).cloned()
    }

    fn put(&self, key: String, catalog: &Arc<Catalog>, page: Page) {
        let mut pages = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Rendered from a catalog that has since been replaced: not worth keeping.
        if !pages
            .catalog
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, catalog))
        {
            return;
        }
        if pages.pages.len() < CAPACITY || pages.pages.contains_key(&key) {
            pages.pages.insert(key, Arc::new(page));
        }
    }
}

/// The key of a page every anonymous visitor sees alike, or `None`.
fn shared_page(path: &str, query: Option<&str>) -> Option<String> {
    let bare = match path.strip_prefix("/en") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => path,
    };
    let shared = match bare {
        "" | "/" => query.is_none(),
        // The catalog's filter and search; nothing else changes what it shows.
        "/shop" => query.is_none_or(|q| {
            q.len() <= 200
                && q.split('&')
                    .all(|pair| pair.starts_with("category=") || pair.starts_with("q="))
        }),
        _ => {
            query.is_none()
                && bare
                    .strip_prefix("/shop/")
                    .is_some_and(|slug| !slug.is_empty() && !slug.contains('/'))
        }
    };
    shared.then(|| match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    })
}

/// Serves a kept page, or renders and keeps it. Runs inside the viewer lookup, which tells
/// whether the visitor is signed in or has a cart.
/// (Its state is small on purpose: extracting the whole `AppState` clones it per request.)
pub(crate) async fn serve(
    State((pages, catalog)): State<(PageCache, gd_catalog::Cache)>,
    req: Request,
    next: Next,
) -> Response {
    let anonymous = req.extensions().get::<gd_web::RequestUser>().is_none()
        && req
            .extensions()
            .get::<gd_web::RequestCart>()
            .is_none_or(|cart| cart.0 == 0);
    let nonce = req.extensions().get::<CspNonce>().map(|n| n.0.clone());
    let key = (req.method() == Method::GET && anonymous)
        .then(|| shared_page(req.uri().path(), req.uri().query()))
        .flatten();
    let (Some(key), Some(nonce)) = (key, nonce) else {
        return next.run(req).await;
    };
    let catalog = catalog.get();
    if let Some(page) = pages.get(&key, &catalog) {
        metrics::counter!("page_cache_total", "result" => "hit").increment(1);
        let mut res = Response::new(Body::from(page.with_nonce(&nonce)));
        res.headers_mut()
            .insert(header::CONTENT_TYPE, page.content_type.clone());
        res.headers_mut()
            .insert(X_CACHE, HeaderValue::from_static("hit"));
        return res;
    }
    metrics::counter!("page_cache_total", "result" => "miss").increment(1);
    let res = next.run(req).await;
    let keep = res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if !keep {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    parts
        .headers
        .insert(X_CACHE, HeaderValue::from_static("miss"));
    let Ok(html) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        // Too large to keep (or broken off): it cannot be sent whole either.
        return Response::from_parts(parts, Body::empty());
    };
    if let Some(content_type) = parts.headers.get(header::CONTENT_TYPE) {
        pages.put(
            key,
            &catalog,
            Page::cut(&html, &nonce, content_type.clone()),
        );
    }
    Response::from_parts(parts, Body::from(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_every_visitor_sees_alike() {
        for (path, query) in [
            ("/", None),
            ("/en", None),
            ("/shop", None),
            ("/en/shop", Some("category=likes")),
            ("/shop", Some("q=follower&category=likes")),
            ("/shop/instagram-follower", None),
            ("/en/shop/instagram-follower", None),
        ] {
            assert!(shared_page(path, query).is_some(), "{path} {query:?}");
        }
        for (path, query) in [
            ("/", Some("lead=sent")),
            ("/shop", Some("preview=1")),
            ("/shop/instagram-follower", Some("preview=1")),
            ("/shop/a/b", None),
            ("/cart", None),
            ("/blog", None),
            ("/legal/impressum", None),
            ("/login", None),
            ("/account", None),
            ("/english", None),
        ] {
            assert!(shared_page(path, query).is_none(), "{path} {query:?}");
        }
        assert_eq!(
            shared_page("/shop", Some("q=a")).as_deref(),
            Some("/shop?q=a")
        );
    }

    #[test]
    fn the_nonce_is_replaced_everywhere() {
        let html =
            Bytes::from_static(b"<script nonce=\"abc\">x</script><link crossorigin=\"abc\">abc");
        let page = Page::cut(&html, "abc", HeaderValue::from_static("text/html"));
        assert_eq!(
            &page.with_nonce("XYZW")[..],
            b"<script nonce=\"XYZW\">x</script><link crossorigin=\"XYZW\">XYZW"
        );
        let plain = Page::cut(
            &Bytes::from_static(b"no nonce"),
            "abc",
            HeaderValue::from_static("text/html"),
        );
        assert_eq!(&plain.with_nonce("XYZW")[..], b"no nonce");
    }
}
