//! Carts against a real PostgreSQL and the demo catalog: checked lines, tampering refused
//! with nothing stored, merging at sign-in, and the shopper told about price changes and
//! products no longer sold.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_cart::{CartError, LineInput, Notice};
use gd_common::IssueCode;
use gd_pricing::{Billing, Cents, Treatment};
use sqlx::PgPool;
use uuid::Uuid;

async fn demo(pool: &PgPool) -> gd_catalog::Catalog {
    gd_db::migrate(pool).await.unwrap();
    gd_db::seed_demo_data(pool).await.unwrap();
    gd_catalog::load(pool).await.unwrap()
}

fn followers(tier: &str, quantity: u32) -> LineInput {
    LineInput {
        product: "instagram-follower".into(),
        tier: tier.into(),
        addons: vec!["refill".into()],
        speed: Some("express".into()),
        quantity,
        target: "@Growth.Desk".into(),
    }
}

async fn user(pool: &PgPool, email: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO users (id, email, locale) VALUES ($1, $2, 'de')")
        .bind(id)
        .bind(email)
        .execute(pool)
        .await
        .unwrap();
    id
}

async fn lines_in(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM cart_lines")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_checked_line_is_stored_with_its_price_and_normalized_target(pool: PgPool) {
    let catalog = demo(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let cart = gd_cart::create(&mut conn, None).await.unwrap();
    gd_cart::add(&mut conn, cart, &catalog, &followers("5k", 2))
        .await
        .unwrap();
    // The same configuration again adds to the line, whatever the order of its add-ons.
    let mut again = followers("5k", 1);
    again.addons = vec![];
    gd_cart::add(&mut conn, cart, &catalog, &again)
        .await
        .unwrap();
    let lines = gd_cart::load(&mut conn, cart).await.unwrap();
    assert_eq!(lines.len(), 2, "without the add-on it is another line");
    gd_cart::remove(&mut conn, cart, lines[1].id).await.unwrap();
    gd_cart::add(&mut conn, cart, &catalog, &followers("5k", 1))
        .await
        .unwrap();
    let lines = gd_cart::load(&mut conn, cart).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].selection.quantity, 3);
    assert_eq!(lines[0].target, "@growth.desk");
    assert_eq!(lines[0].unit_gross, Cents(5_990 + 490 + 990));
    assert_eq!(gd_cart::count_items(&mut conn, cart).await.unwrap(), 3);

    let (priced, quote) = gd_cart::price(&catalog, lines, Treatment::Standard).unwrap();
    assert_eq!(priced[0].notice, None);
    assert_eq!(quote.due_now(), Cents(3 * (5_990 + 490 + 990)));
}

