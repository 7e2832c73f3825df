//! Accounts, syncs and the dashboard's SQL against a real PostgreSQL: a demo account synced
//! (a year at first, then only the recent days again) and its series, summary, posting hours
//! and top posts; what the schedule queues; a follower drop inside a delivery's guarantee
//! window flagged once; the retention clean-up; the live announcement of a stored sync.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use gd_analytics::crypto::TokenKey;
use gd_analytics::network::{DayInsights, NetworkId, Profile, Pull};
use gd_analytics::series::{self, Grain, Range};
use gd_analytics::store;
use gd_analytics::sync::{self, Networks, SyncSettings, Synced};
use sqlx::PgPool;
use uuid::Uuid;

fn settings() -> SyncSettings {
    SyncSettings::from_config(&gd_config::Config::from_vars(Default::default()).unwrap())
}

fn key() -> TokenKey {
    TokenKey::new([9; 32])
}

fn mailer() -> gd_mail::OutboxMailer {
    let dir = std::env::temp_dir().join(format!("gd-analytics-{}", Uuid::now_v7()));
    let from: lettre::message::Mailbox = "Growthdesk <hello@growthdesk.localhost>".parse().unwrap();
    gd_mail::OutboxMailer::new(&dir, from).unwrap()
}

async fn user(pool: &PgPool) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO users (id, email, locale) VALUES ($1, $2, 'de')")
        .bind(id)
        .bind(format!("{id}@example.de"))
        .execute(pool)
        .await
        .unwrap();
    id
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_demo_account_is_synced_and_charted(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let client = user(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let err = store::connect_demo(&mut conn, client, NetworkId::Instagram, "no spaces!")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("handle"), "{err}");
    let id = store::connect_demo(&mut conn, client, NetworkId::Instagram, "@Growth.Desk")
        .await
        .unwrap();
    // Connecting the same handle again is the same account.
    let again = store::connect_demo(&mut conn, client, NetworkId::Instagram, "growth.desk")
        .await
        .unwrap();
    assert_eq!(id, again);
    drop(conn);

    let networks = Networks::new(Vec::new());
    let today = day("2026-06-30");
    let synced = sync::sync_account(&pool, &networks, &key(), &mailer(), &settings(), id, today)
        .await
        .unwrap();
    let Synced::Stored { days, media } = synced else {
        panic!("{synced:?}")
    };
    assert_eq!(days, 365, "the first sync of a demo account fills a year");
    assert!(media > 20);

    let mut conn = pool.acquire().await.unwrap();
    let account = store::get(&mut conn, id).await.unwrap();
    assert_eq!(account.handle, "growth.desk");
    assert_eq!(account.name.as_deref(), Some("Growth Desk"));
    assert!(account.is_demo());
    assert!(account.last_synced_at.is_some());

    // Days: one point per day, followers at the day's end, rate = interactions / reach.
    let range = Range::new(day("2026-06-01"), today).unwrap();
    let points = series::series(&mut conn, id, range, Grain::Day)
        .await
        .unwrap();
    assert_eq!(points.len(), 30);
    let demo = gd_analytics::demo::DemoAccount::new("growth.desk");
    assert_eq!(points[0].followers, Some(demo.followers(day("2026-06-01"))));
    for p in &points {
        let rate = p.engagement_rate.unwrap();
        let expected = p.interactions.unwrap() as f64 / p.reach.unwrap() as f64;
        assert!((rate - expected).abs() < 1e-9);
    }
    // Weeks and months add the days up; followers are the bucket's last.
    let months = series::series(&mut conn, id, Range::last(365, today), Grain::Month)
        .await
        .unwrap();
    assert_eq!(months.len(), 12);
    let june = months.last().unwrap();
    assert_eq!(june.bucket, day("2026-06-01"));
    assert_eq!(june.followers, points.last().unwrap().followers);
    assert_eq!(
        june.views,
        Some(points.iter().map(|p| p.views.unwrap()).sum::<i64>())
    );

    // The summary compares with the same length before.
    let now = series::summary(&mut conn, id, range).await.unwrap();
    let before = series::summary(&mut conn, id, range.previous())
        .await
        .unwrap();
    assert_eq!(now.followers_end, points.last().unwrap().followers);
    // The count at the end of the day before: the first day's change belongs to the range.
    assert_eq!(now.followers_start, Some(demo.followers(day("2026-05-31"))));
    assert_eq!(
        now.growth(),
        Some(demo.followers(day("2026-06-30")) - demo.followers(day("2026-05-31")))
    );
    assert_eq!(
        before.followers_end,
        Some(demo.followers(day("2026-05-31")))
    );
    assert!(now.posts > 0);
    assert!(now.growth_rate().is_some());

    // Posting hours: the demo account posts at its three favourite hours (Berlin time).
    let hours = series::posting_hours(&mut conn, id, Range::last(365, today))
        .await
        .unwrap();
    assert!(!hours.is_empty() && hours.len() <= 21, "{hours:?}");
    let posts: i64 = hours.iter().map(|c| c.posts).sum();
    let total = series::summary(&mut conn, id, Range::last(365, today))
        .await
        .unwrap()
        .posts;
    assert_eq!(posts, total);
    assert!(hours.iter().all(|c| (1..=7).contains(&c.weekday)));

    // Top posts: by interactions, each with its latest numbers.
    let top = series::top_posts(&mut conn, id, range, 5).await.unwrap();
    assert!(!top.is_empty());
    assert!(top
        .windows(2)
        .all(|w| w[0].interactions.unwrap() >= w[1].interactions.unwrap()));
    drop(conn);

    // The next sync asks only for the last days again (networks revise them).
    let tomorrow = today + Duration::days(1);
    let synced = sync::sync_account(
        &pool,
        &networks,
        &key(),
        &mailer(),
        &settings(),
        id,
        tomorrow,
    )
    .await
    .unwrap();
    assert!(
        matches!(synced, Synced::Stored { days: 4, .. }),
        "{synced:?}"
    );
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM account_snapshots WHERE account_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(rows, 366);

    // CSV of the series: one line per point and a header.
    let mut conn = pool.acquire().await.unwrap();
    let points = series::series(&mut conn, id, range, Grain::Week)
        .await
        .unwrap();
    let csv = gd_analytics::export::series(&points, false).unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap().lines().count(),
        points.len() + 1
    );
}

