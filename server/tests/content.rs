//! Written pages: the legal pages every page links to, real 404s for drafts and unknown
//! addresses, and admins editing them (audited; nobody else may).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use gd_accounts::Role;
use serde_json::Value;
use sqlx::PgPool;

async fn html(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap().replace("<!>", ""))
}

#[sqlx::test(migrations = false)]
async fn every_page_links_the_legal_pages_and_they_open(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    for (page, prefix) in [("/", ""), ("/en/shop", "/en"), ("/login", "")] {
        let (_, body) = html(&app.client, &app, page).await;
        for slug in gd_content::LEGAL_PAGES {
            assert!(
                body.contains(&format!(r#"href="{prefix}/legal/{slug}""#)),
                "{page} lacks {slug}"
            );
        }
    }
    let (status, body) = html(&app.client, &app, "/legal/impressum").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<title>Impressum – Growthdesk</title>"),
        "{body}"
    );
    assert!(body.contains("<h2>Angaben gemäß § 5 DDG</h2>"));
    let (status, body) = html(&app.client, &app, "/en/legal/datenschutz").await;
    assert_eq!(status, 200);
    assert!(body.contains("Privacy policy"));
    // Anything that is not an address is simply not found (a NUL never reaches the database).
    let res = app
        .post_form_fetch("/api/legal_page", &[("slug", "impr\0essum")])
        .await;
    assert_eq!(res.status(), 404);
    for path in ["/legal/gibtsnicht", "/en/legal/gibtsnicht"] {
        assert_eq!(html(&app.client, &app, path).await.0, 404, "{path}");
    }
}

#[sqlx::test(migrations = false)]
async fn admins_edit_pages_and_nobody_else_may(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.signed_in("admin@example.de", &[Role::Admin]).await;
    let client = app.signed_in("client@example.de", &[Role::Client]).await;
    let form = [
        ("id", "new"),
        ("kind", "legal"),
        ("slug", "impressum"),
        ("title_de", "Impressum"),
        ("title_en", "Legal notice"),
        ("body_de", "## Angaben\n\nGrowthdesk GmbH"),
        ("body_en", "Growthdesk GmbH"),
        ("published", "on"),
    ];
    let res = client
        .post(app.url("/api/admin_save_page"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = admin
        .post(app.url("/api/admin_save_page"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let id: String = res.json().await.unwrap();
    let (status, body) = html(&app.client, &app, "/legal/impressum").await;
    assert_eq!(status, 200);
    assert!(body.contains("<h2>Angaben</h2>"));

    // The same address again is a conflict; bad input names its fields.
    let res = admin
        .post(app.url("/api/admin_save_page"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "Conflict": "slug_taken" }));
    let mut bad = form.to_vec();
    bad[2] = ("slug", "Kein Slug");
    let res = admin
        .post(app.url("/api/admin_save_page"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    // Unpublished, the page is gone from the site.
    let mut draft: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| *k != "published")
        .copied()
        .collect();
    draft[0] = ("id", id.as_str());
    let res = admin
        .post(app.url("/api/admin_save_page"))
        .form(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(html(&app.client, &app, "/legal/impressum").await.0, 404);
    let list: Value = admin
        .post(app.url("/api/admin_pages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["published"], false);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'page.save'")
            .await,
        2
    );
    // The edit form loads for admins only.
    let (status, _) = html(&admin, &app, &format!("/admin/pages/{id}")).await;
    assert_eq!(status, 200);
    let (status, _) = html(&client, &app, &format!("/admin/pages/{id}")).await;
    assert_eq!(status, 403);
    let (status, _) = html(
        &admin,
        &app,
        "/admin/pages/00000000-0000-7000-8000-000000000000",
    )
    .await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = false)]
async fn the_blog_lists_published_posts_and_opens_them(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let visitor = app.browser();
    let (status, page) = html(&visitor, &app, "/blog").await;
    assert_eq!(status, 200);
    let newest = page.find("Follower oder Reichweite").unwrap();
    let older = page.find("Reels, die wachsen").unwrap();
    assert!(newest < older, "newest first");
    assert!(page.contains("27.11.2026"));
    assert!(!page.contains("Hashtags 2027"), "a draft is not listed");
    assert!(page.contains(r#"href="/blog/reels-die-wachsen""#));

    let (status, page) = html(&visitor, &app, "/en/blog/reels-die-wachsen").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<title>Reels that grow: five rules from 200 campaigns – Growthdesk</title>")
    );
    assert!(
        page.contains("<h2>1. The first two seconds decide</h2>"),
        "{page}"
    );
    assert!(page.contains(r#""@type":"BlogPosting""#));
    assert!(page.contains(r#""datePublished":"2026-11-20T09:00:00+00:00""#));
    assert!(page.contains(&format!(
        r#"<link href="{}/en/blog/reels-die-wachsen" rel="canonical">"#,
        app.url("")
    )));

    for missing in [
        "/blog/entwurf-hashtags",
        "/blog/gibt-es-nicht",
        "/en/blog/Bad%20Slug",
    ] {
        let (status, _) = html(&visitor, &app, missing).await;
        assert_eq!(status, 404, "{missing}");
    }

    let sitemap = visitor
        .get(app.url("/sitemap.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sitemap.contains("/blog</loc>"));
    assert!(sitemap.contains("/en/blog/follower-oder-reichweite</loc>"));
    assert!(!sitemap.contains("entwurf-hashtags"));
}
