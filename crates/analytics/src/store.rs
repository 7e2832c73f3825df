//! Connected accounts and their snapshots in PostgreSQL. Every function takes the caller's
//! connection: the caller owns the transaction.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::crypto::TokenKey;
use crate::network::{LongLivedToken, NetworkId, Profile, Pull, Source};
use crate::{live, AnalyticsError};

/// A connected account as the portal and the sync see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub id: Uuid,
    pub user_id: Uuid,
    pub network: String,
    pub source: String,
    pub external_id: String,
    pub handle: String,
    pub name: Option<String>,
    pub picture_url: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub connected_at: DateTime<Utc>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub next_sync_at: DateTime<Utc>,
    pub sync_error: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
}

impl Account {
    pub fn network_id(&self) -> Option<NetworkId> {
        NetworkId::parse(&self.network)
    }

    pub fn source_kind(&self) -> Option<Source> {
        Source::parse(&self.source)
    }

    pub fn is_demo(&self) -> bool {
        self.source == Source::Demo.as_str()
    }
}

macro_rules! select_account {
    ($where:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            Account,
            r#"SELECT id, user_id, network, source, external_id, handle, name, picture_url,
                      status, status_reason,
                      connected_at AS "connected_at: DateTime<Utc>",
                      last_synced_at AS "last_synced_at: DateTime<Utc>",
                      next_sync_at AS "next_sync_at: DateTime<Utc>",
                      sync_error, token_expires_at AS "token_expires_at: DateTime<Utc>"
               FROM social_accounts "# + $where,
            $($arg),*
        )
    };
}

/// The account `id`.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Account, AnalyticsError> {
    select_account!("WHERE id = $1", id)
        .fetch_optional(conn)
        .await?
        .ok_or(AnalyticsError::NotFound)
}

/// The accounts of `user_id`, oldest connection first.
pub async fn for_user(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Vec<Account>, AnalyticsError> {
    Ok(
        select_account!("WHERE user_id = $1 ORDER BY connected_at, id", user_id)
            .fetch_all(conn)
            .await?,
    )
}

/// An account with the client it belongs to, for the admins' list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientAccount {
    pub id: Uuid,
    pub email: String,
    pub network: String,
    pub source: String,
    pub handle: String,
    pub status: String,
    pub last_synced_at: Option<DateTime<Utc>>,
}

