//! The demo source: realistic, deterministic numbers for any handle, so that the portal's
//! analytics can be tried without an Instagram app. The same handle always gets the same
//! account (size, growth, posting habits) and the same number for the same day, whenever and
//! however often it is asked; every screen that shows them says "demo data".
//!
//! An account is a handful of traits drawn from the handle: followers on 1 January 2024,
//! a daily growth rate, how much of the audience a day reaches, how often and at which hours
//! it posts. Each day's numbers follow from the traits, the weekday and a noise drawn from
//! the handle and the day. Followers are a smooth curve, and what was gained and lost each day
//! adds up to it exactly, as a real account's numbers do.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

use crate::network::{
    AccountRef, DayInsights, LongLivedToken, Media, MediaInsights, Network, NetworkId, Profile,
    Pull, PullFuture,
};

/// How far back the first sync of a demo account goes: a year, so every chart has a shape.
pub const BACKFILL_DAYS: u32 = 365;
/// Posts older than this before the first day asked for are not returned.
const MEDIA_LOOKBACK_DAYS: i64 = 60;

/// The demo source for one network.
#[derive(Debug, Clone, Copy)]
pub struct Demo {
    pub network: NetworkId,
}

impl Demo {
    pub fn new(network: NetworkId) -> Self {
        Self { network }
    }
}

impl Network for Demo {
    fn id(&self) -> NetworkId {
        self.network
    }

    fn backfill_days(&self) -> u32 {
        BACKFILL_DAYS
    }

    fn pull<'a>(
        &'a self,
        account: &'a AccountRef,
        since: NaiveDate,
        until: NaiveDate,
    ) -> PullFuture<'a, Pull> {
        Box::pin(async move { Ok(DemoAccount::new(&account.handle).pull(since, until)) })
    }

    fn refresh_token<'a>(&'a self, _token: &'a str) -> PullFuture<'a, Option<LongLivedToken>> {
        Box::pin(async { Ok(None) })
    }
}

/// The id the demo source gives the account of `handle`.
pub fn external_id(handle: &str) -> String {
    format!("demo:{handle}")
}

/// One demo account's traits, drawn from its handle.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    handle: String,
    seed: u64,
    /// Followers on [`epoch`].
    base_followers: f64,
    /// Growth per day (0.0005 = 0.05 %).
    growth: f64,
    /// Share of the followers a day's content reaches.
    reach_share: f64,
    /// Chance (per cent) of a post on a given day.
    post_chance: u64,
    /// The hours it likes to post at (Berlin time).
    hours: [u32; 3],
}

/// The day the curves start from.
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()
}

