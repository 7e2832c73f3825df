//! What the dashboard shows, computed in SQL from the snapshots: series by day, week or month,
//! a range's summary (and the previous range's, to compare), posting hours by weekday, top
//! posts, the client's deliveries on the follower curve, and follower drops inside a
//! delivery's guarantee window.
//!
//! Engagement rate is interactions / reach of the same days. Reach is the sum of daily reach
//! (Instagram counts unique accounts per day; a range's unique reach is not derivable from
//! days), which the portal labels as such. Posting hours are Berlin time.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::AnalyticsError;

/// The longest range the dashboard shows (two years and a leap day).
pub const MAX_RANGE_DAYS: i64 = 731;

/// Days `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The earliest and latest days a range may touch: nothing is kept outside them, and dates
/// far off (chrono reads years like -262143) must not reach date arithmetic.
fn bounds() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(2100, 12, 31).unwrap_or(NaiveDate::MAX),
    )
}

impl Range {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, AnalyticsError> {
        let (first, last) = bounds();
        if from < first || to > last {
            return Err(AnalyticsError::Invalid(
                "dates from 2000 to 2100, please".into(),
            ));
        }
        if to < from {
            return Err(AnalyticsError::Invalid(
                "the range ends before it starts".into(),
            ));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(AnalyticsError::Invalid(
                "a range covers at most two years".into(),
            ));
        }
        Ok(Self { from, to })
    }

    /// The last `days` days up to `to` (kept within the years a range may touch).
    pub fn last(days: i64, to: NaiveDate) -> Self {
        let (first, last) = bounds();
        let to = to.clamp(first, last);
        let days = days.clamp(1, MAX_RANGE_DAYS);
        Self {
            from: to
                .checked_sub_signed(chrono::Duration::days(days - 1))
                .unwrap_or(first)
                .max(first),
            to,
        }
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The range of the same length just before this one.
    pub fn previous(&self) -> Self {
        let back = |d: NaiveDate, n: i64| {
            d.checked_sub_signed(chrono::Duration::days(n))
                .unwrap_or(NaiveDate::MIN)
        };
        let to = back(self.from, 1);
        Self {
            from: back(to, self.days() - 1),
            to,
        }
    }
}

/// How points are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    Day,
    Week,
    Month,
}

impl Grain {
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Grain::Day),
            "week" => Some(Grain::Week),
            "month" => Some(Grain::Month),
            _ => None,
        }
    }

    /// A grain that keeps a chart readable: days up to three months, weeks up to a year.
    pub fn for_range(range: &Range) -> Self {
        match range.days() {
            ..=92 => Grain::Day,
            93..=366 => Grain::Week,
            _ => Grain::Month,
        }
    }
}

/// One point of the account's series: the bucket's first day (a week or month cut by the
/// range starts where the range does), followers at its end, and the sums of its days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub bucket: NaiveDate,
    pub followers: Option<i64>,
    pub followers_gained: Option<i64>,
    pub followers_lost: Option<i64>,
    pub views: Option<i64>,
    pub reach: Option<i64>,
    pub interactions: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub saves: Option<i64>,
    pub profile_links_taps: Option<i64>,
    /// interactions / reach, when reach is known and not zero.
    pub engagement_rate: Option<f64>,
}

/// The account's series over `range`, by `grain`.
pub async fn series(
    conn: &mut PgConnection,
    account: Uuid,
    range: Range,
    grain: Grain,
) -> Result<Vec<Point>, AnalyticsError> {
    Ok(sqlx::query_as!(
        Point,
        r#"SELECT greatest(date_trunc($4, day)::date, $2) AS "bucket!: NaiveDate",
                  (array_agg(followers ORDER BY day DESC)
                       FILTER (WHERE followers IS NOT NULL))[1] AS followers,
                  sum(followers_gained)::int8 AS followers_gained,
                  sum(followers_lost)::int8 AS followers_lost,
                  sum(views)::int8 AS views,
                  sum(reach)::int8 AS reach,
                  sum(total_interactions)::int8 AS interactions,
                  sum(likes)::int8 AS likes,
                  sum(comments)::int8 AS comments,
                  sum(shares)::int8 AS shares,
                  sum(saves)::int8 AS saves,
                  sum(profile_links_taps)::int8 AS profile_links_taps,
                  (sum(total_interactions) FILTER (WHERE reach > 0))::float8
                      / nullif(sum(reach) FILTER (WHERE total_interactions IS NOT NULL), 0)
                      AS engagement_rate
           FROM account_snapshots
           WHERE account_id = $1 AND day BETWEEN $2 AND $3
           GROUP BY 1
           ORDER BY 1"#,
        account,
        range.from as _,
        range.to as _,
        grain.as_str()
    )
    .fetch_all(conn)
    .await?)
}

