//! Instagram analytics in the client portal (`/portal/analytics`: connect accounts, the live
//! dashboard) and the admins' overview (`/admin/analytics`: every client's accounts, follower
//! drops inside a delivery's guarantee). One lazy route of its own: neither its code nor
//! ECharts (loaded by the page, from our own assets) reaches any other page's first load.

pub mod api;
#[cfg(feature = "hydrate")]
mod browser;
#[cfg(feature = "ssr")]
mod charts;
mod format;
mod page;

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use leptos_router::{lazy_route, LazyRoute};

/// Where ECharts is served from (copied from npm by `make node`).
pub const ECHARTS_JS: &str = "/vendor/echarts-5.6.0.min.js";

pub struct AnalyticsPage;

#[lazy_route]
impl LazyRoute for AnalyticsPage {
    fn data() -> Self {
        AnalyticsPage
    }

    fn view(_this: Self) -> AnyView {
        let path = use_location().pathname.get_untracked();
        match path.strip_prefix("/en").unwrap_or(&path) {
            "/admin/analytics" => page::admin_view(),
            _ => page::portal_view(),
        }
    }
}