#[sqlx::test(migrations = false)]
async fn bad_and_tampered_lines_are_refused_and_change_nothing(pool: PgPool) {
    let catalog = demo(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let cart = gd_cart::create(&mut conn, None).await.unwrap();
    let refused = |input: LineInput| {
        let catalog = &catalog;
        async move { gd_cart::check(catalog, &input).err().unwrap() }
    };
    let fields = |e: CartError| match e {
        CartError::Invalid(issues) => issues
            .into_iter()
            .map(|i| (i.field, i.code))
            .collect::<Vec<_>>(),
        other => panic!("expected Invalid, got {other:?}"),
    };
    assert_eq!(
        fields(refused(followers("7k", 1)).await),
        vec![("tier".to_owned(), IssueCode::NotOffered)]
    );
    let mut gold = followers("1k", 1);
    gold.addons = vec!["gold".into()];
    assert_eq!(
        fields(refused(gold).await),
        vec![("addons".to_owned(), IssueCode::NotOffered)]
    );
    for quantity in [0, 101] {
        assert_eq!(
            fields(refused(followers("1k", quantity)).await),
            vec![("quantity".to_owned(), IssueCode::OutOfRange)]
        );
    }
    let mut bad_handle = followers("1k", 1);
    bad_handle.target = "not a handle!".into();
    assert_eq!(
        fields(refused(bad_handle).await),
        vec![("target".to_owned(), IssueCode::InvalidHandle)]
    );
    let mut not_a_post = LineInput {
        product: "instagram-likes".into(),
        tier: "500".into(),
        quantity: 1,
        target: "@growth.desk".into(),
        ..Default::default()
    };
    assert_eq!(
        fields(refused(not_a_post.clone()).await),
        vec![("target".to_owned(), IssueCode::InvalidPost)]
    );
    not_a_post.target = "https://www.instagram.com/p/C8abc12345/".into();
    assert!(gd_cart::check(&catalog, &not_a_post).is_ok());
    for product in ["tiktok-follower", "gibtsnicht"] {
        let mut input = followers("1k", 1);
        input.product = product.into();
        assert!(matches!(refused(input).await, CartError::Unavailable));
    }
    // The stored path refuses the same way, leaving the cart empty.
    assert!(matches!(
        gd_cart::add(&mut conn, cart, &catalog, &followers("7k", 1)).await,
        Err(CartError::Invalid(_))
    ));
    assert_eq!(lines_in(&pool).await, 0);
}

#[sqlx::test(migrations = false)]
async fn lines_belong_to_their_cart(pool: PgPool) {
    let catalog = demo(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let mine = gd_cart::create(&mut conn, None).await.unwrap();
    let theirs = gd_cart::create(&mut conn, None).await.unwrap();
    let line = gd_cart::add(&mut conn, theirs, &catalog, &followers("1k", 1))
        .await
        .unwrap();
    assert!(matches!(
        gd_cart::remove(&mut conn, mine, line).await,
        Err(CartError::NotFound)
    ));
    assert!(matches!(
        gd_cart::set_quantity(&mut conn, mine, &catalog, line, 5).await,
        Err(CartError::NotFound)
    ));
    assert!(matches!(
        gd_cart::set_quantity(&mut conn, theirs, &catalog, line, 0).await,
        Err(CartError::Invalid(_))
    ));
    gd_cart::set_quantity(&mut conn, theirs, &catalog, line, 4)
        .await
        .unwrap();
    assert_eq!(gd_cart::count_items(&mut conn, theirs).await.unwrap(), 4);
    gd_cart::remove(&mut conn, theirs, line).await.unwrap();
    assert_eq!(lines_in(&pool).await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_full_cart_takes_no_new_line(pool: PgPool) {
    let catalog = demo(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let cart = gd_cart::create(&mut conn, None).await.unwrap();
    for i in 0..gd_cart::MAX_LINES {
        let mut input = followers("1k", 1);
        input.target = format!("@kunde{i}");
        gd_cart::add(&mut conn, cart, &catalog, &input)
            .await
            .unwrap();
    }
    let mut one_more = followers("1k", 1);
    one_more.target = "@noch.einer".into();
    assert!(matches!(
        gd_cart::add(&mut conn, cart, &catalog, &one_more).await,
        Err(CartError::Full)
    ));
}

#[sqlx::test(migrations = false)]
async fn the_guest_cart_moves_into_the_account_at_sign_in(pool: PgPool) {
    let catalog = demo(&pool).await;
    let anna = user(&pool, "anna@example.de").await;
    let mut conn = pool.acquire().await.unwrap();
    let own = gd_cart::of_user(&mut conn, anna).await.unwrap();
    assert_eq!(gd_cart::of_user(&mut conn, anna).await.unwrap(), own);
    gd_cart::add(&mut conn, own, &catalog, &followers("1k", 1))
        .await
        .unwrap();
    let guest = gd_cart::create(&mut conn, None).await.unwrap();
    gd_cart::add(&mut conn, guest, &catalog, &followers("1k", 2))
        .await
        .unwrap();
    let likes = LineInput {
        product: "instagram-likes".into(),
        tier: "1k".into(),
        quantity: 1,
        target: "https://www.instagram.com/reel/DAbc123XyZ/".into(),
        ..Default::default()
    };
    gd_cart::add(&mut conn, guest, &catalog, &likes)
        .await
        .unwrap();

    let merged = gd_cart::merge(&mut conn, guest, anna).await.unwrap();
    assert_eq!(merged, own);
    let lines = gd_cart::load(&mut conn, own).await.unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0].selection.quantity, 3,
        "the same configuration adds up"
    );
    assert!(!gd_cart::guest_exists(&mut conn, guest).await.unwrap());
    assert_eq!(
        gd_cart::find_of_user(&mut conn, anna).await.unwrap(),
        Some(own)
    );
}

#[sqlx::test(migrations = false)]
async fn the_shopper_is_told_about_new_prices_and_products_gone(pool: PgPool) {
    let catalog = demo(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let cart = gd_cart::create(&mut conn, None).await.unwrap();
    gd_cart::add(&mut conn, cart, &catalog, &followers("1k", 1))
        .await
        .unwrap();
    let views = LineInput {
        product: "reel-views".into(),
        tier: "10k".into(),
        quantity: 1,
        target: "https://www.instagram.com/reel/DAbc123XyZ/".into(),
        ..Default::default()
    };
    gd_cart::add(&mut conn, cart, &catalog, &views)
        .await
        .unwrap();

    // An admin raises the follower price (a new version) and takes the views off sale.
    let follower = catalog.product("instagram-follower").unwrap();
    let mut offer = follower.price.clone().unwrap().offer;
    offer.tiers[0].price = Cents(1_990);
    let version = Uuid::now_v7();
    sqlx::query("INSERT INTO product_prices (id, product_id, offer) VALUES ($1, $2, $3)")
        .bind(version)
        .bind(follower.id)
        .bind(serde_json::json!({ "offer": offer }))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE products SET price_id = $1 WHERE id = $2")
        .bind(version)
        .bind(follower.id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE products SET published = false WHERE slug = 'reel-views'")
        .execute(&pool)
        .await
        .unwrap();
    let catalog = gd_catalog::load(&pool).await.unwrap();

    let lines = gd_cart::load(&mut conn, cart).await.unwrap();
    let (priced, quote) = gd_cart::price(&catalog, lines, Treatment::Standard).unwrap();
    let was = Cents(1_490 + 490 + 990);
    let now = Cents(1_990 + 490 + 990);
    assert_eq!(priced[0].notice, Some(Notice::PriceChanged { was, now }));
    assert_eq!(priced[1].notice, Some(Notice::Unavailable));
    assert_eq!(priced[1].price, None);
    // Only what can be bought counts, at today's price.
    assert_eq!(quote.period(Billing::OneOff).unwrap().total, now);
    // Changing the quantity takes the new price as seen.
    let line = priced[0].line.id;
    gd_cart::set_quantity(&mut conn, cart, &catalog, line, 2)
        .await
        .unwrap();
    let lines = gd_cart::load(&mut conn, cart).await.unwrap();
    let (priced, _) = gd_cart::price(&catalog, lines, Treatment::Standard).unwrap();
    assert_eq!(priced[0].notice, None);
}

#[sqlx::test(migrations = false)]
async fn forgotten_guest_carts_are_swept(pool: PgPool) {
    let catalog = demo(&pool).await;
    let anna = user(&pool, "anna@example.de").await;
    let mut conn = pool.acquire().await.unwrap();
    let old = gd_cart::create(&mut conn, None).await.unwrap();
    gd_cart::add(&mut conn, old, &catalog, &followers("1k", 1))
        .await
        .unwrap();
    let fresh = gd_cart::create(&mut conn, None).await.unwrap();
    let annas = gd_cart::of_user(&mut conn, anna).await.unwrap();
    sqlx::query("UPDATE carts SET updated_at = now() - interval '40 days' WHERE id IN ($1, $2)")
        .bind(old)
        .bind(annas)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        gd_cart::delete_stale_guest_carts(&mut conn, 30)
            .await
            .unwrap(),
        1
    );
    assert!(!gd_cart::guest_exists(&mut conn, old).await.unwrap());
    assert!(gd_cart::guest_exists(&mut conn, fresh).await.unwrap());
    assert_eq!(
        gd_cart::find_of_user(&mut conn, anna).await.unwrap(),
        Some(annas)
    );
}
