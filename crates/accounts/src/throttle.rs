//! Rate limits as fixed-window counters in PostgreSQL, so every server process counts
//! together. Buckets are keyed by IP, or by account *and* IP: an attacker elsewhere can use up
//! their own budget for an account, never the account owner's.

use std::time::Duration;

use sqlx::PgPool;

/// One limit: at most `limit` hits per `window_secs` in `bucket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub bucket: String,
    pub limit: i32,
    pub window_secs: i64,
}

impl Limit {
    pub fn new(bucket: impl Into<String>, limit: i32, window_secs: i64) -> Self {
        Self {
            bucket: bucket.into(),
            limit,
            window_secs,
        }
    }
}

/// Counts one hit against each limit. `Err(seconds)` when any is exceeded: retry after that.
///
/// Takes the pool, not the caller's transaction, on purpose: an attempt counts even when the
/// request that made it fails and rolls its own work back.
pub async fn throttle(pool: &PgPool, limits: &[Limit]) -> Result<Result<(), u64>, sqlx::Error> {
    let mut retry_after = None;
    for l in limits {
        let counted = sqlx::query!(
            r#"INSERT INTO rate_limits (bucket, window_start, hits)
               VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
               ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
               RETURNING hits,
                   extract(epoch FROM window_start + make_interval(secs => $2) - now())::float8
                       AS "left!""#,
            &l.bucket,
            l.window_secs as f64
        )
        .fetch_one(pool)
        .await?;
        let (hits, left) = (counted.hits, counted.left);
        if hits > l.limit {
            let secs = left.ceil().max(1.0) as u64;
            retry_after = Some(retry_after.map_or(secs, |r: u64| r.max(secs)));
        }
    }
    Ok(match retry_after {
        Some(secs) => Err(secs),
        None => Ok(()),
    })
}

/// Drops counters whose window started more than `retention` ago. The retention must be longer
/// than the longest window (one hour), or a running window would lose its count; the
/// configuration enforces that.
pub async fn forget_old_rate_limits(
    conn: &mut sqlx::PgConnection,
    retention: Duration,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM rate_limits WHERE window_start < now() - make_interval(secs => $1)",
        retention.as_secs_f64()
    )
    .execute(conn)
    .await?
    .rows_affected())
}