/// SplitMix64: a fast, well-mixed hash of one number.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number in [0, 1) from `seed` and `parts`.
fn unit(seed: u64, parts: &[u64]) -> f64 {
    let h = parts.iter().fold(seed, |acc, p| mix(acc ^ mix(*p)));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn day_number(day: NaiveDate) -> u64 {
    u64::try_from((day - epoch()).num_days() + 100_000).unwrap_or_default()
}

impl DemoAccount {
    pub fn new(handle: &str) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(handle.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let seed = u64::from_le_bytes(first);
        let u = |n: u64| unit(seed, &[n]);
        // Log-uniform between 1,500 and 120,000 followers: most demo accounts are small.
        let base_followers = (1_500f64.ln() + u(1) * (120_000f64.ln() - 1_500f64.ln())).exp();
        let favourite = [7, 12, 18, 19, 20, 21];
        let pick = |n: u64| favourite[(mix(seed ^ n) % favourite.len() as u64) as usize];
        Self {
            handle: handle.to_owned(),
            seed,
            base_followers,
            growth: 0.0002 + u(2) * 0.0022,
            reach_share: 0.12 + u(3) * 0.3,
            post_chance: 25 + (mix(seed ^ 4) % 45),
            hours: [pick(5), pick(6), pick(7)],
        }
    }

    fn noise(&self, tag: u64, day: NaiveDate) -> f64 {
        unit(self.seed, &[tag, day_number(day)])
    }

    /// Followers at the end of `day`: steady growth, a slow wave, small daily wobbles.
    pub fn followers(&self, day: NaiveDate) -> i64 {
        let t = (day - epoch()).num_days() as f64;
        let wave = 1.0 + 0.015 * (t / 23.0 + (self.seed % 7) as f64).sin();
        let wobble = 1.0 + (self.noise(10, day) - 0.5) * 0.002;
        (self.base_followers * (self.growth * t).exp() * wave * wobble).round() as i64
    }

    /// Whether (and when) the account posted on `day`.
    fn post_time(&self, day: NaiveDate) -> Option<DateTime<Utc>> {
        let roll = mix(self.seed ^ mix(day_number(day) ^ 0xB00));
        if roll % 100 >= self.post_chance {
            return None;
        }
        let hour = self.hours[((roll >> 8) % 3) as usize];
        let minute = ((roll >> 16) % 60) as u32;
        // Berlin time to UTC (the favourite hours are local, summer or winter).
        let local = day.and_hms_opt(hour, minute, 0)?;
        Some(Utc.from_utc_datetime(&(local - Duration::hours(berlin_offset_hours(day)))))
    }

    fn day(&self, day: NaiveDate) -> DayInsights {
        let followers = self.followers(day);
        let before = day
            .pred_opt()
            .map(|d| self.followers(d))
            .unwrap_or(followers);
        // Some leave every day; whoever joined makes up the rest of the change.
        let lost = ((followers as f64) * (0.0004 + self.noise(11, day) * 0.0008)).round() as i64;
        let gained = (followers - before + lost).max(0);
        let lost = gained - (followers - before);
        let weekday = match day.weekday().num_days_from_monday() {
            5 | 6 => 1.15,
            0 => 0.9,
            _ => 1.0,
        };
        let posted = self.post_time(day).is_some();
        let reach = (followers as f64
            * self.reach_share
            * weekday
            * (if posted { 1.35 } else { 0.8 })
            * (0.75 + self.noise(12, day) * 0.5))
            .round();
        let views = (reach * (1.6 + self.noise(13, day) * 1.1)).round();
        let likes = (reach * (0.035 + self.noise(14, day) * 0.04)).round();
        let comments = (likes * (0.02 + self.noise(15, day) * 0.05)).round();
        let shares = (likes * (0.01 + self.noise(16, day) * 0.05)).round();
        let saves = (likes * (0.03 + self.noise(17, day) * 0.07)).round();
        let interactions = likes + comments + shares + saves;
        let engaged = (interactions * (0.7 + self.noise(18, day) * 0.2)).round();
        let taps = (reach * (0.001 + self.noise(19, day) * 0.003)).round();
        DayInsights {
            day,
            followers: Some(followers),
            views: Some(views as i64),
            reach: Some(reach as i64),
            accounts_engaged: Some(engaged as i64),
            total_interactions: Some(interactions as i64),
            likes: Some(likes as i64),
            comments: Some(comments as i64),
            shares: Some(shares as i64),
            saves: Some(saves as i64),
            followers_gained: Some(gained),
            followers_lost: Some(lost),
            profile_links_taps: Some(taps as i64),
        }
    }

    /// A post made on `day`, with its numbers as of `as_of`.
    fn media(&self, day: NaiveDate, at: DateTime<Utc>, as_of: NaiveDate) -> Media {
        let n = day_number(day);
        let kind = mix(self.seed ^ n ^ 0xA11) % 10;
        let (media_type, product_type) = match kind {
            0..=3 => ("VIDEO", "REELS"),
            4..=5 => ("CAROUSEL_ALBUM", "FEED"),
            _ => ("IMAGE", "FEED"),
        };
        // A post collects most of its numbers in its first days.
        let age = (as_of - day).num_days().max(0) as f64 + 0.5;
        let grown = 1.0 - (-age / 1.5).exp();
        let quality = 0.5 + self.noise(20, day);
        let reels = if product_type == "REELS" { 1.8 } else { 1.0 };
        let reach = self.followers(day) as f64 * self.reach_share * 1.6 * quality * reels * grown;
        let views = reach * (1.3 + self.noise(21, day)) * reels;
        let likes = reach * (0.05 + self.noise(22, day) * 0.06);
        let comments = likes * (0.02 + self.noise(23, day) * 0.05);
        let shares = likes * (0.01 + self.noise(24, day) * 0.06);
        let saved = likes * (0.03 + self.noise(25, day) * 0.08);
        let round = |x: f64| Some(x.round() as i64);
        let topics = [
            "Behind the scenes",
            "New in the shop",
            "Tips for your feed",
            "Weekend mood",
            "Customer story",
            "Our team",
            "Quick tutorial",
        ];
        let topic = topics[(mix(self.seed ^ n ^ 0xC0) % topics.len() as u64) as usize];
        let id = format!("demo-{}-{}", self.handle, day.format("%Y%m%d"));
        Media {
            permalink: Some(format!("https://www.instagram.com/{}/", self.handle)),
            thumbnail_url: Some(thumbnail(self.seed ^ n)),
            external_id: id,
            media_type: media_type.to_owned(),
            product_type: Some(product_type.to_owned()),
            caption: Some(format!("{topic} · {}", day.format("%d.%m.%Y"))),
            posted_at: at,
            insights: MediaInsights {
                views: round(views),
                reach: round(reach),
                likes: round(likes),
                comments: round(comments),
                saved: round(saved),
                shares: round(shares),
                total_interactions: round(likes + comments + shares + saved),
            },
        }
    }

    /// What a sync of the days `since..=until` brings back.
    pub fn pull(&self, since: NaiveDate, until: NaiveDate) -> Pull {
        let days: Vec<DayInsights> = since
            .iter_days()
            .take_while(|d| *d <= until)
            .map(|d| self.day(d))
            .collect();
        let first_post_day = since - Duration::days(MEDIA_LOOKBACK_DAYS);
        let media: Vec<Media> = first_post_day
            .iter_days()
            .take_while(|d| *d <= until)
            .filter_map(|d| self.post_time(d).map(|at| self.media(d, at, until)))
            .collect();
        let posts_before = (self.base_followers / 120.0).round() as i64;
        let posts_since_epoch = epoch()
            .iter_days()
            .take_while(|d| *d <= until)
            .filter(|d| self.post_time(*d).is_some())
            .count() as i64;
        Pull {
            profile: Profile {
                external_id: external_id(&self.handle),
                handle: self.handle.clone(),
                name: Some(title_case(&self.handle)),
                picture_url: None,
                account_type: Some("BUSINESS".into()),
                followers: Some(self.followers(until)),
                follows: Some(150 + (self.seed % 600) as i64),
                media_count: Some(posts_before + posts_since_epoch),
            },
            days,
            media,
        }
    }
}

/// Berlin's offset from UTC on `day`: 2 hours from the last Sunday of March to the last
/// Sunday of October (EU summer time), else 1.
fn berlin_offset_hours(day: NaiveDate) -> i64 {
    let last_sunday = |month: u32| {
        let next_month = NaiveDate::from_ymd_opt(day.year(), month + 1, 1).unwrap_or(day);
        let last = next_month.pred_opt().unwrap_or(day);
        last - Duration::days(i64::from(last.weekday().num_days_from_sunday()))
    };
    if day >= last_sunday(3) && day < last_sunday(10) {
        2
    } else {
        1
    }
}

/// "growth.desk" → "Growth Desk".
fn title_case(handle: &str) -> String {
    handle
        .split(['.', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A small gradient square as the post's picture (a `data:` address: nothing is fetched).
fn thumbnail(seed: u64) -> String {
    let hue = mix(seed) % 360;
    let hue2 = (hue + 40 + mix(seed ^ 1) % 80) % 360;
    format!(
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 4 4'%3E\
         %3Cdefs%3E%3ClinearGradient id='g' x2='1' y2='1'%3E\
         %3Cstop offset='0' stop-color='hsl({hue},70%25,60%25)'/%3E\
         %3Cstop offset='1' stop-color='hsl({hue2},70%25,45%25)'/%3E\
         %3C/linearGradient%3E%3C/defs%3E%3Crect width='4' height='4' fill='url(%23g)'/%3E%3C/svg%3E"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_same_handle_gives_the_same_numbers() {
        let a = DemoAccount::new("growth.desk").pull(day("2026-01-01"), day("2026-03-31"));
        let b = DemoAccount::new("growth.desk").pull(day("2026-01-01"), day("2026-03-31"));
        assert_eq!(a, b);
        let other = DemoAccount::new("other.shop").pull(day("2026-01-01"), day("2026-03-31"));
        assert_ne!(a.profile.followers, other.profile.followers);
        // A later sync of an overlapping range agrees on the days both cover.
        let later = DemoAccount::new("growth.desk").pull(day("2026-03-01"), day("2026-04-30"));
        assert_eq!(a.days[59..], later.days[..31]);
    }

    #[test]
    fn gains_and_losses_add_up_to_the_follower_curve() {
        let account = DemoAccount::new("growth.desk");
        let pull = account.pull(day("2025-06-01"), day("2026-05-31"));
        assert_eq!(pull.days.len(), 365);
        for pair in pull.days.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let change = b.followers.unwrap() - a.followers.unwrap();
            assert_eq!(
                b.followers_gained.unwrap() - b.followers_lost.unwrap(),
                change
            );
            assert!(b.followers_gained.unwrap() >= 0 && b.followers_lost.unwrap() >= 0);
            let d = b;
            assert_eq!(
                d.total_interactions.unwrap(),
                d.likes.unwrap() + d.comments.unwrap() + d.shares.unwrap() + d.saves.unwrap()
            );
            assert!(d.views.unwrap() >= d.reach.unwrap());
        }
        // Realistic: it posts on some days, not all, and engagement is a few per cent.
        let posts = pull.media.len();
        assert!((60..330).contains(&posts), "{posts} posts");
        let reach: i64 = pull.days.iter().map(|d| d.reach.unwrap()).sum();
        let interactions: i64 = pull
            .days
            .iter()
            .map(|d| d.total_interactions.unwrap())
            .sum();
        let rate = interactions as f64 / reach as f64;
        assert!((0.01..0.2).contains(&rate), "engagement {rate}");
        assert_eq!(pull.profile.followers, pull.days.last().unwrap().followers);
    }

    #[test]
    fn berlin_summer_time() {
        assert_eq!(berlin_offset_hours(day("2026-03-28")), 1);
        assert_eq!(berlin_offset_hours(day("2026-03-29")), 2);
        assert_eq!(berlin_offset_hours(day("2026-10-24")), 2);
        assert_eq!(berlin_offset_hours(day("2026-10-25")), 1);
        assert_eq!(berlin_offset_hours(day("2026-12-24")), 1);
    }

    #[test]
    fn names_and_pictures() {
        assert_eq!(title_case("growth.desk"), "Growth Desk");
        assert!(thumbnail(1).starts_with("data:image/svg+xml,"));
    }
}
