//! `analytics-bench`: the dashboard's queries on a big generated data set. Fills a fresh
//! database (`DATABASE_URL`, migrated here) with `BENCH_ACCOUNTS` accounts (default 1,000),
//! each with two years of daily snapshots, and `BENCH_MEDIA` posts (default 100,000) with
//! `BENCH_MEDIA_DAYS` daily snapshots each (default 14), then times every query the dashboard runs for random accounts and ranges
//! and prints p50/p95 per query. Run by `scripts/analytics-bench.sh` (part of `make bench`).

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use gd_analytics::series::{self, Grain, Range};
use uuid::Uuid;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL")?;
    let accounts = env_num("BENCH_ACCOUNTS", 1_000) as i64;
    let media = env_num("BENCH_MEDIA", 100_000) as i64;
    let rounds = env_num("BENCH_ROUNDS", 200) as usize;
    let pool = gd_db::connect(&url, 4).await?;
    gd_db::migrate(&pool).await?;

    let started = Instant::now();
    sqlx::query(
        "INSERT INTO users (id, email) SELECT gen_random_uuid(), 'bench' || n || '@example.de'
         FROM generate_series(1, $1) n",
    )
    .bind(accounts)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO social_accounts (id, user_id, network, source, external_id, handle)
         SELECT gen_random_uuid(), id, 'instagram', 'demo', 'demo:' || email, split_part(email, '@', 1)
         FROM users",
    )
    .execute(&pool)
    .await?;
    // Two years of days per account: a growing follower curve and the day's insights.
    sqlx::query(
        "INSERT INTO account_snapshots (account_id, day, followers, follows, media_count, views,
             reach, accounts_engaged, total_interactions, likes, comments, shares, saves,
             followers_gained, followers_lost, profile_links_taps)
         SELECT a.id, d::date, 5000 + i * 7 + (random() * 50)::int, 300, 100 + i / 3,
                (2000 + random() * 3000)::int, (1000 + random() * 1500)::int,
                (50 + random() * 80)::int, (60 + random() * 90)::int, (50 + random() * 70)::int,
                (random() * 10)::int, (random() * 5)::int, (random() * 8)::int,
                (10 + random() * 20)::int, (random() * 8)::int, (random() * 6)::int
         FROM social_accounts a
         CROSS JOIN LATERAL generate_series(current_date - 729, current_date, '1 day')
             WITH ORDINALITY AS g(d, i)",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO social_media (id, account_id, external_id, media_type, product_type, caption,
             posted_at)
         SELECT gen_random_uuid(), a.id, 'm' || n, 'IMAGE', 'FEED', 'Post ' || n,
                now() - random() * interval '730 days'
         FROM generate_series(1, $1) n
         JOIN LATERAL (SELECT id FROM social_accounts
                       ORDER BY id OFFSET (n % $2) LIMIT 1) a ON true",
    )
    .bind(media)
    .bind(accounts)
    .execute(&pool)
    .await?;
    // A post is synced daily while it is new: `BENCH_MEDIA_DAYS` snapshots each (default 14),
    // the dashboard reads the latest.
    let media_days = env_num("BENCH_MEDIA_DAYS", 14) as i32;
    sqlx::query(
        "INSERT INTO media_snapshots (media_id, day, views, reach, likes, comments, saved,
             shares, total_interactions)
         SELECT m.id, (m.posted_at)::date + k, (random() * 5000)::int, (random() * 3000)::int,
                (random() * 300)::int, (random() * 20)::int, (random() * 30)::int,
                (random() * 10)::int, (random() * 360)::int
         FROM social_media m CROSS JOIN generate_series(0, $1 - 1) k",
    )
    .bind(media_days)
    .execute(&pool)
    .await?;
    sqlx::query("ANALYZE").execute(&pool).await?;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM account_snapshots")
        .fetch_one(&pool)
        .await?;
    let media_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM media_snapshots")
        .fetch_one(&pool)
        .await?;
    println!(
        "generated {accounts} accounts, {rows} daily snapshots, {media} posts with {media_rows} \
         post snapshots in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM social_accounts")
        .fetch_all(&pool)
        .await?;
    let today = Utc::now().date_naive();
    let ranges = [30i64, 90, 365, 730];
    let names = [
        "series (range's own grain)",
        "summary",
        "summary of the range before",
        "posting hours",
        "top posts",
        "whole dashboard",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    let mut conn = pool.acquire().await?;
    for round in 0..rounds {
        let id = ids[(round * 7919) % ids.len()];
        let range = Range::last(ranges[round % ranges.len()], today);
        let grain = Grain::for_range(&range);
        let whole = Instant::now();
        let t = Instant::now();
        series::series(&mut conn, id, range, grain).await?;
        times[0].push(t.elapsed());
        let t = Instant::now();
        series::summary(&mut conn, id, range).await?;
        times[1].push(t.elapsed());
        let t = Instant::now();
        series::summary(&mut conn, id, range.previous()).await?;
        times[2].push(t.elapsed());
        let t = Instant::now();
        series::posting_hours(&mut conn, id, range).await?;
        times[3].push(t.elapsed());
        let t = Instant::now();
        series::top_posts(&mut conn, id, range, 12).await?;
        times[4].push(t.elapsed());
        series::deliveries(&mut conn, id, range).await?;
        times[5].push(whole.elapsed());
    }
    println!("{rounds} dashboards (ranges 30/90/365/730 days, random accounts):");
    for (name, mut list) in names.iter().zip(times) {
        list.sort_unstable();
        println!(
            "  {name:<30} p50 {:>6.2} ms   p95 {:>6.2} ms",
            percentile(&list, 0.5).as_secs_f64() * 1000.0,
            percentile(&list, 0.95).as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
