//! The cart over HTTP, as the pages use it: a guest's cart in their session, checked input
//! (unknown products, tampered choices, bad targets, other people's lines) refused with a
//! clear 4xx and nothing changed, the header's count, and the cart following the guest into
//! their account at sign-in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{post, TestApp, PASSWORD};
use sqlx::PgPool;

const FOLLOWERS: &[(&str, &str)] = &[
    ("lang", "de"),
    ("product", "instagram-follower"),
    ("tier", "5k"),
    ("addons[]", "refill"),
    ("speed", "express"),
    ("quantity", "2"),
    ("target", "@Growth.Desk"),
];

#[sqlx::test(migrations = false)]
async fn a_guest_fills_a_cart_priced_by_the_server(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let guest = app.browser();
    let (status, cart) = post(&guest, &app, "/api/current_cart", &[("lang", "de")]).await;
    assert_eq!(status, 200);
    assert_eq!(cart["count"], 0);
    assert_eq!(
        app.count("SELECT count(*) FROM carts").await,
        0,
        "looking makes no cart"
    );

    // A tampered price field is ignored: the server prices from the catalog.
    let mut form = FOLLOWERS.to_vec();
    form.push(("price", "1"));
    let (status, cart) = post(&guest, &app, "/api/cart_add", &form).await;
    assert_eq!(status, 200, "{cart}");
    assert_eq!(cart["count"], 2);
    let line = &cart["lines"][0];
    assert_eq!(line["target"], "@growth.desk");
    assert_eq!(line["unit"], 5_990 + 490 + 990);
    assert_eq!(line["total"], 2 * (5_990 + 490 + 990));
    assert_eq!(
        line["details"],
        "5.000 Follower · Nachfüll-Garantie (30 Tage) · Express (1–2 Tage)"
    );
    assert_eq!(cart["periods"][0]["total"], 2 * (5_990 + 490 + 990));
    assert_eq!(cart["periods"][0]["rates"][0]["rate"], 1900);

    // The header of the next page shows the count.
    let page = guest
        .get(app.url("/shop"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<meta name="gd-cart" content="2">"#),
        "{page}"
    );

    let id = line["id"].as_str().unwrap().to_owned();
    let (status, cart) = post(
        &guest,
        &app,
        "/api/cart_set_quantity",
        &[("line", &id), ("quantity", "5")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(cart["count"], 5);
    let (status, cart) = post(&guest, &app, "/api/cart_remove", &[("line", &id)]).await;
    assert_eq!(status, 200);
    assert_eq!(cart["count"], 0);
}

#[sqlx::test(migrations = false)]
async fn bad_input_is_a_clear_4xx_and_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let guest = app.browser();
    let with = |key: &'static str, value: &'static str| {
        let mut form: Vec<(&str, &str)> = FOLLOWERS
            .iter()
            .filter(|(k, _)| *k != key)
            .copied()
            .collect();
        form.push((key, value));
        form
    };
    for (form, field) in [
        (with("tier", "7k"), "tier"),
        (with("addons[]", "gold"), "addons"),
        (with("speed", "warp"), "speed"),
        (with("quantity", "-1"), "quantity"),
        (with("quantity", "0"), "quantity"),
        (with("quantity", "101"), "quantity"),
        (with("target", "kein handle!"), "target"),
    ] {
        let (status, body) = post(&guest, &app, "/api/cart_add", &form).await;
        assert_eq!(status, 422, "{field}: {body}");
        assert_eq!(body["Validation"]["issues"][0]["field"], field, "{body}");
    }
    for product in ["tiktok-follower", "gibtsnicht"] {
        let (status, _) = post(&guest, &app, "/api/cart_add", &with("product", product)).await;
        assert_eq!(status, 404, "{product}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM carts").await,
        0,
        "bad input leaves no cart"
    );

    // Someone else's line is not found, whatever its id.
    let other = app.browser();
    let (_, cart) = post(&other, &app, "/api/cart_add", FOLLOWERS).await;
    let theirs = cart["lines"][0]["id"].as_str().unwrap().to_owned();
    post(&guest, &app, "/api/cart_add", FOLLOWERS).await;
    for (path, form) in [
        ("/api/cart_remove", vec![("line", theirs.as_str())]),
        (
            "/api/cart_set_quantity",
            vec![("line", theirs.as_str()), ("quantity", "3")],
        ),
        ("/api/cart_remove", vec![("line", "not-a-uuid")]),
    ] {
        let (status, _) = post(&guest, &app, path, &form).await;
        assert_eq!(status, 404, "{path} {form:?}");
    }
    let (_, cart) = post(&other, &app, "/api/current_cart", &[]).await;
    assert_eq!(cart["count"], 2, "the other cart is untouched");
}

#[sqlx::test(migrations = false)]
async fn the_cart_follows_the_guest_into_their_account(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    // Anna has an account with something in its cart already.
    let anna = app
        .signed_in("anna@example.de", &[gd_accounts::Role::Client])
        .await;
    let likes = [
        ("product", "instagram-likes"),
        ("tier", "1k"),
        ("quantity", "1"),
        ("target", "https://www.instagram.com/p/C8abc12345/"),
    ];
    let (status, _) = post(&anna, &app, "/api/cart_add", &likes).await;
    assert_eq!(status, 200);

    // On another device, not signed in, she fills a guest cart, then signs in.
    let device = app.browser();
    post(&device, &app, "/api/cart_add", FOLLOWERS).await;
    let (status, _) = post(
        &device,
        &app,
        "/api/log_in",
        &[("email", "anna@example.de"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(status, 200);
    // The first page after signing in merges; the next counts the account's cart.
    for _ in 0..2 {
        let page = device
            .get(app.url("/shop"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(r#"<meta name="gd-cart" content="3">"#),
            "{page}"
        );
    }
    let (_, cart) = post(&device, &app, "/api/current_cart", &[("lang", "en")]).await;
    assert_eq!(cart["count"], 3, "{cart}");
    assert_eq!(cart["lines"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.count("SELECT count(*) FROM carts WHERE user_id IS NULL")
            .await,
        0
    );
    // Both of her browsers see the one cart.
    let (_, cart) = post(&anna, &app, "/api/current_cart", &[]).await;
    assert_eq!(cart["count"], 3);
}
