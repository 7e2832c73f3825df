//! The storefront as a visitor's browser sees it: server-rendered catalog and product pages
//! in both languages, real 404s, and the server functions the pages call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use sqlx::PgPool;

async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let res = app
        .client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    // Without the hydration markers between text nodes, as a reader sees the text.
    let status = res.status().as_u16();
    let text = res.text().await.unwrap().replace("<!>", "");
    (status, text)
}

/// The text at the start of the element with `data-testid="{testid}"`.
fn text_of<'a>(page: &'a str, testid: &str) -> &'a str {
    let at = page
        .find(&format!(r#"data-testid="{testid}""#))
        .unwrap_or_else(|| panic!("{testid} missing"));
    let start = at + page[at..].find('>').unwrap() + 1;
    let end = start + page[start..].find('<').unwrap();
    &page[start..end]
}

#[sqlx::test(migrations = false)]
async fn the_catalog_lists_what_is_on_sale(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let (status, page) = html(&app, "/shop").await;
    assert_eq!(status, 200);
    assert!(page.contains("Instagram-Follower"), "{page}");
    assert!(page.contains("ab 14,90 €"));
    assert!(page.contains("499,00 € / Monat"));
    assert!(page.contains(r#"href="/shop/starter-paket""#));
    assert!(!page.contains("TikTok"), "a draft is not listed");

    let (status, page) = html(&app, "/en/shop?category=likes").await;
    assert_eq!(status, 200);
    assert!(page.contains("Instagram likes"));
    assert!(page.contains("from €4.90"));
    assert!(!page.contains("Instagram followers"));

    let (_, page) = html(&app, "/shop?q=aufrufe").await;
    assert!(page.contains("Reel-Views"));
    assert!(!page.contains("Instagram-Likes"));
    let (status, page) = html(&app, "/shop?q=gibtsnicht").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"data-testid="shop-empty""#));
    // An unknown category filter shows everything rather than failing.
    let (status, page) = html(&app, "/shop?category=gibtsnicht").await;
    assert_eq!(status, 200);
    assert!(page.contains("Instagram-Follower"));
}

#[sqlx::test(migrations = false)]
async fn a_product_page_shows_its_configurator_and_price(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let (status, page) = html(&app, "/shop/instagram-follower").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<title>Instagram-Follower – Growthdesk</title>"),
        "{page}"
    );
    assert!(page.contains("1.000 Follower – 14,90 €"));
    assert!(page.contains("Nachfüll-Garantie (30 Tage)"));
    assert!(page.contains("Express (1–2 Tage) (+ 9,90 €)"));
    // The price of the default choice, rendered by the server.
    assert_eq!(text_of(&page, "live-price"), "14,90 €");
    assert!(page.contains("inkl. MwSt. (19 %)"));
    // Addresses and structured data for search engines and link previews.
    let base = &app.base;
    assert!(
        page.contains(&format!(
            r#"<link href="{base}/shop/instagram-follower" rel="canonical">"#
        )),
        "{page}"
    );
    assert!(page.contains(&format!(
        r#"<link href="{base}/en/shop/instagram-follower" hreflang="en" rel="alternate">"#
    )));
    assert!(page.contains(r#"<meta property="og:title" content="Instagram-Follower">"#));
    let json_ld = page
        .split(r#"<script type="application/ld+json">"#)
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(json_ld).unwrap();
    assert_eq!(data[0]["@type"], "Product");
    assert_eq!(data[0]["offers"]["lowPrice"], "14.90");
    assert_eq!(data[0]["offers"]["highPrice"], "99.90");
    assert_eq!(data[1]["itemListElement"][1]["name"], "Follower");
    assert_eq!(data[1]["itemListElement"].as_array().unwrap().len(), 3);
    // The description is Markdown made HTML.
    assert!(page.contains("<strong>Nachfüll-Garantie</strong>"));

    let (status, page) = html(&app, "/en/shop/starter-paket").await;
    assert_eq!(status, 200);
    assert!(page.contains("Starter bundle"));
    assert!(page.contains(r#"data-testid="bundle-parts""#));
    assert!(page.contains("3 × 500 likes"));
    assert!(page.contains("€24.90"));
}

#[sqlx::test(migrations = false)]
async fn unknown_and_unpublished_products_are_real_404s(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    for path in [
        "/shop/tiktok-follower",
        "/shop/gibtsnicht",
        "/en/shop/gibtsnicht",
    ] {
        let (status, page) = html(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            page.contains(r#"data-testid="load-error""#),
            "{path}: {page}"
        );
    }
    let res = app
        .post_form_fetch(
            "/api/shop_product",
            &[("lang", "de"), ("slug", "gibtsnicht")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!("NotFound"));
}

#[sqlx::test(migrations = false)]
async fn the_catalog_follows_an_admins_change_without_a_restart(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    assert_eq!(html(&app, "/shop/reel-views").await.0, 200);
    app.change_catalog("UPDATE products SET published = false WHERE slug = 'reel-views'")
        .await;
    for _ in 0..200 {
        if html(&app, "/shop/reel-views").await.0 == 404 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the unpublished product is still on sale after 10 s");
}

#[sqlx::test(migrations = false)]
async fn crawlers_get_a_sitemap_of_what_is_on_sale(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let res = app.get("/sitemap.xml").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    let xml = res.text().await.unwrap();
    let base = &app.base;
    assert!(
        xml.contains(&format!("<loc>{base}/shop/instagram-follower</loc>")),
        "{xml}"
    );
    assert!(xml.contains(&format!("<loc>{base}/en/shop/instagram-follower</loc>")));
    assert!(xml.contains(&format!(
        r#"<xhtml:link rel="alternate" hreflang="en" href="{base}/en/shop/starter-paket"/>"#
    )));
    assert!(xml.contains(&format!("<loc>{base}/</loc>")));
    assert!(!xml.contains("tiktok"), "drafts are not listed");
    // Landing page, shop, four legal pages, the blog and its two posts, five products; each
    // in both languages.
    assert_eq!(xml.matches("<url>").count(), 2 * (2 + 4 + 3 + 5));
    assert!(xml.contains(&format!("<loc>{base}/en/legal/impressum</loc>")));

    let robots = app.get("/robots.txt").await.text().await.unwrap();
    assert!(robots.contains(&format!("Sitemap: {base}/sitemap.xml")));
    assert!(robots.contains("Disallow: /account"));
}

#[sqlx::test(migrations = false)]
async fn a_handle_is_checked_before_it_goes_into_the_cart(pool: PgPool) {
    // Locally (no Instagram app): the format, and an answer that says nothing was looked up.
    let app = TestApp::spawn(pool.clone()).await;
    let res = app
        .post_form_fetch("/api/check_handle", &[("handle", "@Cafe.Kranz")])
        .await;
    assert_eq!(res.status(), 200);
    let answer: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"FormatOnly": {"handle": "cafe.kranz"}})
    );
    let res = app
        .post_form_fetch("/api/check_handle", &[("handle", "not a handle!")])
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains(r#""field":"target""#), "{body}");
    // Sixty checks an hour from one address (each may cost the agency's Instagram quota).
    for _ in 0..59 {
        let res = app
            .post_form_fetch("/api/check_handle", &[("handle", "cafe.kranz")])
            .await;
        assert_eq!(res.status(), 200);
    }
    let res = app
        .post_form_fetch("/api/check_handle", &[("handle", "cafe.kranz")])
        .await;
    assert_eq!(res.status(), 429);
    // (The next app shares the database, and with it the counters: start afresh.)
    sqlx::query("DELETE FROM rate_limits")
        .execute(&app.pool)
        .await
        .unwrap();

    // With the Graph API configured (here a local one speaking its protocol).
    let graph = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::query_param(
        "fields",
        "business_discovery.username(cafe.kranz){username,name,followers_count,media_count}",
    ))
    .respond_with(
        wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "business_discovery": {"username": "cafe.kranz", "name": "Café Kranz",
                                   "followers_count": 1240, "media_count": 87, "id": "9"},
            "id": "1"
        })),
    )
    .mount(&graph)
    .await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"error": {"message": "Invalid user id", "code": 110, "error_subcode": 2207013}}),
        ))
        .mount(&graph)
        .await;
    let graph_url = format!("{}/v23.0", graph.uri());
    let app = TestApp::spawn_with(
        pool,
        &[
            ("INSTAGRAM_DISCOVERY_USER_ID", "1"),
            ("INSTAGRAM_DISCOVERY_TOKEN", "EAAtoken"),
            ("INSTAGRAM_GRAPH_URL", &graph_url),
        ],
    )
    .await;
    let check = |handle: &'static str| {
        let app = &app;
        async move {
            app.post_form_fetch("/api/check_handle", &[("handle", handle)])
                .await
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        check("cafe.kranz").await,
        serde_json::json!({"Professional": {"handle": "cafe.kranz", "name": "Café Kranz", "followers": 1240}})
    );
    assert_eq!(
        check("nur.privat").await,
        serde_json::json!({"NotProfessional": {"handle": "nur.privat"}})
    );
}

