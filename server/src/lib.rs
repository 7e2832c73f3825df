//! Growthdesk's HTTP server: server-side rendering and server functions (Leptos), static
//! assets, health, readiness and metrics — all in one axum router built by [`router`], which
//! the binary serves and the tests call directly.

mod analytics;
mod assets;
mod documents;
mod exports;
mod health;
mod media;
mod oauth;
mod observability;
mod page_cache;
mod payments;
mod proofs;
mod security;
mod seo;
mod test_gateway_page;
mod viewer;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::FromRef;
use axum::Router;
use gd_config::Config;
use gd_web::ServerContext;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::PgPool;
use tower::ServiceBuilder;

/// The process-wide Prometheus recorder (shared with the worker when both run in one process).
pub use gd_process::metrics_handle;
pub use page_cache::PageCache;
pub use security::CspNonce;

/// Everything a request handler may need, shared: axum clones a route's whole service (and so
/// its state) for every request, and the storefront's cached pages answer in a few
/// microseconds, so a clone must be one reference count, not a copy of every setting.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct AppParts {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// The local outbox folder, when mail goes there instead of SMTP.
    pub outbox_dir: Option<PathBuf>,
    /// The configured login providers (Google, Facebook, Instagram).
    pub login_providers: Arc<gd_oauth::LoginProviders>,
    /// The catalog in memory.
    pub catalog: gd_catalog::Cache,
    /// Where files go (product images now; invoices later).
    pub storage: Arc<dyn gd_storage::ObjectStore>,
    /// The pre-checkout Instagram account check.
    pub instagram: Arc<dyn gd_instagram::AccountCheck>,
    /// The rendered pages every anonymous visitor sees alike, per catalog version.
    pub pages: PageCache,
    /// Checkout sessions: Stripe, or the built-in test gateway.
    pub gateway: gd_payments::Gateway,
    /// Confirms a buyer's EU VAT id before a sale without VAT: VIES, or the demo register.
    pub vat_register: Arc<dyn gd_vies::VatRegister>,
    /// The Instagram app clients connect their accounts through, when one is configured.
    pub instagram_app: Option<Arc<gd_analytics::instagram::Instagram>>,
    /// New analytics numbers, announced by whichever process stored them.
    pub live: gd_analytics::live::Live,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The largest request body we read: every form and server function fits easily. The route
/// that takes image uploads has its own, larger limit (`media::UPLOAD_LIMIT_BYTES`).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// The complete application.
pub fn router(state: AppState) -> Router {
    let ctx = ServerContext {
        pool: state.pool.clone(),
        config: state.config.clone(),
        outbox_dir: state.outbox_dir.clone(),
        catalog: state.catalog.clone(),
        storage: state.storage.clone(),
        instagram: state.instagram.clone(),
        gateway: state.gateway.clone(),
        vat_register: state.vat_register.clone(),
    };
    // Runs at the start of every SSR render and server-function call. (Behind an `Arc`, as
    // the options below: the closures are cloned with their route for every request.)
    let ctx = Arc::new(ctx);
    let leptos_context = move || {
        provide_context((*ctx).clone());
        security::provide_nonce_from_request();
    };
    let options = Arc::new(state.leptos_options.clone());
    let routes = generate_route_list(app::App);

    Router::new()
        .merge(health::routes())
        .merge(oauth::routes())
        .merge(analytics::routes())
        .merge(seo::routes())
        .merge(media::routes())
        .merge(proofs::routes())
        .merge(documents::routes())
        .merge(exports::routes())
        .merge(payments::routes(state.config.payments.is_test_gateway()))
        .leptos_routes_with_context(&state, routes, leptos_context.clone(), {
            let options = options.clone();
            move || app::html_document((*options).clone())
        })
        .nest(
            &format!("/{}", options.site_pkg_dir),
            assets::pkg_router(&options),
        )
        .nest("/vendor", assets::vendor_router(&options))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(leptos_context, app::html_document))
        .layer(axum::middleware::from_fn(observability::status_from_error))
        .layer(axum::middleware::from_fn_with_state(
            (state.pages.clone(), state.catalog.clone()),
            page_cache::serve,
        ))
        .layer(axum::middleware::from_fn(observability::track_metrics))
        .layer(axum::middleware::from_fn_with_state(
            (state.pool.clone(), state.config.clone()),
            viewer::lookup,
        ))
        .layer(gd_web::session_layer(&state.pool, &state.config))
        .layer(axum::middleware::from_fn_with_state(
            state.config.clone(),
            security::same_origin_writes,
        ))
        // An oversized body is refused with 413 before anything reads it (uploads have their
        // own, larger limit); a slow client (or a stuck handler) holds a connection no longer
        // than the timeout.
        .layer(axum::middleware::from_fn(media::limit_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(state.config.request_timeout_secs),
        ))
        .layer(
            ServiceBuilder::new()
                .layer(observability::set_request_id())
                .layer(observability::trace_layer())
                .layer(observability::propagate_request_id())
                .layer(axum::middleware::from_fn_with_state(
                    state.config.clone(),
                    security::headers,
                )),
        )
        .with_state(state)
}