#[sqlx::test(migrations = false)]
async fn the_schedule_queues_each_due_account_once(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let client = user(&pool).await;
    let mut tx = pool.begin().await.unwrap();
    let a = store::connect_demo(&mut tx, client, NetworkId::Instagram, "first.shop")
        .await
        .unwrap();
    let b = store::connect_demo(&mut tx, client, NetworkId::Instagram, "second.shop")
        .await
        .unwrap();
    assert!(store::disconnect(&mut tx, client, b).await.unwrap());
    assert!(!store::disconnect(&mut tx, Uuid::now_v7(), a).await.unwrap());
    assert_eq!(sync::enqueue_due(&mut tx, 100).await.unwrap(), 1);
    // Queued: not again until it ran (or its lease ran out).
    assert_eq!(sync::enqueue_due(&mut tx, 100).await.unwrap(), 0);
    tx.commit().await.unwrap();
    let jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::sync_social_account'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(jobs, 1);

    // "Sync now": not while one is queued; once it ran, at once (a demo account has no
    // network limits to respect).
    let mut conn = pool.acquire().await.unwrap();
    assert!(!sync::request_now(&mut conn, a).await.unwrap());
    sqlx::query(
        "UPDATE social_accounts SET queued_at = NULL, last_synced_at = now() WHERE id = $1",
    )
    .bind(a)
    .execute(&mut *conn)
    .await
    .unwrap();
    assert!(sync::request_now(&mut conn, a).await.unwrap());
    assert!(!sync::request_now(&mut conn, a).await.unwrap());
    assert!(
        !sync::request_now(&mut conn, b).await.unwrap(),
        "disconnected"
    );
}

/// An order for `client` with a finished follower delivery of `quantity` to `handle`.
async fn follower_delivery(
    pool: &PgPool,
    client: Uuid,
    handle: &str,
    quantity: i64,
    finished: chrono::DateTime<Utc>,
) -> Uuid {
    let product = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO products (id, slug, kind, target, name_de, name_en, unit_de, unit_en)
         VALUES ($1, $2, 'service', 'handle', 'Follower', 'Followers', 'Follower', 'Followers')",
    )
    .bind(product)
    .bind(format!("followers-{}", &product.simple().to_string()[24..]))
    .execute(pool)
    .await
    .unwrap();
    let order = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO orders (id, user_id, status, lang, mode, treatment, email, buyer_name,
             street, postal_code, city, country, terms_accepted_at, terms_version, net, vat,
             total, rates, gateway, paid_at, payment_intent_ref)
         VALUES ($1, $2, 'completed', 'de', 'payment', 'standard', 'a@example.de', 'Erika',
             'Hauptstraße 5', '80331', 'München', 'DE', now(), '2026-12-01', 8403, 1596, 9999,
             '[]', 'test', now(), $3)",
    )
    .bind(order)
    .bind(client)
    .bind(format!("pi_{order}"))
    .execute(pool)
    .await
    .unwrap();
    let line = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO order_lines (id, order_id, position, product_id, product_slug, product_name,
             billing, tier_key, description, target, quantity, unit_gross, vat_rate_bp, net, vat,
             total)
         VALUES ($1, $2, 1, $3, 'followers', 'Followers', 'one_off', '5k', '5.000 Follower',
             $4, 1, 9999, 1900, 8403, 1596, 9999)",
    )
    .bind(line)
    .bind(order)
    .bind(product)
    .bind(format!("@{handle}"))
    .execute(pool)
    .await
    .unwrap();
    let fulfilment = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO fulfilments (id, order_id, order_line_id, product_id, title, target,
             quantity, paid_net, paid_total, guarantee_days, method, status, started_at,
             finished_at)
         VALUES ($1, $2, $3, $4, 'Instagram Follower · 5.000', $5, $6, 8403, 9999, 30,
             'manual', 'completed', $7 - interval '2 days', $7)",
    )
    .bind(fulfilment)
    .bind(order)
    .bind(line)
    .bind(product)
    .bind(format!("@{handle}"))
    .bind(quantity)
    .bind(finished)
    .execute(pool)
    .await
    .unwrap();
    fulfilment
}

