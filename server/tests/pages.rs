//! Pages, headers, health and metrics as a browser or a monitoring system sees them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{lead_form, TestApp};
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn the_landing_page_renders_in_german_and_english(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let de = app.get("/").await;
    assert_eq!(de.status(), 200);
    let html = de.text().await.unwrap();
    assert!(html.contains("lang=\"de\""));
    assert!(html.contains("Sprechen Sie mit uns"));
    assert!(
        html.contains("action=\"/api/submit_lead\""),
        "the form posts without JavaScript"
    );
    assert!(html.contains("href=\"/en\""), "language switch");

    let en = app.get("/en").await.text().await.unwrap();
    assert!(en.contains("lang=\"en\""));
    assert!(en.contains("Talk to us"));
}

#[sqlx::test(migrations = false)]
async fn unknown_pages_are_real_404s(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app.get("/does-not-exist").await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Seite nicht gefunden"));
    let res = app.get("/en/nothing-here").await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

#[sqlx::test(migrations = false)]
async fn every_response_carries_the_security_headers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in ["/", "/healthz", "/does-not-exist"] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("'wasm-unsafe-eval'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS over http"
        );
        assert!(h.get("x-request-id").is_some());
    }
}

/// GET as a browser loading a page.
async fn page(client: &reqwest::Client, url: String) -> reqwest::Response {
    client
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn only_public_pages_and_assets_may_be_stored(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cache = |res: &reqwest::Response| {
        res.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    for path in ["/", "/en"] {
        let res = page(&app.client, app.url(path)).await;
        assert_eq!(cache(&res).as_deref(), Some("no-cache"), "{path}");
    }
    for path in [
        "/login",
        "/account",
        "/admin/users",
        "/does-not-exist",
        "/healthz",
    ] {
        let res = page(&app.client, app.url(path)).await;
        assert_eq!(cache(&res).as_deref(), Some("no-store"), "{path}");
    }
    let res = app.post_form_fetch("/api/login_providers", &[]).await;
    assert_eq!(cache(&res).as_deref(), Some("no-store"), "server functions");
    // The landing page of a signed-in person carries their address: never stored.
    let anna = app.signed_in("anna@example.de", &[]).await;
    let res = page(&anna, app.url("/")).await;
    assert_eq!(cache(&res).as_deref(), Some("no-store"));
}

#[sqlx::test(migrations = false)]
async fn pages_with_a_token_in_the_url_send_no_referrer(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in [
        "/verify-email?token=abc",
        "/en/reset-password?token=abc",
        "/auth/google/callback?code=abc&state=xyz",
    ] {
        let res = page(&app.client, app.url(path)).await;
        assert_eq!(res.headers()["referrer-policy"], "no-referrer", "{path}");
    }
    let res = page(&app.client, app.url("/login")).await;
    assert_eq!(
        res.headers()["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
}

#[sqlx::test(migrations = false)]
async fn inline_scripts_carry_the_responses_nonce(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app.get("/").await;
    let nonce = common::csp_nonce(&res);
    let html = res.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert!(
        html.matches(&format!("nonce=\"{nonce}\"")).count() >= scripts,
        "every script has the nonce"
    );
    // A new request, a new nonce (the page may come from the page cache: the nonce is new).
    let again = app.get("/").await;
    let other = common::csp_nonce(&again);
    assert_ne!(other, nonce);
    let html = again.text().await.unwrap();
    assert!(html.matches(&format!("nonce=\"{other}\"")).count() >= scripts);
}

#[sqlx::test(migrations = false)]
async fn https_sites_send_hsts(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        &[
            ("PUBLIC_URL", "https://growthdesk.example"),
            ("METRICS_TOKEN", "scraper-token"),
            (
                "TWO_FACTOR_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            (
                "ANALYTICS_TOKEN_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            ("STRIPE_SECRET_KEY", "sk_test_https"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_https"),
        ],
    )
    .await;
    let res = app.get("/healthz").await;
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
}

#[sqlx::test(migrations = false)]
async fn health_readiness_and_metrics(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    assert_eq!(app.get("/healthz").await.text().await.unwrap(), "ok");
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.get("/").await;
    app.post_form_fetch("/api/submit_lead", &lead_form("m@example.de", "Metriken"))
        .await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("http_requests_total{"), "{metrics}");
    assert!(metrics.contains("route=\"/\""), "{metrics}");
    assert!(
        metrics.contains("http_request_duration_seconds_bucket{"),
        "{metrics}"
    );
    assert!(
        metrics.contains("jobs{queue=\"growthdesk::lead_received\",status=\"Pending\"} 1"),
        "{metrics}"
    );

    // Not ready when the database is gone.
    pool.close().await;
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn metrics_can_require_a_token(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("METRICS_TOKEN", "s3cret-scraper-token")]).await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let ok = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("s3cret-scraper-token")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("http_requests_total"));
}