/// A range in figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Followers at the start (the count at the end of the day before its first day, else
    /// its first count) and at the end (the last count on or before its last day).
    pub followers_start: Option<i64>,
    pub followers_end: Option<i64>,
    pub views: Option<i64>,
    pub reach: Option<i64>,
    pub interactions: Option<i64>,
    pub engagement_rate: Option<f64>,
    pub posts: i64,
}

impl Summary {
    pub fn growth(&self) -> Option<i64> {
        Some(self.followers_end? - self.followers_start?)
    }

    /// Growth as a share of the followers at the start.
    pub fn growth_rate(&self) -> Option<f64> {
        let start = self.followers_start.filter(|s| *s > 0)?;
        Some(self.growth()? as f64 / start as f64)
    }
}

/// The figures of `range`.
pub async fn summary(
    conn: &mut PgConnection,
    account: Uuid,
    range: Range,
) -> Result<Summary, AnalyticsError> {
    Ok(sqlx::query_as!(
        Summary,
        r#"SELECT
               -- At the start: the count at the end of the day before (so the first day's
               -- change belongs to this range, not to none), else the first one inside.
               coalesce(
                   (SELECT followers FROM account_snapshots
                    WHERE account_id = $1 AND day < $2 AND followers IS NOT NULL
                    ORDER BY day DESC LIMIT 1),
                   (SELECT followers FROM account_snapshots
                    WHERE account_id = $1 AND day BETWEEN $2 AND $3 AND followers IS NOT NULL
                    ORDER BY day LIMIT 1)) AS followers_start,
               (SELECT followers FROM account_snapshots
                WHERE account_id = $1 AND day <= $3 AND followers IS NOT NULL
                ORDER BY day DESC LIMIT 1) AS followers_end,
               t.views, t.reach, t.interactions, t.engagement_rate,
               (SELECT count(*) FROM social_media
                WHERE account_id = $1 AND posted_at >= $2::date
                  AND posted_at < $3::date + 1) AS "posts!"
           FROM (SELECT sum(views)::int8 AS views, sum(reach)::int8 AS reach,
                        sum(total_interactions)::int8 AS interactions,
                        (sum(total_interactions) FILTER (WHERE reach > 0))::float8
                            / nullif(sum(reach) FILTER (WHERE total_interactions IS NOT NULL), 0)
                            AS engagement_rate
                 FROM account_snapshots
                 WHERE account_id = $1 AND day BETWEEN $2 AND $3) t"#,
        account,
        range.from as _,
        range.to as _
    )
    .fetch_one(conn)
    .await?)
}

/// Posts made in one weekday hour (Berlin time) of a range, and how they did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourCell {
    /// 1 = Monday … 7 = Sunday.
    pub weekday: i32,
    /// 0 … 23.
    pub hour: i32,
    pub posts: i64,
    /// Interactions per post (its latest numbers).
    pub avg_interactions: Option<f64>,
    /// Interactions / reach over the hour's posts.
    pub engagement_rate: Option<f64>,
}