fn followers_on(day: NaiveDate, followers: i64) -> DayInsights {
    DayInsights {
        day,
        followers: Some(followers),
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn a_follower_drop_inside_the_guarantee_is_flagged_once(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let client = user(&pool).await;
    let today = Utc::now().date_naive();
    let finished = Utc::now() - Duration::days(5);
    let fulfilment = follower_delivery(&pool, client, "drop.shop", 5000, finished).await;
    let mut conn = pool.acquire().await.unwrap();
    let id = store::connect_demo(&mut conn, client, NetworkId::Instagram, "drop.shop")
        .await
        .unwrap();
    // Demo numbers never count against a delivery: nothing is flagged for them.
    store::save_pull(
        &mut conn,
        id,
        &Pull {
            profile: Profile {
                handle: "drop.shop".into(),
                followers: Some(1),
                ..Default::default()
            },
            days: vec![followers_on(finished.date_naive(), 15_000)],
            media: Vec::new(),
        },
        today,
    )
    .await
    .unwrap();
    assert_eq!(
        series::raise_drop_alerts(&mut conn, id, 10).await.unwrap(),
        0
    );
    // From here on the account's numbers come from Instagram.
    sqlx::query(
        "UPDATE social_accounts SET source = 'api', external_id = '1784', token_sealed = '\\x00'
         WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await
    .unwrap();
    let pull = |days: Vec<DayInsights>, now: i64| Pull {
        profile: Profile {
            external_id: "demo:drop.shop".into(),
            handle: "drop.shop".into(),
            followers: Some(now),
            ..Default::default()
        },
        days,
        media: Vec::new(),
    };
    let delivered_day = finished.date_naive();
    // 300 fewer than right after the delivery: 6 % of 5,000, under the 10 % line.
    store::save_pull(
        &mut conn,
        id,
        &pull(vec![followers_on(delivered_day, 15_000)], 14_700),
        today,
    )
    .await
    .unwrap();
    assert_eq!(
        series::raise_drop_alerts(&mut conn, id, 10).await.unwrap(),
        0
    );
    // 800 fewer: 16 %, flagged, once.
    store::save_pull(&mut conn, id, &pull(Vec::new(), 14_200), today)
        .await
        .unwrap();
    assert_eq!(
        series::raise_drop_alerts(&mut conn, id, 10).await.unwrap(),
        1
    );
    assert_eq!(
        series::raise_drop_alerts(&mut conn, id, 10).await.unwrap(),
        0
    );
    let alerts = series::open_alerts(&mut conn, 10).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0].followers_after, alerts[0].followers_now),
        (15_000, 14_200)
    );
    assert_eq!(alerts[0].delivered, 5000);

    // The delivery shows on the follower chart's range.
    let deliveries = series::deliveries(&mut conn, id, Range::last(30, today))
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].quantity, 5000);
    let _ = fulfilment;

    // Outside the guarantee window nothing is flagged.
    let old = follower_delivery(
        &pool,
        client,
        "drop.shop",
        5000,
        Utc::now() - Duration::days(60),
    )
    .await;
    assert_eq!(
        series::raise_drop_alerts(&mut conn, id, 10).await.unwrap(),
        0
    );
    let flagged: i64 =
        sqlx::query_scalar("SELECT count(*) FROM analytics_alerts WHERE fulfilment_id = $1")
            .bind(old)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(flagged, 0);
}

#[sqlx::test(migrations = false)]
async fn old_snapshots_are_forgotten_and_new_ones_announced(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let client = user(&pool).await;
    let live = gd_analytics::live::Live::start(&pool).await.unwrap();
    let mut news = live.subscribe();
    let networks = Networks::new(Vec::new());
    let mut conn = pool.acquire().await.unwrap();
    let id = store::connect_demo(&mut conn, client, NetworkId::Instagram, "old.shop")
        .await
        .unwrap();
    drop(conn);
    let today = Utc::now().date_naive();
    sync::sync_account(&pool, &networks, &key(), &mailer(), &settings(), id, today)
        .await
        .unwrap();
    let announced = tokio::time::timeout(std::time::Duration::from_secs(10), news.recv())
        .await
        .expect("the stored sync is announced")
        .unwrap();
    assert_eq!(announced, id);

    let mut conn = pool.acquire().await.unwrap();
    let gone = store::forget_old(&mut conn, 90).await.unwrap();
    assert!(gone > 250, "{gone}");
    let oldest: NaiveDate =
        sqlx::query_scalar("SELECT min(day) FROM account_snapshots WHERE account_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(oldest, today - Duration::days(90));
    let _ = Utc.timestamp_opt(0, 0);
}
