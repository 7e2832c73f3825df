//! `/robots.txt` and `/sitemap.xml`, written from the catalog in memory and the published blog
//! posts: every public page in both languages, with the other language as `hreflang`
//! alternate.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/robots.txt", get(robots))
        .route("/sitemap.xml", get(sitemap))
}

/// Crawlers may read the public pages; accounts, admin, cart and the API are not for them.
async fn robots(State(state): State<AppState>) -> impl IntoResponse {
    let base = state.config.public_url.trim_end_matches('/');
    let body = format!(
        "User-agent: *\n\
         Disallow: /api/\nDisallow: /account\nDisallow: /en/account\n\
         Disallow: /admin/\nDisallow: /en/admin/\nDisallow: /cart\nDisallow: /en/cart\n\
         Disallow: /dev/\n\
         Sitemap: {base}/sitemap.xml\n"
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

async fn sitemap(State(state): State<AppState>) -> impl IntoResponse {
    let base = state.config.public_url.trim_end_matches('/').to_owned();
    let catalog = state.catalog.get();
    let mut pages: Vec<(String, Option<String>)> =
        vec![("".to_owned(), None), ("/shop".to_owned(), None)];
    pages.extend(
        gd_content::LEGAL_PAGES
            .iter()
            .map(|slug| (format!("/legal/{slug}"), None)),
    );
    pages.push(("/blog".to_owned(), None));
    // Blog posts come from the database (the catalog in memory does not hold them); without
    // it the sitemap still lists everything else.
    match gd_content::list_published(&state.pool, gd_content::PageKind::Blog).await {
        Ok(posts) => pages.extend(posts.into_iter().map(|p| {
            (
                format!("/blog/{}", p.slug),
                Some(p.updated_at.format("%Y-%m-%d").to_string()),
            )
        })),
        Err(e) => tracing::error!(error = %e, "sitemap: cannot list the blog posts"),
    }
    for p in catalog.on_sale() {
        pages.push((
            format!("/shop/{}", p.slug),
            Some(p.updated_at.format("%Y-%m-%d").to_string()),
        ));
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
         xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for (path, modified) in &pages {
        let de = format!("{base}{}", if path.is_empty() { "/" } else { path });
        let en = format!("{base}/en{path}");
        for loc in [&de, &en] {
            xml.push_str("  <url>\n");
            xml.push_str(&format!("    <loc>{}</loc>\n", escape(loc)));
            if let Some(day) = modified {
                xml.push_str(&format!("    <lastmod>{day}</lastmod>\n"));
            }
            xml.push_str(&format!(
                "    <xhtml:link rel=\"alternate\" hreflang=\"de\" href=\"{}\"/>\n",
                escape(&de)
            ));
            xml.push_str(&format!(
                "    <xhtml:link rel=\"alternate\" hreflang=\"en\" href=\"{}\"/>\n",
                escape(&en)
            ));
            xml.push_str("  </url>\n");
        }
    }
    xml.push_str("</urlset>\n");
    (
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=600"),
        ],
        xml,
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
