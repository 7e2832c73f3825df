//! One account's sync, the job that runs it, and the schedule's part: which accounts are due.
//!
//! A sync asks the account's source for the days since its last snapshot (two days back
//! again: networks revise recent days) or, the first time, as far back as the source keeps,
//! and stores what came back in one transaction that announces it to open dashboards. No
//! database connection is held while the network is asked. What went wrong decides what
//! follows: a refused token marks the account "needs reconnect" and mails the client; the
//! network's limits make every account of that network wait; anything else is tried again
//! later, each failure in a row waiting longer.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::crypto::TokenKey;
use crate::network::{AccountRef, Network, NetworkId, PullError, Source};
use crate::store::{self, clip, Account};
use crate::AnalyticsError;

/// Account `account_id` is synced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncAccount {
    pub account_id: Uuid,
}

impl gd_jobs::Job for SyncAccount {
    const QUEUE: &'static str = "growthdesk::sync_social_account";
    // The account keeps its own record of failures; the schedule enqueues it again when due.
    const MAX_ATTEMPTS: i32 = 1;
}

/// A token is refreshed when it has fewer than this many days left (Instagram's last 60).
const REFRESH_BEFORE_DAYS: i64 = 20;
/// … and is at least this old (Instagram refuses to refresh younger tokens).
const REFRESH_MIN_AGE_HOURS: i64 = 24;
/// While a queued sync waits for a worker, the schedule does not queue it again (unless it
/// has waited this long: a lost job).
const QUEUED_LEASE: Duration = Duration::from_secs(15 * 60);
/// A client's "sync now" is honoured at most this often per account.
pub const MANUAL_SYNC_EVERY: Duration = Duration::from_secs(60);

/// The sources a sync can ask, by network and kind.
#[derive(Clone)]
pub struct Networks {
    /// The networks' APIs that are configured.
    apis: Vec<Arc<dyn Network>>,
    demo: Vec<Arc<dyn Network>>,
}

impl Networks {
    pub fn new(apis: Vec<Arc<dyn Network>>) -> Self {
        Self {
            apis,
            demo: NetworkId::ALL
                .into_iter()
                .map(|n| Arc::new(crate::demo::Demo::new(n)) as Arc<dyn Network>)
                .collect(),
        }
    }

    /// The Instagram API when an app is configured, and the demo source.
    pub fn from_config(config: &gd_config::Config) -> Result<Self, AnalyticsError> {
        let mut apis: Vec<Arc<dyn Network>> = Vec::new();
        if let Some(app) = &config.instagram_app {
            apis.push(Arc::new(crate::instagram::Instagram::new(app)?));
        }
        Ok(Self::new(apis))
    }

    /// Whether clients connect real accounts of `network` (else demo ones).
    pub fn has_api(&self, network: NetworkId) -> bool {
        self.apis.iter().any(|n| n.id() == network)
    }

    pub fn get(&self, network: NetworkId, source: Source) -> Option<&dyn Network> {
        let list = match source {
            Source::Api => &self.apis,
            Source::Demo => &self.demo,
        };
        list.iter().find(|n| n.id() == network).map(|n| n.as_ref())
    }
}

/// What a sync needs besides the account.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    pub every: Duration,
    pub drop_alert_percent: u32,
    pub public_url: String,
}

impl SyncSettings {
    pub fn from_config(config: &gd_config::Config) -> Self {
        Self {
            every: Duration::from_secs(u64::from(config.analytics_sync_minutes) * 60),
            drop_alert_percent: config.analytics_drop_alert_percent,
            public_url: config.public_url.clone(),
        }
    }
}

/// How a sync ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// Stored: how many days and posts.
    Stored { days: usize, media: usize },
    /// Not active (disconnected, waiting for a reconnect) or gone: nothing to do.
    Skipped,
    /// The token was refused: the account waits for the client to connect again.
    NeedsReconnect,
    /// The network limits our calls: tried again when its wait is over.
    Waiting(Duration),
    /// Failed; tried again after the wait.
    Failed { error: String, retry_in: Duration },
}

