//! What admins change, against a real PostgreSQL: products checked and audited, a new price
//! is a new version (the old one stays as it was), only priced products are published,
//! bundles name real tiers, and uploads are checked, resized and stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use gd_catalog::edit::{self, PriceInput, ProductInput};
use gd_catalog::images::{self, Rendition};
use gd_catalog::EditError;
use gd_common::{IssueCode, Localized};
use gd_pricing::{Billing, Cents};
use gd_storage::{Folder, Key, ObjectStore};
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use sqlx::PgPool;
use uuid::Uuid;

async fn admin(pool: &PgPool) -> Uuid {
    gd_db::migrate(pool).await.unwrap();
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO users (id, email, locale) VALUES ($1, 'admin@example.de', 'de')")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    id
}

fn likes() -> ProductInput {
    ProductInput {
        slug: "reel-likes".into(),
        kind: "service".into(),
        target: "post".into(),
        name_de: "Reel-Likes".into(),
        name_en: "Reel likes".into(),
        summary_de: "Likes für ein Reel".into(),
        description_de: "**Schnell**\r\nund echt".into(),
        unit_de: "Likes".into(),
        unit_en: "likes".into(),
        ..Default::default()
    }
}

fn price() -> PriceInput {
    PriceInput {
        vat: "19".into(),
        billing: "one_off".into(),
        tiers: "500 | 500 | 9,90\n\n2k | 2.000 | 29,90\n".into(),
        addons: "refill | 4,90 | Nachfüllen | Refill".into(),
        speeds: "normal | 0 | Normal | Normal\nexpress | 5 | Express | Express".into(),
    }
}

