//! The catalog against a real PostgreSQL: the demo catalog loads, drafts stay off sale,
//! prices never change in place, and every process's copy follows a committed change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gd_catalog::{Cache, ProductKind, Target};
use gd_common::Locale;
use gd_pricing::{Billing, Cents};
use sqlx::PgPool;

async fn demo(pool: &PgPool) {
    gd_db::migrate(pool).await.unwrap();
    gd_db::seed_demo_data(pool).await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn the_demo_catalog_loads_with_prices_and_bundles(pool: PgPool) {
    demo(&pool).await;
    let catalog = gd_catalog::load(&pool).await.unwrap();
    assert_eq!(catalog.categories.len(), 4);
    let slugs: Vec<&str> = catalog.on_sale().map(|p| p.slug.as_str()).collect();
    assert_eq!(slugs.len(), 5, "{slugs:?}");
    assert!(
        !slugs.contains(&"tiktok-follower"),
        "a draft is not on sale"
    );
    assert!(catalog.product("tiktok-follower").is_none());
    assert!(catalog.product("nonsense").is_none());

    let follower = catalog.product("instagram-follower").unwrap();
    assert_eq!(follower.target, Target::Handle);
    assert_eq!(follower.name.get(Locale::En), "Instagram followers");
    assert_eq!(follower.from_price(), Some(Cents(1_490)));
    let price = follower.price.as_ref().unwrap();
    assert_eq!(price.offer.tiers.len(), 3);
    assert_eq!(
        price.labels.speeds["express"].get(Locale::De),
        "Express (1–2 Tage)"
    );

    let management = catalog.product("social-media-betreuung").unwrap();
    assert_eq!(
        management.price.as_ref().unwrap().offer.billing,
        Billing::Monthly
    );

    let bundle = catalog.product("starter-paket").unwrap();
    assert_eq!(bundle.kind, ProductKind::Bundle);
    assert_eq!(bundle.items.len(), 2);
    assert_eq!(bundle.items[0].product_id, follower.id);
    assert_eq!(bundle.items[1].quantity, 3);

    // Seeding again changes nothing.
    gd_db::seed_demo_data(&pool).await.unwrap();
    assert_eq!(gd_catalog::load(&pool).await.unwrap(), catalog);
}

#[sqlx::test(migrations = false)]
async fn a_price_that_cannot_be_sold_takes_only_its_product_off_sale(pool: PgPool) {
    demo(&pool).await;
    let broken = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO product_prices (id, product_id, offer)
         SELECT $1, id, '{\"offer\": {\"vat\": 1900, \"billing\": \"one_off\",
             \"tiers\": [{\"key\": \"\", \"amount\": 1, \"price\": -5}],
             \"addons\": [], \"speeds\": []}}'
         FROM products WHERE slug = 'reel-views'",
    )
    .bind(broken)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE products SET price_id = $1 WHERE slug = 'reel-views'")
        .bind(broken)
        .execute(&pool)
        .await
        .unwrap();
    let catalog = gd_catalog::load(&pool).await.unwrap();
    assert!(catalog.product("reel-views").is_none());
    assert_eq!(catalog.on_sale().count(), 4);
}

#[sqlx::test(migrations = false)]
async fn search_and_categories(pool: PgPool) {
    demo(&pool).await;
    let catalog = gd_catalog::load(&pool).await.unwrap();
    let names = |c: Option<&str>, q: &str| -> Vec<String> {
        let category = c.map(|c| catalog.category(c).unwrap());
        catalog
            .search(category, q)
            .map(|p| p.slug.clone())
            .collect()
    };
    assert_eq!(
        names(Some("follower"), ""),
        vec!["instagram-follower", "starter-paket"]
    );
    assert_eq!(names(None, "REEL views"), vec!["reel-views"]);
    assert_eq!(names(None, "aufrufe"), vec!["reel-views"]);
    assert!(names(None, "tiktok").is_empty(), "drafts are not found");
    assert!(names(Some("likes"), "follower").is_empty());
}

#[sqlx::test(migrations = false)]
async fn a_price_is_never_changed_in_place(pool: PgPool) {
    demo(&pool).await;
    let err = sqlx::query("UPDATE product_prices SET offer = '{}' WHERE product_id = $1")
        .bind(uuid::Uuid::parse_str("00000000-0000-7000-8000-000000000201").unwrap())
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("never changed"), "{err}");
    // Nor can a product without a price be published.
    let err = sqlx::query(
        "INSERT INTO products (id, slug, kind, target, name_de, name_en, published)
         VALUES (gen_random_uuid(), 'ohne-preis', 'service', 'none', 'X', 'X', true)",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("products_published_priced"),
        "{err}"
    );
}

#[sqlx::test(migrations = false)]
async fn every_copy_follows_a_committed_change(pool: PgPool) {
    demo(&pool).await;
    let cache = Cache::start(pool.clone()).await.unwrap();
    assert!(cache.get().product("reel-views").is_some());

    // A change that rolls back announces nothing.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE products SET published = false WHERE slug = 'reel-views'")
        .execute(&mut *tx)
        .await
        .unwrap();
    gd_catalog::notify_changed(&mut tx).await.unwrap();
    tx.rollback().await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE products SET published = false WHERE slug = 'reel-views'")
        .execute(&mut *tx)
        .await
        .unwrap();
    gd_catalog::notify_changed(&mut tx).await.unwrap();
    // Not before the commit.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(cache.get().product("reel-views").is_some());
    tx.commit().await.unwrap();

    let mut waited = Duration::ZERO;
    while cache.get().product("reel-views").is_some() {
        assert!(waited < Duration::from_secs(10), "the cache never reloaded");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    assert_eq!(cache.get().on_sale().count(), 4);
}
