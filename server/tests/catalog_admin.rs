//! An admin builds a product over HTTP as the admin pages do: texts, a price, an image upload
//! (multipart, real bytes), publication; the storefront, its link previews and the sitemap
//! follow, the image is served from the storage with a long cache lifetime, and everybody
//! else is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;
use std::time::Duration;

use common::TestApp;
use gd_accounts::Role;
use image::{ImageFormat, Rgb, RgbImage};
use sqlx::PgPool;

fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn upload_form(bytes: Vec<u8>, lang: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .part(
            "image",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("foto.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        )
        .text("alt_de", "Reel auf einem Handy")
        .text("alt_en", "A reel on a phone")
        .text("lang", lang.to_owned())
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.text().await.unwrap().replace("<!>", ""),
    )
}

/// Waits until the server's catalog (reloaded on `NOTIFY`) shows `path` with `status`.
async fn until(app: &TestApp, path: &str, status: u16) -> String {
    let visitor = app.browser();
    for _ in 0..100 {
        let (got, body) = page(&visitor, app, path).await;
        if got == status {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never answered {status}");
}

#[sqlx::test(migrations = false)]
async fn an_admin_builds_prices_illustrates_and_publishes_a_product(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    let call = |path: &'static str, form: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        let url = app.url(path);
        async move { admin.post(url).form(&form).send().await.unwrap() }
    };

    // Bad input: 422 with the fields, nothing made.
    let res = call(
        "/api/admin_save_product",
        vec![("slug", "Reel Likes".into()), ("kind", "service".into())],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains(r#""field":"slug""#), "{body}");

    let res = call(
        "/api/admin_save_product",
        vec![
            ("slug", "reel-likes".into()),
            ("kind", "service".into()),
            ("category", "likes".into()),
            ("target", "post".into()),
            ("name_de", "Reel-Likes".into()),
            ("name_en", "Reel likes".into()),
            ("summary_de", "Likes für Ihr Reel".into()),
            ("summary_en", "Likes for your reel".into()),
            ("unit_de", "Likes".into()),
            ("unit_en", "likes".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let id: String = res.json().await.unwrap();
    // The same address again is a conflict.
    let res = call(
        "/api/admin_save_product",
        vec![
            ("slug", "reel-likes".into()),
            ("kind", "service".into()),
            ("target", "post".into()),
            ("name_de", "x".into()),
            ("name_en", "x".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), 409);

    // Not on sale yet, and it cannot be published without a price.
    until(&app, "/shop/reel-likes", 404).await;
    let res = call(
        "/api/admin_publish_product",
        vec![("id", id.clone()), ("published", "true".into())],
    )
    .await;
    assert_eq!(res.status(), 409);

    // A price with a broken line: 422 naming the line.
    let res = call(
        "/api/admin_set_price",
        vec![
            ("id", id.clone()),
            ("vat", "19".into()),
            ("billing", "one_off".into()),
            ("tiers", "500 | 500 | 9,90\n2k | zwei | 29,90".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains(r#""field":"tiers""#) && body.contains(r#""max":2"#),
        "{body}"
    );
    let res = call(
        "/api/admin_set_price",
        vec![
            ("id", id.clone()),
            ("vat", "19".into()),
            ("billing", "one_off".into()),
            ("tiers", "500 | 500 | 9,90\n2k | 2000 | 29,90".into()),
            ("speeds", "normal | 0 | Normal | Normal".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);

    // An image, as the page's plain form sends it: back to the product page with the outcome.
    let res = admin
        .post(app.url(&format!("/admin/catalog/{id}/images")))
        .multipart(upload_form(photo(1600, 1200), "de"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/admin/catalog/{id}?image=added").as_str()
    );
    // What is not an image, in English: the problem comes back in the address.
    let res = admin
        .post(app.url(&format!("/admin/catalog/{id}/images")))
        .multipart(upload_form(b"%PDF-1.7 not a picture".to_vec(), "en"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/en/admin/catalog/{id}?image_error=not-an-image").as_str()
    );
    let res = admin
        .post(app.url(&format!("/admin/catalog/{id}/images")))
        .multipart(upload_form(photo(120, 120), "de"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        format!("/admin/catalog/{id}?image_error=image-too-small&limit=200").as_str()
    );
    // The admin page shows that outcome in words.
    let (status, html) = page(
        &admin,
        &app,
        &format!("/admin/catalog/{id}?image_error=image-too-small&limit=200"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Das Bild ist zu klein: mindestens 200 × 200 Pixel."),
        "{html}"
    );
    assert!(
        html.contains("Lokale Ablage"),
        "the local storage says what it is"
    );

    // An admin previews the draft; visitors still get a 404.
    let (status, html) = page(&admin, &app, "/shop/reel-likes?preview=1").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"data-testid="preview-banner""#));
    assert!(
        html.contains("noindex"),
        "a preview is not for search engines"
    );
    let (status, _) = page(&app.browser(), &app, "/shop/reel-likes?preview=1").await;
    assert_eq!(status, 404);

    let res = call(
        "/api/admin_publish_product",
        vec![("id", id.clone()), ("published", "true".into())],
    )
    .await;
    assert_eq!(res.status(), 200);

    // On sale: the product page shows the picture in its sizes, and link previews have it.
    let html = until(&app, "/shop/reel-likes", 200).await;
    assert!(!html.contains(r#"data-testid="preview-banner""#));
    let src_at = html.find(r#"data-testid="product-image""#).unwrap();
    let tag_start = html[..src_at].rfind("<img").unwrap();
    let tag = &html[tag_start..src_at];
    assert!(tag.contains("-800.jpg"), "{tag}");
    assert!(tag.contains("400w") && tag.contains("1200w"), "{tag}");
    assert!(tag.contains(r#"alt="Reel auf einem Handy""#), "{tag}");
    assert!(html.contains(r#"property="og:image""#));
    let og = html.find(r#"property="og:image""#).unwrap();
    let og_tag = &html[html[..og].rfind('<').unwrap()..og + 200];
    assert!(
        og_tag.contains(&format!("{}/media/catalog/", app.url(""))),
        "{og_tag}"
    );
    assert!(og_tag.contains("-1200.jpg"), "{og_tag}");
    let (_, listing) = page(&app.browser(), &app, "/shop?category=likes").await;
    assert!(listing.contains(r#"data-testid="card-image""#));

    // The renditions are served from the storage, kept for a year.
    let start = tag.find("src=\"").unwrap() + 5;
    let src = &tag[start..start + tag[start..].find('"').unwrap()];
    let res = app.browser().get(app.url(src)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let bytes = res.bytes().await.unwrap();
    let served = image::load_from_memory(&bytes).unwrap();
    assert_eq!((served.width(), served.height()), (800, 600));
    for missing in [
        "/media/catalog/00000000000000000000000000000000-800.jpg",
        "/media/..%2F..%2FCargo.toml",
        "/media/catalog%2F..%2F..%2FCargo.toml",
        "/media/catalog/x.exe",
    ] {
        let res = app.browser().get(app.url(missing)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{missing}");
    }

    // Only product images are public: other things the storage holds (invoices) are not.
    let store = gd_storage::Folder::new(app.outbox.join("storage")).unwrap();
    let invoice = gd_storage::Key::parse("invoices/2026/re-2026-0001.pdf").unwrap();
    gd_storage::ObjectStore::put(&store, &invoice, b"%PDF-1.7".to_vec())
        .await
        .unwrap();
    let res = app
        .browser()
        .get(app.url("/media/invoices/2026/re-2026-0001.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The sitemap lists it.
    let sitemap = app
        .browser()
        .get(app.url("/sitemap.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sitemap.contains("/shop/reel-likes</loc>"));

    // The admin list shows it with its state; every change is in the audit log.
    let res = admin
        .post(app.url("/api/admin_products"))
        .send()
        .await
        .unwrap();
    let rows: Vec<serde_json::Value> = res.json().await.unwrap();
    let row = rows.iter().find(|r| r["slug"] == "reel-likes").unwrap();
    assert_eq!(row["published"], true);
    assert_eq!(row["images"], 1);
    assert_eq!(row["from"], "ab 9,90 €");
    for action in [
        "product.save",
        "product.price",
        "product.image.add",
        "product.publish",
    ] {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}'"
            ))
            .await,
            1,
            "{action}"
        );
    }

    // Taken off sale: a real 404 again, and gone from the sitemap.
    let res = call(
        "/api/admin_publish_product",
        vec![("id", id.clone()), ("published", "false".into())],
    )
    .await;
    assert_eq!(res.status(), 200);
    until(&app, "/shop/reel-likes", 404).await;
}

#[sqlx::test(migrations = false)]
async fn only_admins_upload_and_big_files_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let id: String =
        sqlx::query_scalar("SELECT id::text FROM products WHERE slug = 'instagram-likes'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let path = format!("/admin/catalog/{id}/images");
    let client = app.signed_in("kunde@example.de", &[Role::Client]).await;
    for (who, browser, status) in [("anonymous", app.browser(), 401), ("client", client, 403)] {
        let res = browser
            .post(app.url(&path))
            .multipart(upload_form(photo(400, 400), "de"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{who}");
    }
    let admin = app.signed_in("chef@example.de", &[Role::Admin]).await;
    // From another site: refused before anything is read.
    let res = reqwest::Client::new()
        .post(app.url(&path))
        .header("origin", "https://evil.example")
        .multipart(upload_form(photo(400, 400), "de"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Over the limit by its declared length: back to the page with the reason, unread.
    let res = admin
        .post(app.url(&path))
        .multipart(upload_form(vec![0; 11 * 1024 * 1024], "de"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/admin/catalog/{id}?image_error=file-too-large&limit=10").as_str()
    );
    // A photo of about 5 MB (noise compresses badly) is well within it.
    let mut seed = 7u32;
    let noise = RgbImage::from_fn(1400, 1300, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let [a, b, c, _] = seed.to_be_bytes();
        Rgb([a, b, c])
    });
    let mut big = Cursor::new(Vec::new());
    noise.write_to(&mut big, ImageFormat::Png).unwrap();
    let big = big.into_inner();
    assert!(big.len() > 4 * 1024 * 1024, "{}", big.len());
    let res = admin
        .post(app.url(&path))
        .multipart(upload_form(big, "de"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        format!("/admin/catalog/{id}?image=added").as_str()
    );
    // Other routes keep their small limit.
    let res = admin
        .post(app.url("/api/admin_save_product"))
        .body(vec![b'a'; 100 * 1024])
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // Not a product, not a form.
    let res = admin
        .post(app.url(&format!("/admin/catalog/{}/images", uuid::Uuid::now_v7())))
        .multipart(upload_form(photo(400, 400), "de"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = admin
        .post(app.url(&path))
        .form(&[("image", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        app.count("SELECT count(*) FROM product_images").await,
        1,
        "only the good photo was added"
    );
}