/// The range's posts by weekday and hour (only cells with posts).
pub async fn posting_hours(
    conn: &mut PgConnection,
    account: Uuid,
    range: Range,
) -> Result<Vec<HourCell>, AnalyticsError> {
    Ok(sqlx::query_as!(
        HourCell,
        r#"SELECT extract(isodow FROM local)::int4 AS "weekday!",
                  extract(hour FROM local)::int4 AS "hour!",
                  count(*) AS "posts!",
                  avg(s.total_interactions)::float8 AS avg_interactions,
                  (sum(s.total_interactions) FILTER (WHERE s.reach > 0))::float8
                      / nullif(sum(s.reach) FILTER (WHERE s.total_interactions IS NOT NULL), 0)
                      AS engagement_rate
           FROM (SELECT m.id, m.posted_at AT TIME ZONE 'Europe/Berlin' AS local
                 FROM social_media m
                 WHERE m.account_id = $1 AND m.posted_at >= $2::date
                   AND m.posted_at < $3::date + 1) m
           LEFT JOIN LATERAL (SELECT total_interactions, reach FROM media_snapshots
                              WHERE media_id = m.id ORDER BY day DESC LIMIT 1) s ON true
           GROUP BY 1, 2
           ORDER BY 1, 2"#,
        account,
        range.from as _,
        range.to as _
    )
    .fetch_all(conn)
    .await?)
}

/// A post and its latest numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub external_id: String,
    pub media_type: String,
    pub product_type: Option<String>,
    pub caption: Option<String>,
    pub permalink: Option<String>,
    pub thumbnail_url: Option<String>,
    pub posted_at: DateTime<Utc>,
    pub views: Option<i64>,
    pub reach: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub saved: Option<i64>,
    pub shares: Option<i64>,
    pub interactions: Option<i64>,
    pub engagement_rate: Option<f64>,
}

