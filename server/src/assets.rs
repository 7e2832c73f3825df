//! The compiled WASM, JS and CSS under `/pkg`: served precompressed (brotli, gzip) when the
//! build left `.br`/`.gz` files beside them, and cached for a year when their names carry a
//! content hash. Third-party scripts under `/vendor` (ECharts for the analytics page) the
//! same way: their names carry their version.

use axum::Router;
use http::header::{self, HeaderValue};
use leptos::config::LeptosOptions;
use std::path::Path;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub(crate) fn pkg_router<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let cache = if options.hash_files {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("no-cache")
    };
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            cache,
        ))
}

/// `/vendor`: third-party scripts copied from npm by `make node` (precompressed there), each
/// named with its version, so a new version is a new address and a year of caching is safe.
pub(crate) fn vendor_router<S: Clone + Send + Sync + 'static>(
    options: &LeptosOptions,
) -> Router<S> {
    let dir = Path::new(options.site_root.as_ref()).join("vendor");
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
}