/// Every connected account (admins open any client's dashboard), newest first.
pub async fn all(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<ClientAccount>, AnalyticsError> {
    Ok(sqlx::query_as!(
        ClientAccount,
        r#"SELECT a.id, u.email, a.network, a.source, a.handle, a.status,
                  a.last_synced_at AS "last_synced_at: DateTime<Utc>"
         FROM social_accounts a JOIN users u ON u.id = a.user_id
         ORDER BY a.connected_at DESC, a.id
         LIMIT $1"#,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Connects a demo account for `handle` (or answers the one already connected): its first
/// sync is due at once.
pub async fn connect_demo(
    conn: &mut PgConnection,
    user_id: Uuid,
    network: NetworkId,
    handle: &str,
) -> Result<Uuid, AnalyticsError> {
    let handle = gd_common::InstagramHandle::parse(handle)
        .map_err(|_| {
            AnalyticsError::Invalid(
                "an Instagram handle has up to 30 letters, digits, dots and underscores".into(),
            )
        })?
        .as_str()
        .to_owned();
    let id: Uuid = sqlx::query_scalar!(
        r#"INSERT INTO social_accounts (id, user_id, network, source, external_id, handle)
           VALUES ($1, $2, $3, 'demo', $4, $5)
           ON CONFLICT (user_id, network, external_id) DO UPDATE
               SET status = 'active', status_reason = NULL, queued_at = NULL
           RETURNING id"#,
        Uuid::now_v7(),
        user_id,
        network.as_str(),
        crate::demo::external_id(&handle),
        handle
    )
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Connects (or connects again) the account behind `profile` with its long-lived token,
/// sealed. Its sync is due at once.
pub async fn connect_api(
    conn: &mut PgConnection,
    key: &TokenKey,
    user_id: Uuid,
    network: NetworkId,
    profile: &Profile,
    token: &LongLivedToken,
) -> Result<Uuid, AnalyticsError> {
    let existing: Option<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM social_accounts WHERE user_id = $1 AND network = $2 AND external_id = $3
         FOR UPDATE",
        user_id,
        network.as_str(),
        profile.external_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let id = existing.unwrap_or_else(Uuid::now_v7);
    let sealed = key.seal(id, &token.token)?;
    let expires_at = Utc::now() + token.expires_in;
    sqlx::query!(
        "INSERT INTO social_accounts (id, user_id, network, source, external_id, handle, name,
             picture_url, account_type, token_sealed, token_expires_at, token_refreshed_at)
         VALUES ($1, $2, $3, 'api', $4, $5, $6, $7, $8, $9, $10, now())
         ON CONFLICT (id) DO UPDATE SET handle = $5, name = $6, picture_url = $7,
             account_type = $8, token_sealed = $9, token_expires_at = $10,
             token_refreshed_at = now(), status = 'active', status_reason = NULL,
             sync_error = NULL, sync_failures = 0, next_sync_at = now(), queued_at = NULL",
        id,
        user_id,
        network.as_str(),
        profile.external_id,
        clip(&profile.handle, 60),
        profile.name.as_deref().map(|n| clip(n, 200)),
        profile.picture_url.as_deref().filter(|u| u.len() <= 2000),
        profile.account_type.as_deref().map(|t| clip(t, 40)),
        sealed,
        expires_at as _
    )
    .execute(conn)
    .await?;
    Ok(id)
}

/// The account's token, opened; `None` for the demo source or without a token.
pub async fn token(
    conn: &mut PgConnection,
    key: &TokenKey,
    id: Uuid,
) -> Result<Option<String>, AnalyticsError> {
    let sealed: Option<Vec<u8>> =
        sqlx::query_scalar!("SELECT token_sealed FROM social_accounts WHERE id = $1", id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AnalyticsError::NotFound)?;
    sealed.map(|s| key.open(id, &s)).transpose()
}

/// Keeps a refreshed token (unless the account was disconnected meanwhile).
pub async fn store_refreshed_token(
    conn: &mut PgConnection,
    key: &TokenKey,
    id: Uuid,
    token: &LongLivedToken,
) -> Result<(), AnalyticsError> {
    let sealed = key.seal(id, &token.token)?;
    let expires_at = Utc::now() + token.expires_in;
    sqlx::query!(
        "UPDATE social_accounts SET token_sealed = $2, token_expires_at = $3,
             token_refreshed_at = now()
         WHERE id = $1 AND status = 'active'",
        id,
        sealed,
        expires_at as _
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The client disconnects the account: its token is deleted and syncs stop; the numbers
/// already kept stay until the client removes the account. False when it is not theirs.
pub async fn disconnect(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, AnalyticsError> {
    let done = sqlx::query!(
        "UPDATE social_accounts SET token_sealed = NULL, token_expires_at = NULL,
             status = 'disconnected', status_reason = NULL
         WHERE id = $1 AND user_id = $2",
        id,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The client removes the account with every number kept for it. False when it is not theirs.
pub async fn remove(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, AnalyticsError> {
    let done = sqlx::query!(
        "DELETE FROM social_accounts WHERE id = $1 AND user_id = $2",
        id,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The last day with a snapshot, if any.
pub async fn last_day(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<NaiveDate>, AnalyticsError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT max(day) AS "day: NaiveDate" FROM account_snapshots WHERE account_id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?)
}

/// Keeps what a sync brought back: the profile's fields, a snapshot per day (a metric the
/// network left out keeps what an earlier sync had), every post and each post's numbers as of
/// `today`. Then tells every server process (`NOTIFY`, sent at commit).
pub async fn save_pull(
    conn: &mut PgConnection,
    id: Uuid,
    pull: &Pull,
    today: NaiveDate,
) -> Result<(), AnalyticsError> {
    let p = &pull.profile;
    sqlx::query!(
        "UPDATE social_accounts SET
             handle = CASE WHEN $2 = '' THEN handle ELSE $2 END,
             name = COALESCE($3, name), picture_url = COALESCE($4, picture_url),
             account_type = COALESCE($5, account_type)
         WHERE id = $1",
        id,
        clip(&p.handle, 60),
        p.name.as_deref().map(|n| clip(n, 200)),
        p.picture_url.as_deref().filter(|u| u.len() <= 2000),
        p.account_type.as_deref().map(|t| clip(t, 40))
    )
    .execute(&mut *conn)
    .await?;

    // Today's counts come from the profile; insights of the days from the network.
    let mut days = pull.days.clone();
    match days.iter_mut().find(|d| d.day == today) {
        Some(d) => d.followers = d.followers.or(p.followers),
        None => days.push(crate::network::DayInsights {
            day: today,
            followers: p.followers,
            ..Default::default()
        }),
    }
    let col = |f: fn(&crate::network::DayInsights) -> Option<i64>| -> Vec<Option<i64>> {
        days.iter().map(f).collect()
    };
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.day).collect();
    let follows: Vec<Option<i64>> = days
        .iter()
        .map(|d| if d.day == today { p.follows } else { None })
        .collect();
    let media_count: Vec<Option<i64>> = days
        .iter()
        .map(|d| if d.day == today { p.media_count } else { None })
        .collect();
    sqlx::query!(
        r#"INSERT INTO account_snapshots AS s (account_id, day, followers, follows, media_count,
               views, reach, accounts_engaged, total_interactions, likes, comments, shares, saves,
               followers_gained, followers_lost, profile_links_taps)
           SELECT $1, * FROM unnest($2::date[], $3::int8[], $4::int8[], $5::int8[], $6::int8[],
               $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[],
               $13::int8[], $14::int8[], $15::int8[], $16::int8[])
           ON CONFLICT (account_id, day) DO UPDATE SET
               followers = COALESCE(EXCLUDED.followers, s.followers),
               follows = COALESCE(EXCLUDED.follows, s.follows),
               media_count = COALESCE(EXCLUDED.media_count, s.media_count),
               views = COALESCE(EXCLUDED.views, s.views),
               reach = COALESCE(EXCLUDED.reach, s.reach),
               accounts_engaged = COALESCE(EXCLUDED.accounts_engaged, s.accounts_engaged),
               total_interactions = COALESCE(EXCLUDED.total_interactions, s.total_interactions),
               likes = COALESCE(EXCLUDED.likes, s.likes),
               comments = COALESCE(EXCLUDED.comments, s.comments),
               shares = COALESCE(EXCLUDED.shares, s.shares),
               saves = COALESCE(EXCLUDED.saves, s.saves),
               followers_gained = COALESCE(EXCLUDED.followers_gained, s.followers_gained),
               followers_lost = COALESCE(EXCLUDED.followers_lost, s.followers_lost),
               profile_links_taps = COALESCE(EXCLUDED.profile_links_taps, s.profile_links_taps),
               fetched_at = now()"#,
        id,
        &dates as &[NaiveDate],
        &col(|d| d.followers) as &[Option<i64>],
        &follows as &[Option<i64>],
        &media_count as &[Option<i64>],
        &col(|d| d.views) as &[Option<i64>],
        &col(|d| d.reach) as &[Option<i64>],
        &col(|d| d.accounts_engaged) as &[Option<i64>],
        &col(|d| d.total_interactions) as &[Option<i64>],
        &col(|d| d.likes) as &[Option<i64>],
        &col(|d| d.comments) as &[Option<i64>],
        &col(|d| d.shares) as &[Option<i64>],
        &col(|d| d.saves) as &[Option<i64>],
        &col(|d| d.followers_gained) as &[Option<i64>],
        &col(|d| d.followers_lost) as &[Option<i64>],
        &col(|d| d.profile_links_taps) as &[Option<i64>]
    )
    .execute(&mut *conn)
    .await?;

    // A post listed twice in one pull is kept once (the upsert may touch each row once).
    let mut m: Vec<&crate::network::Media> = Vec::with_capacity(pull.media.len());
    for post in pull.media.iter().rev() {
        if !m.iter().any(|x| x.external_id == post.external_id) {
            m.push(post);
        }
    }
    if !m.is_empty() {
        let ids: Vec<Uuid> = m.iter().copied().map(|_| Uuid::now_v7()).collect();
        let text =
            |f: fn(&crate::network::Media) -> Option<&str>, max: usize| -> Vec<Option<String>> {
                m.iter()
                    .copied()
                    .map(|x| f(x).map(|s| clip(s, max)))
                    .collect()
            };
        let ins = |f: fn(&crate::network::MediaInsights) -> Option<i64>| -> Vec<Option<i64>> {
            m.iter().copied().map(|x| f(&x.insights)).collect()
        };
        sqlx::query!(
            r#"WITH given AS (
                   SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::text[], $8::text[], $9::timestamptz[], $10::int8[], $11::int8[],
                       $12::int8[], $13::int8[], $14::int8[], $15::int8[], $16::int8[])
                       AS g(id, external_id, media_type, product_type, caption, permalink,
                            thumbnail_url, posted_at, views, reach, likes, comments, saved,
                            shares, total_interactions)
               ), kept AS (
                   INSERT INTO social_media AS m (id, account_id, external_id, media_type,
                       product_type, caption, permalink, thumbnail_url, posted_at)
                   SELECT id, $1, external_id, media_type, product_type, caption, permalink,
                          thumbnail_url, posted_at
                   FROM given
                   ON CONFLICT (account_id, external_id) DO UPDATE SET
                       media_type = EXCLUDED.media_type, product_type = EXCLUDED.product_type,
                       caption = EXCLUDED.caption, permalink = EXCLUDED.permalink,
                       thumbnail_url = EXCLUDED.thumbnail_url, posted_at = EXCLUDED.posted_at
                   RETURNING id, external_id
               )
               INSERT INTO media_snapshots AS s (media_id, day, views, reach, likes, comments,
                   saved, shares, total_interactions)
               SELECT k.id, $17, g.views, g.reach, g.likes, g.comments, g.saved, g.shares,
                      g.total_interactions
               FROM kept k JOIN given g USING (external_id)
               ON CONFLICT (media_id, day) DO UPDATE SET
                   views = COALESCE(EXCLUDED.views, s.views),
                   reach = COALESCE(EXCLUDED.reach, s.reach),
                   likes = COALESCE(EXCLUDED.likes, s.likes),
                   comments = COALESCE(EXCLUDED.comments, s.comments),
                   saved = COALESCE(EXCLUDED.saved, s.saved),
                   shares = COALESCE(EXCLUDED.shares, s.shares),
                   total_interactions = COALESCE(EXCLUDED.total_interactions,
                                                 s.total_interactions)"#,
            id,
            &ids,
            &m.iter()
                .copied()
                .map(|x| clip(&x.external_id, 100))
                .collect::<Vec<_>>(),
            &m.iter()
                .copied()
                .map(|x| clip(&x.media_type, 40))
                .collect::<Vec<_>>(),
            &text(|x| x.product_type.as_deref(), 40) as &[Option<String>],
            &text(|x| x.caption.as_deref(), 2200) as &[Option<String>],
            &text(|x| x.permalink.as_deref().filter(|u| u.len() <= 2000), 2000)
                as &[Option<String>],
            &text(
                |x| x.thumbnail_url.as_deref().filter(|u| u.len() <= 2000),
                2000
            ) as &[Option<String>],
            &m.iter().copied().map(|x| x.posted_at).collect::<Vec<_>>() as _,
            &ins(|i| i.views) as &[Option<i64>],
            &ins(|i| i.reach) as &[Option<i64>],
            &ins(|i| i.likes) as &[Option<i64>],
            &ins(|i| i.comments) as &[Option<i64>],
            &ins(|i| i.saved) as &[Option<i64>],
            &ins(|i| i.shares) as &[Option<i64>],
            &ins(|i| i.total_interactions) as &[Option<i64>],
            today as _
        )
        .execute(&mut *conn)
        .await?;
    }
    live::notify(conn, id).await?;
    Ok(())
}

/// Cuts `s` to at most `max` characters (the network's text may be longer than we keep).
pub(crate) fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Deletes daily snapshots older than `days` days (accounts' and posts'), and posts with no
/// snapshot left. Answers how many rows went.
pub async fn forget_old(conn: &mut PgConnection, days: u32) -> Result<u64, AnalyticsError> {
    let days = i32::try_from(days).unwrap_or(i32::MAX);
    let accounts = sqlx::query!(
        "DELETE FROM account_snapshots WHERE day < current_date - $1::int",
        days
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let media = sqlx::query!(
        "DELETE FROM media_snapshots WHERE day < current_date - $1::int",
        days
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let posts = sqlx::query!(
        "DELETE FROM social_media m WHERE posted_at < now() - make_interval(days => $1)
             AND NOT EXISTS (SELECT 1 FROM media_snapshots s WHERE s.media_id = m.id)",
        days
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(accounts + media + posts)
}