#[sqlx::test(migrations = false)]
async fn the_outbox_page_lists_local_mail(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let mailer = gd_mail::from_config(&app.config).unwrap();
    mailer
        .send(&gd_mail::Mail {
            to: "anna@example.de".into(),
            subject: "Ihre Anfrage bei Growthdesk".into(),
            body: "Hallo Anna".into(),
            ..gd_mail::Mail::default()
        })
        .await
        .unwrap();
    let page = app.get("/dev/outbox").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("local outbox"));
    assert!(html.contains("Ihre Anfrage bei Growthdesk"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn the_outbox_does_not_exist_with_smtp_or_in_production(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), &[("SMTP_HOST", "127.0.0.1")]).await;
    assert_eq!(app.get("/dev/outbox").await.status(), 404);
    let res = app.post_form_fetch("/api/list_outbox", &[]).await;
    assert_eq!(res.status(), 404);

    let app = TestApp::spawn_with(
        pool.clone(),
        &[
            ("PUBLIC_URL", "https://growthdesk.example"),
            ("METRICS_TOKEN", "scraper-token"),
            (
                "TWO_FACTOR_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            (
                "ANALYTICS_TOKEN_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            ("STRIPE_SECRET_KEY", "sk_test_https"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_https"),
        ],
    )
    .await;
    assert_eq!(app.get("/dev/outbox").await.status(), 404);

    // Listening beyond loopback, or switched off, it is gone too.
    for vars in [
        [("LISTEN_ADDR", "0.0.0.0:3000")],
        [("OUTBOX_PAGE", "false")],
    ] {
        let app = TestApp::spawn_with(pool.clone(), &vars).await;
        let res = app.post_form_fetch("/api/list_outbox", &[]).await;
        assert_eq!(res.status(), 404, "{vars:?}");
    }
}

#[sqlx::test(migrations = false)]
async fn assets_are_served_precompressed_and_cached_for_a_year(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("gd-site-{}", uuid::Uuid::new_v4()));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("growthdesk.abc.js"), "console.log('plain')").unwrap();
    std::fs::write(pkg.join("growthdesk.abc.js.br"), b"brotli-bytes").unwrap();
    std::fs::write(pkg.join("growthdesk.abc.js.gz"), b"gzip-bytes").unwrap();
    let root = site.display().to_string();
    let app = TestApp::spawn_custom(pool, &[], |o| {
        o.site_root = root.into();
        o.hash_files = true;
    })
    .await;

    let get = |encoding: &'static str| {
        app.client
            .get(app.url("/pkg/growthdesk.abc.js"))
            .header("accept-encoding", encoding)
            .send()
    };
    let br = get("gzip, deflate, br").await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(
        br.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(br.bytes().await.unwrap().as_ref(), b"brotli-bytes");
    let gz = get("gzip").await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let plain = get("identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), "console.log('plain')");
    assert_eq!(app.get("/pkg/missing.js").await.status(), 404);
    std::fs::remove_dir_all(&site).unwrap();
}

/// Leptos.toml (run time) and Cargo.toml's cargo-leptos section (build time) must name the
/// same site, or the server looks for assets the build never wrote.
#[test]
fn leptos_settings_agree() {
    let cargo: toml::Table = std::fs::read_to_string("../Cargo.toml")
        .unwrap()
        .parse()
        .unwrap();
    let leptos: toml::Table = std::fs::read_to_string("../Leptos.toml")
        .unwrap()
        .parse()
        .unwrap();
    let build = &cargo["workspace"]["metadata"]["leptos"].as_array().unwrap()[0];
    let run = &leptos["package"]["metadata"]["leptos"];
    for key in ["output-name", "site-root", "site-pkg-dir", "hash-files"] {
        assert_eq!(
            build.get(key),
            run.get(key),
            "{key} differs between Cargo.toml and Leptos.toml"
        );
    }
}