/// Puts a sync on the queue for each active account that is due (at most `limit`), unless
/// its network asked us to wait. Answers how many.
pub async fn enqueue_due(conn: &mut PgConnection, limit: i64) -> Result<u64, AnalyticsError> {
    let due: Vec<Uuid> = sqlx::query_scalar!(
        "UPDATE social_accounts SET queued_at = now()
         WHERE id IN (
             SELECT a.id FROM social_accounts a
             LEFT JOIN network_backoff b ON b.network = a.network AND a.source = 'api'
             WHERE a.status = 'active' AND a.next_sync_at <= now()
               AND (a.queued_at IS NULL OR a.queued_at < now() - make_interval(secs => $2))
               AND (b.until IS NULL OR b.until <= now())
             ORDER BY a.next_sync_at
             LIMIT $1
             FOR UPDATE OF a SKIP LOCKED)
         RETURNING id",
        limit,
        QUEUED_LEASE.as_secs_f64()
    )
    .fetch_all(&mut *conn)
    .await?;
    for account_id in &due {
        gd_jobs::enqueue(
            conn,
            &SyncAccount {
                account_id: *account_id,
            },
        )
        .await?;
    }
    Ok(due.len() as u64)
}

/// The client's (or an admin's) "sync now": queued unless one is queued already or (for an
/// account on a network's API, whose calls are limited) a sync ran within the last minute.
/// False when it was too soon (or the account is not active).
pub async fn request_now(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<bool, AnalyticsError> {
    let claimed = sqlx::query_scalar!(
        "UPDATE social_accounts SET queued_at = now()
         WHERE id = $1 AND status = 'active'
           AND (queued_at IS NULL OR queued_at < now() - make_interval(secs => $2))
           AND (source = 'demo' OR last_synced_at IS NULL
                OR last_synced_at < now() - make_interval(secs => $3))
         RETURNING id",
        account_id,
        QUEUED_LEASE.as_secs_f64(),
        MANUAL_SYNC_EVERY.as_secs_f64()
    )
    .fetch_optional(&mut *conn)
    .await?;
    if claimed.is_none() {
        return Ok(false);
    }
    gd_jobs::enqueue(conn, &SyncAccount { account_id }).await?;
    Ok(true)
}

/// Syncs account `id` as of `today`.
pub async fn sync_account(
    pool: &PgPool,
    networks: &Networks,
    key: &TokenKey,
    mailer: &dyn gd_mail::Mailer,
    settings: &SyncSettings,
    id: Uuid,
    today: NaiveDate,
) -> Result<Synced, AnalyticsError> {
    let (account, token, last_day, backoff) = {
        let mut conn = pool.acquire().await?;
        let account = match store::get(&mut conn, id).await {
            Ok(a) => a,
            Err(AnalyticsError::NotFound) => return Ok(Synced::Skipped),
            Err(e) => return Err(e),
        };
        if account.status != "active" {
            sqlx::query!(
                "UPDATE social_accounts SET queued_at = NULL WHERE id = $1",
                id
            )
            .execute(&mut *conn)
            .await?;
            return Ok(Synced::Skipped);
        }
        // A token that no longer opens (the key was changed) is as good as refused.
        let token = store::token(&mut conn, key, id).await;
        let last_day = store::last_day(&mut conn, id).await?;
        // A job queued before the network asked us to wait waits too.
        let backoff: Option<f64> = sqlx::query_scalar!(
            r#"SELECT extract(epoch FROM until - now())::float8 AS "secs!" FROM network_backoff
               WHERE network = $1 AND until > now() AND $2 = 'api'"#,
            account.network,
            account.source
        )
        .fetch_optional(&mut *conn)
        .await?;
        (account, token, last_day, backoff)
    };
    if let Some(secs) = backoff {
        let wait = Duration::from_secs_f64(secs.max(60.0));
        wait_for(pool, id, wait).await?;
        return Ok(Synced::Waiting(wait));
    }
    let token = match token {
        Ok(token) => token,
        Err(e) => {
            mark_needs_reconnect(pool, mailer, settings, &account, &e.to_string()).await?;
            return Ok(Synced::NeedsReconnect);
        }
    };
    let (Some(network_id), Some(source)) = (account.network_id(), account.source_kind()) else {
        return Err(AnalyticsError::Invalid(format!(
            "unknown network or source: {} / {}",
            account.network, account.source
        )));
    };
    let Some(network) = networks.get(network_id, source) else {
        // An API account while no app is configured (any more): it waits for one.
        let wait = Duration::from_secs(6 * 3600);
        let error = format!("no {} app is configured", network_id.label());
        record_failure(pool, id, &error, wait).await?;
        return Ok(Synced::Failed {
            error,
            retry_in: wait,
        });
    };
    let token = match (source, token) {
        (Source::Api, Some(token)) => {
            Some(refresh_if_due(pool, network, key, &account, token).await?)
        }
        (Source::Api, None) => {
            mark_needs_reconnect(pool, mailer, settings, &account, "no token stored").await?;
            return Ok(Synced::NeedsReconnect);
        }
        (Source::Demo, _) => None,
    };
    let backfill = i64::from(network.backfill_days().max(1));
    let earliest = today - chrono::Duration::days(backfill - 1);
    let since = match last_day {
        Some(last) => (last - chrono::Duration::days(2)).max(earliest),
        None => earliest,
    };
    let target = AccountRef {
        external_id: account.external_id.clone(),
        handle: account.handle.clone(),
        token,
    };
    match network.pull(&target, since, today).await {
        Ok(pull) => match store_pull(pool, id, &pull, today, settings).await {
            Ok(()) => Ok(Synced::Stored {
                days: pull.days.len(),
                media: pull.media.len(),
            }),
            // What came back could not be kept: recorded, and tried again later like a
            // failed pull (not re-queued at once, which would ask the network again for
            // nothing).
            Err(e) => {
                let error = format!("could not store the numbers: {e}");
                let retry_in = retry_delay(failures(pool, id).await?);
                record_failure(pool, id, &error, retry_in).await?;
                Ok(Synced::Failed { error, retry_in })
            }
        },
        Err(PullError::TokenRefused(reason)) => {
            mark_needs_reconnect(pool, mailer, settings, &account, &reason).await?;
            Ok(Synced::NeedsReconnect)
        }
        Err(PullError::RateLimited {
            wait,
            reason,
            account_only,
        }) => {
            let wait = wait.max(Duration::from_secs(60));
            if !account_only {
                sqlx::query!(
                    "INSERT INTO network_backoff (network, until, reason)
                     VALUES ($1, now() + make_interval(secs => $2), $3)
                     ON CONFLICT (network) DO UPDATE SET
                         until = greatest(network_backoff.until, EXCLUDED.until),
                         reason = EXCLUDED.reason",
                    account.network,
                    wait.as_secs_f64(),
                    clip(&reason, 1000)
                )
                .execute(pool)
                .await?;
            }
            wait_for(pool, id, wait).await?;
            Ok(Synced::Waiting(wait))
        }
        Err(PullError::Failed(error)) => {
            let retry_in = retry_delay(failures(pool, id).await?);
            record_failure(pool, id, &error, retry_in).await?;
            Ok(Synced::Failed { error, retry_in })
        }
    }
}

/// Keeps what a pull brought back, the account's next sync, and any follower drop it shows,
/// in one transaction (which announces the new numbers when it commits).
async fn store_pull(
    pool: &PgPool,
    id: Uuid,
    pull: &crate::network::Pull,
    today: NaiveDate,
    settings: &SyncSettings,
) -> Result<(), AnalyticsError> {
    let mut tx = pool.begin().await?;
    store::save_pull(&mut tx, id, pull, today).await?;
    sqlx::query!(
        "UPDATE social_accounts SET last_synced_at = now(), queued_at = NULL,
             next_sync_at = now() + make_interval(secs => $2),
             sync_error = NULL, sync_failures = 0
         WHERE id = $1",
        id,
        settings.every.as_secs_f64()
    )
    .execute(&mut *tx)
    .await?;
    crate::series::raise_drop_alerts(&mut tx, id, settings.drop_alert_percent).await?;
    tx.commit().await?;
    Ok(())
}

/// The account's next sync after `wait` (the network's limits).
async fn wait_for(pool: &PgPool, id: Uuid, wait: Duration) -> Result<(), AnalyticsError> {
    sqlx::query!(
        "UPDATE social_accounts SET queued_at = NULL,
             next_sync_at = now() + make_interval(secs => $2)
         WHERE id = $1",
        id,
        wait.as_secs_f64()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// How many syncs in a row failed before this one.
async fn failures(pool: &PgPool, id: Uuid) -> Result<i32, AnalyticsError> {
    Ok(sqlx::query_scalar!(
        "SELECT sync_failures FROM social_accounts WHERE id = $1",
        id
    )
    .fetch_one(pool)
    .await?)
}

/// Five minutes after the first failure, doubling with each one in a row, at most the usual
/// six hours.
pub fn retry_delay(failures_before: i32) -> Duration {
    let exp = u32::try_from(failures_before.clamp(0, 7)).unwrap_or(7);
    Duration::from_secs((300u64 << exp).min(6 * 3600))
}

async fn record_failure(
    pool: &PgPool,
    id: Uuid,
    error: &str,
    retry_in: Duration,
) -> Result<(), AnalyticsError> {
    sqlx::query!(
        "UPDATE social_accounts SET sync_error = $2, sync_failures = sync_failures + 1,
             queued_at = NULL, next_sync_at = now() + make_interval(secs => $3)
         WHERE id = $1",
        id,
        clip(error, 2000),
        retry_in.as_secs_f64()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A token near its end is exchanged for a fresh one (and kept) before the pull; one the
/// network will not refresh yet is used as it is.
async fn refresh_if_due(
    pool: &PgPool,
    network: &dyn Network,
    key: &TokenKey,
    account: &Account,
    token: String,
) -> Result<String, AnalyticsError> {
    let now = Utc::now();
    let due = account
        .token_expires_at
        .is_some_and(|at| at - now < chrono::Duration::days(REFRESH_BEFORE_DAYS));
    let refreshed_at: Option<chrono::DateTime<Utc>> = sqlx::query_scalar!(
        r#"SELECT token_refreshed_at AS "at: chrono::DateTime<Utc>" FROM social_accounts
           WHERE id = $1"#,
        account.id
    )
    .fetch_one(pool)
    .await?;
    let old_enough =
        refreshed_at.is_none_or(|at| now - at >= chrono::Duration::hours(REFRESH_MIN_AGE_HOURS));
    if !(due && old_enough) {
        return Ok(token);
    }
    match network.refresh_token(&token).await {
        Ok(Some(fresh)) => {
            let mut conn = pool.acquire().await?;
            store::store_refreshed_token(&mut conn, key, account.id, &fresh).await?;
            tracing::info!(account = %account.id, "token refreshed");
            Ok(fresh.token)
        }
        Ok(None) => Ok(token),
        // The pull that follows tells whether the token still works.
        Err(e) => {
            tracing::warn!(account = %account.id, error = %e, "token not refreshed");
            Ok(token)
        }
    }
}

#[derive(serde::Serialize)]
struct ReconnectMail<'a> {
    network: &'a str,
    handle: &'a str,
    link: String,
}

/// The token was refused: the account waits for the client, who gets one mail about it (per
/// account and day).
async fn mark_needs_reconnect(
    pool: &PgPool,
    mailer: &dyn gd_mail::Mailer,
    settings: &SyncSettings,
    account: &Account,
    reason: &str,
) -> Result<(), AnalyticsError> {
    let (email, locale): (String, String) = {
        let row = sqlx::query!(
            "UPDATE social_accounts a SET status = 'needs_reconnect', status_reason = $2,
                 queued_at = NULL
             FROM users u WHERE a.id = $1 AND u.id = a.user_id AND a.status = 'active'
             RETURNING u.email, u.locale",
            account.id,
            clip(reason, 1000)
        )
        .fetch_optional(pool)
        .await?;
        match row {
            Some(r) => (r.email, r.locale),
            None => return Ok(()),
        }
    };
    tracing::warn!(account = %account.id, reason, "token refused; the client must reconnect");
    let lang: &'static str = if locale == "de" { "de" } else { "en" };
    let network = account
        .network_id()
        .map(NetworkId::label)
        .unwrap_or("Instagram");
    let prefix = if lang == "en" { "/en" } else { "" };
    let rendered = gd_mail::templates::render(
        "analytics_reconnect",
        lang,
        ReconnectMail {
            network,
            handle: &account.handle,
            link: format!("{}{prefix}/portal/analytics", settings.public_url),
        },
    )
    .map_err(|e| AnalyticsError::Mail(e.to_string()))?;
    let mail = gd_mail::outbox::Outgoing {
        key: format!(
            "analytics_reconnect:{}:{}",
            account.id,
            Utc::now().date_naive()
        ),
        kind: "analytics_reconnect",
        lang,
        to: email,
        reply_to: None,
        rendered,
        sensitive: false,
        order_id: None,
        user_id: Some(account.user_id),
    };
    gd_mail::outbox::deliver(pool, mailer, &mail)
        .await
        .map_err(|e| AnalyticsError::Mail(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_wait_longer_each_time() {
        assert_eq!(retry_delay(0), Duration::from_secs(300));
        assert_eq!(retry_delay(1), Duration::from_secs(600));
        assert_eq!(retry_delay(3), Duration::from_secs(2400));
        assert_eq!(retry_delay(20), Duration::from_secs(6 * 3600));
    }
}
