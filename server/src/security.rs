//! Security headers on every response, and the per-request CSP nonce that lets Leptos's
//! hydration script run without allowing any other inline script.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use gd_config::Config;
use http::header::{self, HeaderValue};
use leptos::prelude::*;

/// Marks an answer rendered for a signed-in user (set by the page middleware that found
/// them), so that it is never stored.
#[derive(Debug, Clone, Copy)]
pub struct SignedInAnswer;

/// A random value, new for every request, that inline scripts must carry.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

impl CspNonce {
    fn random() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }
}

/// Hands the request's nonce to Leptos, which puts it on the scripts it renders.
pub(crate) fn provide_nonce_from_request() {
    if let Some(parts) = use_context::<http::request::Parts>() {
        if let Some(nonce) = parts.extensions.get::<CspNonce>() {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0.clone()));
        }
    }
}

/// The Content-Security-Policy for a given nonce. WASM needs `'wasm-unsafe-eval'`; everything
/// else comes from our own origin, but for the pictures of clients' Instagram posts (the
/// analytics page shows them from Instagram's image servers).
/// Forms may post to our own origin, which redirects sign-in buttons to the login providers'
/// authorization pages (`form_targets`, space-separated origins; browsers check the redirect
/// against `form-action` too).
pub fn content_security_policy(nonce: &str, form_targets: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'; \
         style-src 'self'; img-src 'self' data: https://*.cdninstagram.com https://*.fbcdn.net; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'{form_targets}; \
         frame-ancestors 'none'"
    )
}

/// Cross-site request forgery guard: a request that changes something (anything but GET,
/// HEAD, OPTIONS) must come from our own pages. Browsers say where a request comes from in
/// `Origin` (and `Sec-Fetch-Site`); a request that says neither is refused too.
pub(crate) async fn same_origin_writes(
    State(config): State<Arc<Config>>,
    req: Request,
    next: Next,
) -> Response {
    use axum::response::IntoResponse;
    let safe = matches!(
        req.method(),
        &http::Method::GET | &http::Method::HEAD | &http::Method::OPTIONS
    );
    if safe || app::access::outside_same_origin_guard(req.uri().path()) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let allowed = match (origin, fetch_site) {
        (Some(origin), _) => origin == config.public_origin(),
        (None, Some(site)) => site == "same-origin" || site == "none",
        (None, None) => false,
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(?origin, ?fetch_site, path = %req.uri().path(), "cross-site write refused");
        (http::StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
    }
}

pub(crate) async fn headers(
    State(config): State<Arc<Config>>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = CspNonce::random();
    req.extensions_mut().insert(nonce.clone());
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    let signed_in = res.extensions().get::<SignedInAnswer>().is_some();
    let h = res.headers_mut();
    let form_targets: String = config
        .login_provider_origins()
        .into_iter()
        .chain(config.payment_page_origin())
        .map(|o| format!(" {o}"))
        .collect();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce.0, &form_targets)) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let referrer = if app::access::carries_token_in_url(&path) {
        "no-referrer"
    } else {
        "strict-origin-when-cross-origin"
    };
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    // Hashed assets set their own (a year, immutable). Public pages for visitors may be kept
    // but are revalidated; everything else (signed-in pages, server functions, errors) is
    // never stored.
    if !h.contains_key(header::CACHE_CONTROL) {
        let cacheable = !signed_in && app::access::CACHEABLE_PAGES.contains(&path.as_str());
        let value = if cacheable { "no-cache" } else { "no-store" };
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    h.insert(
        http::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        http::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if config.is_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    res
}
