//! The access rules of `app::access` hold for everything the server registers: nothing without
//! a declared rule, anonymous → 401, wrong role → 403, right role → an answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use app::access::{server_fn_access, Access, ENDPOINTS, PAGES, SERVER_FNS};
use common::TestApp;
use gd_accounts::Role;
use sqlx::PgPool;

#[test]
fn every_registered_server_function_declares_its_access() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    let missing: Vec<&String> = registered
        .iter()
        .filter(|p| server_fn_access(p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "server functions without an access rule in app::access: {missing:?}"
    );
    let declared: BTreeSet<String> = SERVER_FNS.iter().map(|(p, _)| (*p).to_owned()).collect();
    let stale: Vec<&String> = declared.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "access rules for server functions that do not exist: {stale:?}"
    );
}

#[test]
fn every_page_route_is_listed() {
    // The server route `/{lang}/…` serves the English pages (`/en/…`); any other prefix is
    // a 404 (checked in `other_language_prefixes_are_not_pages`).
    let routes: BTreeSet<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|r| r.path().replace("/{lang}/", "/en/"))
        .collect();
    let listed: BTreeSet<String> = PAGES.iter().map(|(p, _)| (*p).to_owned()).collect();
    assert_eq!(routes, listed, "app::access::PAGES and the router disagree");
}