async fn audits(pool: &PgPool, action: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_product_is_made_checked_and_audited(pool: PgPool) {
    let me = admin(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let id = edit::save_product(&mut conn, me, &likes()).await.unwrap();
    let catalog = gd_catalog::load(&pool).await.unwrap();
    let p = catalog.product_by_id(id).unwrap();
    assert_eq!(p.slug, "reel-likes");
    assert_eq!(p.description.de, "**Schnell**\nund echt");
    assert!(
        !p.published && p.price.is_none(),
        "a new product is a draft"
    );
    assert!(catalog.product("reel-likes").is_none(), "not on sale");
    assert_eq!(audits(&pool, "product.save").await, 1);

    // Every problem at once, nothing written.
    let bad = ProductInput {
        slug: "Reel Likes".into(),
        kind: "gift".into(),
        target: "".into(),
        name_de: " ".into(),
        name_en: "x".repeat(121),
        category: "no-such-category".into(),
        position: "ten".into(),
        ..Default::default()
    };
    let Err(EditError::Invalid(issues)) = edit::save_product(&mut conn, me, &bad).await else {
        panic!("bad input accepted");
    };
    let fields: Vec<(&str, IssueCode)> =
        issues.iter().map(|i| (i.field.as_str(), i.code)).collect();
    for expected in [
        ("slug", IssueCode::InvalidSlug),
        ("kind", IssueCode::NotOffered),
        ("target", IssueCode::NotOffered),
        ("name_de", IssueCode::Required),
        ("name_en", IssueCode::TooLong),
        ("position", IssueCode::InvalidNumber),
    ] {
        assert!(fields.contains(&expected), "{expected:?} in {fields:?}");
    }
    // An unknown category is reported on its field (checked against the database).
    let unknown_category = ProductInput {
        slug: "other".into(),
        category: "nope".into(),
        ..likes()
    };
    let Err(EditError::Invalid(issues)) =
        edit::save_product(&mut conn, me, &unknown_category).await
    else {
        panic!("unknown category accepted");
    };
    assert_eq!(issues[0].field, "category");

    // The address is unique; changing the product keeps its id.
    let again = edit::save_product(&mut conn, me, &likes()).await;
    assert!(matches!(again, Err(EditError::SlugTaken)), "{again:?}");
    let renamed = ProductInput {
        id: Some(id),
        name_en: "Reel likes (real)".into(),
        ..likes()
    };
    assert_eq!(
        edit::save_product(&mut conn, me, &renamed).await.unwrap(),
        id
    );
    let missing = ProductInput {
        id: Some(Uuid::now_v7()),
        slug: "gone".into(),
        ..likes()
    };
    assert!(matches!(
        edit::save_product(&mut conn, me, &missing).await,
        Err(EditError::NotFound)
    ));
    assert_eq!(audits(&pool, "product.save").await, 2);
    drop(conn);
    assert_eq!(
        gd_catalog::load(&pool)
            .await
            .unwrap()
            .product_by_id(id)
            .unwrap()
            .name
            .en,
        "Reel likes (real)"
    );
}

#[test]
fn price_forms_are_read_line_by_line() {
    let stored = edit::parse_price(&price()).unwrap();
    let o = &stored.offer;
    assert_eq!(o.vat.basis_points(), 1_900);
    assert_eq!(o.billing, Billing::OneOff);
    assert_eq!(o.tiers.len(), 2, "blank lines are skipped");
    assert_eq!(o.tiers[1].amount, 2_000);
    assert_eq!(o.tiers[1].price, Cents(2_990));
    assert_eq!(o.speeds[1].surcharge, Cents(500));
    assert_eq!(stored.labels.addons["refill"].en, "Refill");
    // What the form shows reads back as the same price.
    let form = edit::price_form(&stored);
    assert_eq!(edit::parse_price(&form).unwrap(), stored);
    assert_eq!(form.vat, "19 %");

    let bad = PriceInput {
        vat: "119".into(),
        billing: "weekly".into(),
        tiers: "1k | 1000 | 9,90\nbroken line\n2k | 0 | 5".into(),
        addons: "refill | -3 | a | b".into(),
        speeds: "fast | 1".into(),
    };
    let issues = edit::parse_price(&bad).unwrap_err();
    let got: Vec<(&str, IssueCode, Option<u32>)> = issues
        .iter()
        .map(|i| (i.field.as_str(), i.code, i.max))
        .collect();
    assert_eq!(
        got,
        vec![
            ("vat", IssueCode::InvalidNumber, None),
            ("billing", IssueCode::NotOffered, None),
            ("tiers", IssueCode::BadLine, Some(2)),
            ("tiers", IssueCode::BadLine, Some(3)),
            ("addons", IssueCode::BadLine, Some(1)),
            ("speeds", IssueCode::BadLine, Some(1)),
        ]
    );
    // Lines that read but do not add up: the same key twice.
    let twice = PriceInput {
        tiers: "1k | 1000 | 9,90\n1k | 2000 | 19,90".into(),
        ..price()
    };
    let issues = edit::parse_price(&twice).unwrap_err();
    assert_eq!(issues[0].code, IssueCode::InvalidOffer);
    let none = PriceInput {
        tiers: " \n".into(),
        ..price()
    };
    assert_eq!(
        edit::parse_price(&none).unwrap_err()[0].code,
        IssueCode::Required
    );
    for (vat, bp) in [("7", 700), ("5,5 %", 550), ("0", 0), ("19.00", 1_900)] {
        let p = PriceInput {
            vat: vat.into(),
            ..price()
        };
        assert_eq!(
            edit::parse_price(&p).unwrap().offer.vat.basis_points(),
            bp,
            "{vat}"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn a_new_price_is_a_new_version_and_publishing_needs_one(pool: PgPool) {
    let me = admin(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let id = edit::save_product(&mut conn, me, &likes()).await.unwrap();
    assert!(matches!(
        edit::set_published(&mut conn, me, id, true).await,
        Err(EditError::NotPriced)
    ));

    let first = edit::parse_price(&price()).unwrap();
    let v1 = edit::set_price(&mut conn, me, id, &first).await.unwrap();
    edit::set_published(&mut conn, me, id, true).await.unwrap();
    let catalog = gd_catalog::load(&pool).await.unwrap();
    let on_sale = catalog.product("reel-likes").unwrap();
    assert_eq!(on_sale.price.as_ref().unwrap().id, v1);
    assert_eq!(on_sale.from_price(), Some(Cents(990)));

    let cheaper = edit::parse_price(&PriceInput {
        tiers: "500 | 500 | 7,90".into(),
        ..price()
    })
    .unwrap();
    let v2 = edit::set_price(&mut conn, me, id, &cheaper).await.unwrap();
    assert_ne!(v1, v2);
    let history = edit::price_history(&mut conn, id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[0].current && history[0].id == v2);
    assert!(!history[1].current);
    assert_eq!(
        history[1].offer.as_ref(),
        Some(&first),
        "the old version is unchanged"
    );
    assert_eq!(history[0].created_by.as_deref(), Some("admin@example.de"));

    edit::set_published(&mut conn, me, id, false).await.unwrap();
    drop(conn);
    assert!(gd_catalog::load(&pool)
        .await
        .unwrap()
        .product("reel-likes")
        .is_none());
    assert_eq!(audits(&pool, "product.price").await, 2);
    assert_eq!(audits(&pool, "product.publish").await, 2);
}

#[sqlx::test(migrations = false)]
async fn a_bundle_names_services_and_their_tiers(pool: PgPool) {
    let me = admin(&pool).await;
    gd_db::seed_demo_data(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let bundle = edit::save_product(
        &mut conn,
        me,
        &ProductInput {
            slug: "reel-paket".into(),
            kind: "bundle".into(),
            target: "none".into(),
            name_de: "Reel-Paket".into(),
            name_en: "Reel bundle".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let items =
        edit::parse_bundle_items("instagram-follower | 1k | 1\ninstagram-likes | 500 | 2").unwrap();
    edit::set_bundle_items(&mut conn, me, bundle, &items)
        .await
        .unwrap();
    let catalog = gd_catalog::load(&pool).await.unwrap();
    let contents = &catalog.product_by_id(bundle).unwrap().items;
    assert_eq!(contents.len(), 2);
    assert_eq!(contents[1].quantity, 2);

    // A tier the service does not have, another bundle, or an unknown product: nothing changes.
    for line in [
        "instagram-follower | 7k | 1",
        "starter-paket | x | 1",
        "no-such-product | 1k | 1",
    ] {
        let items = edit::parse_bundle_items(line).unwrap();
        let refused = edit::set_bundle_items(&mut conn, me, bundle, &items).await;
        assert!(matches!(refused, Err(EditError::Invalid(_))), "{line}");
    }
    assert_eq!(
        gd_catalog::load(&pool)
            .await
            .unwrap()
            .product_by_id(bundle)
            .unwrap()
            .items
            .len(),
        2
    );
    let bad = edit::parse_bundle_items("instagram-follower | 1k | 0\nnonsense").unwrap_err();
    assert_eq!(bad.len(), 2);
    assert_eq!(bad[1].max, Some(2));
}

/// PNG's chunk checksum (CRC-32, as in zlib).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                0xedb8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A PNG's signature, header and a token of pixel data: what a decompression bomb shows
/// before its pixels.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut header = w.to_be_bytes().to_vec();
    header.extend_from_slice(&h.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &header));
    // The start of the pixel data (which a decoder reads the size before).
    out.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00]));
    out.extend(chunk(b"IEND", &[]));
    out
}

/// `png` with an `eXIf` chunk saying how the camera was held (EXIF orientation 1–8).
fn with_orientation(png: &[u8], orientation: u16) -> Vec<u8> {
    let mut exif = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01".to_vec();
    exif.extend_from_slice(&orientation.to_be_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    // After the signature (8 bytes) and IHDR (25 bytes), before the pixels.
    let mut out = png[..33].to_vec();
    out.extend(chunk(b"eXIf", &exif));
    out.extend_from_slice(&png[33..]);
    out
}

fn photo(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

#[test]
fn uploads_are_checked_and_resized() {
    let processed = images::process(&photo(1600, 900, ImageFormat::Png)).unwrap();
    assert_eq!(
        processed.format,
        Rendition::Jpeg,
        "an opaque image becomes JPEG"
    );
    let sizes: Vec<(u32, u32)> = processed
        .renditions
        .iter()
        .map(|(w, h, _)| (*w, *h))
        .collect();
    assert_eq!(sizes, vec![(400, 225), (800, 450), (1200, 675)]);
    for (_, _, bytes) in &processed.renditions {
        assert_eq!(image::guess_format(bytes).unwrap(), ImageFormat::Jpeg);
    }
    assert_eq!(processed.hash.len(), 32);
    // The same upload, the same name.
    assert_eq!(
        images::process(&photo(1600, 900, ImageFormat::Png))
            .unwrap()
            .hash,
        processed.hash
    );

    // Smaller than the largest width: never enlarged.
    let small = images::process(&photo(500, 300, ImageFormat::Jpeg)).unwrap();
    let widths: Vec<u32> = small.renditions.iter().map(|(w, _, _)| *w).collect();
    assert_eq!(widths, vec![400, 500]);

    // Transparency is kept (PNG).
    let logo = RgbaImage::from_fn(300, 300, |x, _| {
        Rgba([200, 0, 0, if x < 150 { 0 } else { 255 }])
    });
    let mut png = Cursor::new(Vec::new());
    logo.write_to(&mut png, ImageFormat::Png).unwrap();
    let logo = images::process(&png.into_inner()).unwrap();
    assert_eq!(logo.format, Rendition::Png);
    assert_eq!(
        image::guess_format(&logo.renditions[0].2).unwrap(),
        ImageFormat::Png
    );

    let problem = |bytes: &[u8]| images::process(bytes).unwrap_err();
    assert_eq!(problem(b"GIF89a not really").code, IssueCode::NotAnImage);
    assert_eq!(problem(b"<svg></svg>").code, IssueCode::NotAnImage);
    let too_small = problem(&photo(150, 900, ImageFormat::Png));
    assert_eq!(
        (too_small.code, too_small.limit),
        (IssueCode::ImageTooSmall, Some(200))
    );
    let too_wide = problem(&photo(10_100, 200, ImageFormat::Png));
    assert_eq!(
        (too_wide.code, too_wide.limit),
        (IssueCode::ImageTooBig, Some(40))
    );
    // 7,000 × 6,000 pixels (42 MP): refused from the header alone, nothing decoded.
    let too_many_pixels = problem(&png_header_only(7_000, 6_000));
    assert_eq!(too_many_pixels.code, IssueCode::ImageTooBig);
    let huge = vec![0u8; images::MAX_BYTES + 1];
    assert_eq!(problem(&huge).code, IssueCode::FileTooLarge);
    // A JPEG cut off inside its header is refused. (One cut off later in its pixel data is
    // decoded as far as it goes, as browsers show it.)
    let mut cut = photo(900, 600, ImageFormat::Jpeg);
    cut.truncate(120);
    assert_eq!(problem(&cut).code, IssueCode::NotAnImage);
}

#[sqlx::test(migrations = false)]
async fn images_are_stored_added_once_and_removed(pool: PgPool) {
    let me = admin(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Folder::new(dir.path().to_path_buf()).unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let id = edit::save_product(&mut conn, me, &likes()).await.unwrap();
    let processed = images::process(&photo(1000, 1000, ImageFormat::Png)).unwrap();
    images::store(&store, &processed).await.unwrap();
    let alt = Localized::new("Ein Reel", "A reel");
    let image = images::add_image(&mut conn, me, id, &processed, &alt)
        .await
        .unwrap();
    // The same picture again is the same image.
    assert_eq!(
        images::add_image(&mut conn, me, id, &processed, &alt)
            .await
            .unwrap(),
        image
    );
    let catalog = gd_catalog::load(&pool).await.unwrap();
    let shown = &catalog.product_by_id(id).unwrap().images;
    assert_eq!(shown.len(), 1);
    let shown = &shown[0];
    assert_eq!(shown.widths, vec![400, 800, 1000]);
    assert_eq!(shown.alt.en, "A reel");
    assert_eq!(shown.height_at(400), 400);
    assert_eq!(
        shown.src_for(500),
        format!("/media/catalog/{}-800.jpg", processed.hash)
    );
    // Every width the page names is in the store.
    for w in &shown.widths {
        let key = Key::parse(&shown.key(*w)).unwrap();
        let object = store.get(&key).await.unwrap().unwrap();
        assert_eq!(object.content_type, "image/jpeg");
    }

    assert!(matches!(
        images::add_image(&mut conn, me, Uuid::now_v7(), &processed, &alt).await,
        Err(EditError::NotFound)
    ));
    images::remove_image(&mut conn, me, id, image)
        .await
        .unwrap();
    assert!(matches!(
        images::remove_image(&mut conn, me, id, image).await,
        Err(EditError::NotFound)
    ));
    drop(conn);
    assert!(gd_catalog::load(&pool)
        .await
        .unwrap()
        .product_by_id(id)
        .unwrap()
        .images
        .is_empty());
    assert_eq!(audits(&pool, "product.image.add").await, 1);
    assert_eq!(audits(&pool, "product.image.remove").await, 1);
}

#[test]
fn a_photo_taken_sideways_is_turned_upright() {
    let sideways = with_orientation(&photo(300, 200, ImageFormat::Png), 6);
    let processed = images::process(&sideways).unwrap();
    let sizes: Vec<(u32, u32)> = processed
        .renditions
        .iter()
        .map(|(w, h, _)| (*w, *h))
        .collect();
    assert_eq!(sizes, vec![(200, 300)], "rotated a quarter turn");
    // The renditions carry no metadata at all (no EXIF, so no camera or location either).
    let out = &processed.renditions[0].2;
    assert!(!out.windows(4).any(|w| w == b"Exif" || w == b"eXIf"));
}

#[sqlx::test(migrations = false)]
async fn a_product_holds_twelve_images_in_order(pool: PgPool) {
    let me = admin(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let id = edit::save_product(&mut conn, me, &likes()).await.unwrap();
    let alt = Localized::new("", "");
    let mut ids = Vec::new();
    for n in 0..images::MAX_PER_PRODUCT as u32 {
        let processed = images::process(&photo(200 + n, 200, ImageFormat::Png)).unwrap();
        ids.push(
            images::add_image(&mut conn, me, id, &processed, &alt)
                .await
                .unwrap(),
        );
    }
    images::check_room(&mut conn, id).await.unwrap_err();
    let one_more = images::process(&photo(250, 250, ImageFormat::Png)).unwrap();
    let Err(EditError::Invalid(issues)) =
        images::add_image(&mut conn, me, id, &one_more, &alt).await
    else {
        panic!("a thirteenth image was taken");
    };
    assert_eq!(
        (issues[0].code, issues[0].max),
        (IssueCode::TooMany, Some(12))
    );

    // Removing the first two and adding one puts the new one last.
    images::remove_image(&mut conn, me, id, ids[0])
        .await
        .unwrap();
    images::remove_image(&mut conn, me, id, ids[1])
        .await
        .unwrap();
    let added = images::add_image(&mut conn, me, id, &one_more, &alt)
        .await
        .unwrap();
    drop(conn);
    let catalog = gd_catalog::load(&pool).await.unwrap();
    let shown: Vec<Uuid> = catalog
        .product_by_id(id)
        .unwrap()
        .images
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(shown.len(), 11);
    assert_eq!(shown.last(), Some(&added));
    assert_eq!(shown[0], ids[2]);
}

#[sqlx::test(migrations = false)]
async fn a_bundle_keeps_what_it_holds(pool: PgPool) {
    let me = admin(&pool).await;
    gd_db::seed_demo_data(&pool).await.unwrap();
    let catalog = gd_catalog::load(&pool).await.unwrap();
    let follower = catalog.product("instagram-follower").unwrap().id;
    let bundle = catalog.product("starter-paket").unwrap().id;
    let mut conn = pool.acquire().await.unwrap();
    // The starter bundle holds the 1k tier: a price without it is refused.
    let without_1k = edit::parse_price(&PriceInput {
        tiers: "5k | 5000 | 59,90".into(),
        ..price()
    })
    .unwrap();
    let Err(EditError::Invalid(issues)) =
        edit::set_price(&mut conn, me, follower, &without_1k).await
    else {
        panic!("a tier a bundle holds was dropped");
    };
    assert_eq!(
        (issues[0].field.as_str(), issues[0].code),
        ("tiers", IssueCode::InUse)
    );
    // A service in a bundle stays a service; a bundle with contents stays a bundle.
    for (id, slug, kind) in [
        (follower, "instagram-follower", "bundle"),
        (bundle, "starter-paket", "service"),
    ] {
        let change = ProductInput {
            id: Some(id),
            slug: slug.into(),
            kind: kind.into(),
            target: "none".into(),
            name_de: "x".into(),
            name_en: "x".into(),
            ..Default::default()
        };
        let Err(EditError::Invalid(issues)) = edit::save_product(&mut conn, me, &change).await
        else {
            panic!("{slug} became a {kind}");
        };
        assert_eq!(
            (issues[0].field.as_str(), issues[0].code),
            ("kind", IssueCode::InUse)
        );
    }
    drop(conn);
    assert_eq!(
        gd_catalog::load(&pool).await.unwrap(),
        catalog,
        "nothing changed"
    );
}