/// The range's posts with the most interactions, at most `limit`.
pub async fn top_posts(
    conn: &mut PgConnection,
    account: Uuid,
    range: Range,
    limit: i64,
) -> Result<Vec<Post>, AnalyticsError> {
    Ok(sqlx::query_as!(
        Post,
        r#"SELECT m.external_id, m.media_type, m.product_type, m.caption, m.permalink,
                  m.thumbnail_url, m.posted_at AS "posted_at: DateTime<Utc>", s.views, s.reach, s.likes, s.comments,
                  s.saved, s.shares, s.total_interactions AS interactions,
                  s.total_interactions::float8 / nullif(s.reach, 0) AS engagement_rate
           FROM social_media m
           LEFT JOIN LATERAL (SELECT * FROM media_snapshots
                              WHERE media_id = m.id ORDER BY day DESC LIMIT 1) s ON true
           WHERE m.account_id = $1 AND m.posted_at >= $2::date AND m.posted_at < $3::date + 1
           ORDER BY s.total_interactions DESC NULLS LAST, m.posted_at DESC
           LIMIT $4"#,
        account,
        range.from as _,
        range.to as _,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// A delivery the client bought for this account: when it started and finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub order_number: i64,
    pub title: String,
    pub quantity: i64,
    pub status: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Deliveries to this account (the client's orders whose target is its handle) that ran at
/// any time within `range`.
pub async fn deliveries(
    conn: &mut PgConnection,
    account: Uuid,
    range: Range,
) -> Result<Vec<Delivery>, AnalyticsError> {
    Ok(sqlx::query_as!(
        Delivery,
        r#"SELECT o.number AS order_number, f.title, f.quantity, f.status,
                  coalesce(f.started_at, f.submitted_at) AS "started_at: DateTime<Utc>",
                  f.finished_at AS "finished_at: DateTime<Utc>"
           FROM social_accounts a
           JOIN orders o ON o.user_id = a.user_id
           JOIN fulfilments f ON f.order_id = o.id
           WHERE a.id = $1
             AND ltrim(lower(f.target), '@') = a.handle
             AND f.status <> 'cancelled'
             -- Running at any time within the range.
             AND coalesce(f.started_at, f.submitted_at, f.created_at) < $3::date + 1
             AND coalesce(f.finished_at, now()) >= $2::date
           ORDER BY coalesce(f.started_at, f.submitted_at, f.created_at)"#,
        account,
        range.from as _,
        range.to as _
    )
    .fetch_all(conn)
    .await?)
}

/// Flags follower deliveries to this account (connected through the network's API: demo
/// numbers never count) that are inside their guarantee window and whose followers dropped,
/// since the delivery finished, by more than `percent` of what was delivered (a partial
/// delivery: what arrived). One alert per delivery; answers how many are new.
pub async fn raise_drop_alerts(
    conn: &mut PgConnection,
    account: Uuid,
    percent: u32,
) -> Result<u64, AnalyticsError> {
    let raised = sqlx::query!(
        r#"INSERT INTO analytics_alerts (id, account_id, fulfilment_id, followers_after,
               followers_now)
           SELECT gen_random_uuid(), a.id, f.id, after.followers, now_.followers
           FROM social_accounts a
           JOIN orders o ON o.user_id = a.user_id
           JOIN fulfilments f ON f.order_id = o.id
           JOIN products p ON p.id = f.product_id
           CROSS JOIN LATERAL (SELECT followers FROM account_snapshots
                               WHERE account_id = a.id AND followers IS NOT NULL
                                 AND day >= (f.finished_at AT TIME ZONE 'UTC')::date
                               ORDER BY day LIMIT 1) after
           CROSS JOIN LATERAL (SELECT followers FROM account_snapshots
                               WHERE account_id = a.id AND followers IS NOT NULL
                               ORDER BY day DESC LIMIT 1) now_
           WHERE a.id = $1
             -- Generated numbers never count against a delivery.
             AND a.source = 'api'
             AND ltrim(lower(f.target), '@') = a.handle
             AND f.status IN ('completed', 'partial')
             AND p.target = 'handle' AND p.unit_en ILIKE 'follower%'
             AND f.finished_at + make_interval(days => f.guarantee_days) >= now()
             AND (after.followers - now_.followers) * 100
                 > (f.quantity - coalesce(f.remains, 0)) * $2
           ON CONFLICT (fulfilment_id) DO NOTHING"#,
        account,
        i64::from(percent)
    )
    .execute(conn)
    .await?;
    Ok(raised.rows_affected())
}

/// A follower drop the admins are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropAlert {
    pub id: Uuid,
    pub account_id: Uuid,
    pub handle: String,
    pub email: String,
    pub order_id: Uuid,
    pub order_number: i64,
    pub delivered: i64,
    pub followers_after: i64,
    pub followers_now: i64,
    pub raised_at: DateTime<Utc>,
}

/// Alerts not yet marked seen, newest first.
pub async fn open_alerts(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<DropAlert>, AnalyticsError> {
    Ok(sqlx::query_as!(
        DropAlert,
        r#"SELECT al.id, al.account_id, a.handle, u.email, o.id AS order_id,
                  o.number AS order_number, f.quantity AS delivered, al.followers_after,
                  al.followers_now, al.raised_at AS "raised_at: DateTime<Utc>"
           FROM analytics_alerts al
           JOIN social_accounts a ON a.id = al.account_id
           JOIN users u ON u.id = a.user_id
           JOIN fulfilments f ON f.id = al.fulfilment_id
           JOIN orders o ON o.id = f.order_id
           WHERE al.seen_at IS NULL
           ORDER BY al.raised_at DESC
           LIMIT $1"#,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Marks alert `id` as looked at; false when there is none such (or it was already).
pub async fn mark_alert_seen(conn: &mut PgConnection, id: Uuid) -> Result<bool, AnalyticsError> {
    let done = sqlx::query!(
        "UPDATE analytics_alerts SET seen_at = now() WHERE id = $1 AND seen_at IS NULL",
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_compare_with_the_same_length_before() {
        let r = Range::new(day("2026-03-01"), day("2026-03-31")).unwrap();
        assert_eq!(r.days(), 31);
        let p = r.previous();
        assert_eq!((p.from, p.to), (day("2026-01-29"), day("2026-02-28")));
        assert!(Range::new(day("2026-03-02"), day("2026-03-01")).is_err());
        assert!(Range::new(day("2024-01-01"), day("2026-01-01")).is_err());
        assert_eq!(Range::last(30, day("2026-03-31")).from, day("2026-03-02"));
        assert_eq!(Grain::for_range(&r), Grain::Day);
        assert_eq!(Grain::for_range(&Range::last(365, r.to)), Grain::Week);
        assert_eq!(Grain::for_range(&Range::last(700, r.to)), Grain::Month);
    }
}