#[sqlx::test(migrations = false)]
async fn each_rule_is_enforced(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // Product pages need a product on sale.
    app.seed_demo().await;
    let nobody = app.browser();
    let clients = [
        (
            Role::Client,
            app.signed_in("client@example.de", &[Role::Client]).await,
        ),
        (
            Role::Admin,
            app.signed_in("admin@example.de", &[Role::Admin]).await,
        ),
        (
            Role::Finance,
            app.signed_in("finance@example.de", &[Role::Finance]).await,
        ),
    ];
    for (path, access) in SERVER_FNS {
        let anon = nobody
            .post(app.url(path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        match access {
            Access::Public => assert!(
                anon != 401 && anon != 403 && anon < 500,
                "{path}: anonymous got {anon}"
            ),
            Access::SignedIn | Access::Role(_) | Access::AnyRole(_) => {
                assert_eq!(anon, 401, "{path}: anonymous")
            }
            Access::Credential => panic!("{path}: server functions are called by browsers"),
        }
        // log_out ends the session it is called with; check it last, below.
        if *path == "/api/log_out" {
            continue;
        }
        for (role, client) in &clients {
            let status = client
                .post(app.url(path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            match access {
                Access::Role(needed) if *needed != *role => {
                    assert_eq!(status, 403, "{path} as {role:?}")
                }
                Access::AnyRole(roles) if !roles.contains(role) => {
                    assert_eq!(status, 403, "{path} as {role:?}")
                }
                _ => assert!(
                    status != 401 && status != 403 && status < 500,
                    "{path} as {role:?}: {status}"
                ),
            }
        }
    }
    let status = clients[0]
        .1
        .post(app.url("/api/log_out"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);

    for (path, access) in PAGES {
        let path = &if path.contains("/legal/") {
            path.replace("{slug}", "impressum")
        } else if path.contains("/blog/") {
            path.replace("{slug}", "reels-die-wachsen")
        } else {
            path.replace("{slug}", "instagram-follower")
                .replace("{id}", "new")
        };
        let status = nobody
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        let expected = if *access == Access::Public { 200 } else { 401 };
        assert_eq!(status, expected, "{path} for an anonymous visitor");
        if *access != Access::Public {
            for (role, client) in &clients[1..] {
                let status = client.get(app.url(path)).send().await.unwrap().status();
                let expected = match access {
                    Access::Role(needed) if *needed != *role => 403,
                    Access::AnyRole(roles) if !roles.contains(role) => 403,
                    // An order that is not theirs (here: none at all) is a 404 to anyone
                    // signed in; its owner's view is in the checkout tests.
                    _ if path.contains("/orders/") => 404,
                    _ => 200,
                };
                assert_eq!(status, expected, "{path} as {role:?}");
            }
        }
    }
    let product: String =
        sqlx::query_scalar("SELECT id::text FROM products WHERE slug = 'instagram-likes'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    for (method, path, access) in ENDPOINTS {
        let url = app.url(
            &path
                .replace("{provider}", "google")
                .replace("{id}", &product)
                .replace("{*key}", "catalog/00000000000000000000000000000000-400.jpg")
                .replace("{file}", "datev.csv"),
        );
        let send = |client: &reqwest::Client| match *method {
            "GET" => client.get(url.clone()).send(),
            "POST" => client.post(url.clone()).send(),
            other => panic!("{path}: unexpected method {other}"),
        };
        let anon = send(&nobody).await.unwrap().status().as_u16();
        match access {
            // Provider sign-in is not configured here: both send the visitor to the sign-in
            // page; a stored file that does not exist is a 404.
            Access::Public => assert!(
                anon != 401 && anon != 403 && anon < 500,
                "{method} {path}: anonymous got {anon}"
            ),
            Access::SignedIn | Access::Role(_) | Access::AnyRole(_) => {
                assert_eq!(anon, 401, "{method} {path}: anonymous")
            }
            // No signature, no key: refused whoever is signed in.
            Access::Credential => assert!(
                anon == 400 || anon == 401,
                "{method} {path}: without its credential got {anon}"
            ),
        }
        let allowed: &[Role] = match access {
            Access::Role(needed) => std::slice::from_ref(needed),
            Access::AnyRole(roles) => roles,
            _ => &[],
        };
        if !allowed.is_empty() {
            for (role, client) in &clients[1..] {
                let status = send(client).await.unwrap().status().as_u16();
                if allowed.contains(role) {
                    // The admin's empty post is a bad request, not a refusal.
                    assert!(
                        status != 401 && status != 403 && status < 500,
                        "{method} {path} as {role:?}: {status}"
                    );
                } else {
                    assert_eq!(status, 403, "{method} {path} as {role:?}");
                }
            }
        }
    }
}

#[sqlx::test(migrations = false)]
async fn the_header_shows_who_is_signed_in_and_their_portals(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let page = |client: reqwest::Client, path: &'static str| {
        let url = app.url(path);
        async move {
            client
                .get(url)
                .header("accept", "text/html")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    // The header's elements are always there; `hidden` decides what shows.
    let shown = |html: &str, testid: &str| {
        let at = html
            .find(&format!(r#"data-testid="{testid}""#))
            .unwrap_or_else(|| panic!("{testid} missing"));
        let tag = &html[html[..at].rfind('<').unwrap()..at];
        !tag.contains(" hidden ")
    };
    let anonymous = page(app.browser(), "/").await;
    assert!(shown(&anonymous, "login-link"));
    assert!(!anonymous.contains("gd-viewer"));
    assert!(!shown(&anonymous, "viewer-email"));
    assert!(!shown(&anonymous, "account-link"));
    assert!(!shown(&anonymous, "portal-link"));
    assert!(!shown(&anonymous, "admin-link"));

    let client = app
        .signed_in("client@example.de", &[gd_accounts::Role::Client])
        .await;
    let html = page(client, "/en").await;
    assert!(html.contains(r#"<meta name="gd-viewer" content="|client@example.de">"#));
    assert!(html.contains(">client@example.de</span>"));
    assert!(html.contains(r#"href="/en/account""#));
    assert!(shown(&html, "viewer-email"));
    assert!(shown(&html, "account-link"));
    assert!(shown(&html, "portal-link"));
    assert!(!shown(&html, "admin-link"));
    assert!(!shown(&html, "finance-link"));
    assert!(!shown(&html, "login-link"));

    let admin = app
        .signed_in(
            "admin@example.de",
            &[gd_accounts::Role::Admin, gd_accounts::Role::Finance],
        )
        .await;
    let html = page(admin, "/").await;
    assert!(html.contains(r#"content="admin,finance|admin@example.de""#));
    assert!(shown(&html, "admin-link"));
    assert!(html.contains(r#"href="/admin/users""#));
    assert!(shown(&html, "finance-link"));
    assert!(html.contains(r#"href="/finance""#));
}

#[sqlx::test(migrations = false)]
async fn other_language_prefixes_are_not_pages(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("gd-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("favicon.svg"), "<svg/>").unwrap();
    let root = site.display().to_string();
    let app = TestApp::spawn_custom(pool, &[], |o| o.site_root = root.into()).await;
    for path in [
        "/fr/login",
        "/de/account",
        "/english/signup",
        "/en/en/login",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
    }
    for path in ["/en/login", "/login", "/en/signup"] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    // Files at the root are still files.
    let res = app.get("/favicon.svg").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "<svg/>");
    std::fs::remove_dir_all(&site).unwrap();
}