/// Storefront pages are islands pages: complete HTML, a marker for the browser's `hydrate`,
/// the navigation script under the page's CSP nonce, and only the interactive parts as
/// islands with their props; the product's data is not serialized a second time. Other
/// areas are fully hydrated pages without the marker.
#[sqlx::test(migrations = false)]
async fn storefront_pages_are_islands_pages(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let res = app
        .client
        .get(app.url("/shop/instagram-follower"))
        .send()
        .await
        .unwrap();
    let nonce = common::csp_nonce(&res);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(r#"<meta name="gd-mode" content="islands">"#),
        "{page}"
    );
    assert!(page.contains(&format!(
        r#"<script type="module" nonce="{nonce}">// Moves between"#
    )));
    for island in ["CartBadge", "Configurator", "HydrationMark"] {
        assert!(
            page.contains(&format!(r#"<leptos-island data-component="{island}_"#)),
            "{island}"
        );
    }
    // The configurator's props carry the offer; the description is only HTML.
    assert!(page.contains("data-props="));
    assert_eq!(
        page.matches("Kein Passwort nötig").count(),
        1,
        "the description is in the HTML once, not again as data: {page}"
    );
    assert!(
        page.contains("__RESOLVED_RESOURCES=[];"),
        "no serialized resources"
    );
    assert!(page.starts_with(r#"<!DOCTYPE html><html lang="de"><head>"#));

    for path in ["/", "/en/shop", "/cart", "/blog", "/legal/impressum"] {
        let (status, page) = html(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(page.contains(r#"content="islands""#), "{path}");
        let lang = if path.starts_with("/en") { "en" } else { "de" };
        assert!(
            page.starts_with(&format!(r#"<!DOCTYPE html><html lang="{lang}"><head>"#)),
            "{path}"
        );
    }
    let (_, page) = html(&app, "/login").await;
    assert!(!page.contains(r#"name="gd-mode""#));
    // From the sign-in page (fully hydrated) to the shop is a whole page load, and back.
    assert!(page.contains(r#"href="/shop" rel="external""#), "{page}");
    let (_, page) = html(&app, "/shop").await;
    assert!(page.contains(r#"rel="external" href="/login""#), "{page}");
}

/// The page and the nonce its CSP header allows.
async fn page_with_nonce(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
) -> (String, Option<String>, String) {
    let res = client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let nonce = common::csp_nonce(&res);
    let cache = res
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned());
    (nonce, cache, res.text().await.unwrap())
}

/// Pages every anonymous visitor sees alike are rendered once per catalog version and then
/// served with a fresh nonce each time; a visitor with a cart (or signed in) always gets a
/// page of their own, and a catalog change renders anew.
#[sqlx::test(migrations = false)]
async fn anonymous_pages_are_rendered_once_per_catalog_version(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let visitor = app.browser();
    let path = "/shop/instagram-follower";
    let (first_nonce, cache, first) = page_with_nonce(&visitor, &app, path).await;
    assert_eq!(cache.as_deref(), Some("miss"));
    let (nonce, cache, again) = page_with_nonce(&visitor, &app, path).await;
    assert_eq!(cache.as_deref(), Some("hit"));
    assert_ne!(nonce, first_nonce, "every answer has its own nonce");
    assert!(again.contains(&format!(r#"<script type="module" nonce="{nonce}">"#)));
    assert!(!again.contains(&first_nonce));
    assert_eq!(again, first.replace(&first_nonce, &nonce));
    // Other pages of the storefront are not kept (their content is not the catalog's).
    let (_, cache, _) = page_with_nonce(&visitor, &app, "/blog").await;
    assert_eq!(cache, None);
    let (_, cache, _) = page_with_nonce(&visitor, &app, "/shop/instagram-follower?preview=1").await;
    assert_eq!(cache, None);

    // With something in the cart, the header differs: rendered for this visitor alone.
    let res = visitor
        .post(app.url("/api/cart_add"))
        .form(&[
            ("lang", "de"),
            ("product", "instagram-follower"),
            ("tier", "1k"),
            ("quantity", "1"),
            ("target", "@growth.desk"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (_, cache, page) = page_with_nonce(&visitor, &app, path).await;
    assert_eq!(cache, None);
    assert!(page.contains(r#"<meta name="gd-cart" content="1">"#));

    // A catalog change is a new version: rendered anew, with the change.
    let stranger = app.browser();
    app.change_catalog(
        "UPDATE products SET name_de = 'Echte Follower' WHERE slug = 'instagram-follower'",
    )
    .await;
    for _ in 0..200 {
        let (_, cache, page) = page_with_nonce(&stranger, &app, path).await;
        if page.contains("Echte Follower") {
            assert_eq!(cache.as_deref(), Some("miss"));
            let (_, cache, _) = page_with_nonce(&stranger, &app, path).await;
            assert_eq!(cache.as_deref(), Some("hit"));
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the renamed product still shows its old name after 10 s");
}
