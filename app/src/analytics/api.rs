//! Analytics server functions: a client's connected accounts (connect a demo account,
//! disconnect, remove, sync now), one account's dashboard (its owner, or any admin), and the
//! admins' list of every connected account with the follower drops to look at.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A connected account in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: String,
    /// `instagram`.
    pub network: String,
    /// `api` or `demo` (generated numbers, always labelled).
    pub source: String,
    pub handle: String,
    pub name: Option<String>,
    /// active, needs_reconnect, disconnected.
    pub status: String,
    /// ISO timestamp of the last sync, if any.
    pub last_synced_at: Option<String>,
    /// Why the last sync failed (cleared by the next success).
    pub sync_error: Option<String>,
}

/// The client's analytics home: their accounts, and how they can connect one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsHome {
    pub accounts: Vec<AccountRow>,
    /// An Instagram app is configured: clients connect real accounts (else demo ones).
    pub instagram_app: bool,
}

#[server(prefix = "/api", endpoint = "analytics_accounts")]
pub async fn analytics_accounts() -> Result<AnalyticsHome, AppError> {
    server::home().await
}

/// Connects a demo account (generated numbers) for `handle`; answers its id. Only while no
/// Instagram app is configured.
#[server(prefix = "/api", endpoint = "analytics_connect_demo")]
pub async fn analytics_connect_demo(#[server(default)] handle: String) -> Result<String, AppError> {
    server::connect_demo(&handle).await
}

/// The client disconnects (`remove` false: token deleted, numbers kept) or removes (with
/// every number) their account `account`.
#[server(prefix = "/api", endpoint = "analytics_disconnect")]
pub async fn analytics_disconnect(
    #[server(default)] account: String,
    #[server(default)] remove: bool,
) -> Result<(), AppError> {
    server::disconnect(&account, remove).await
}

/// Asks for a sync of `account` now (its owner or an admin); false when one ran or was asked
/// for within the last minute.
#[server(prefix = "/api", endpoint = "analytics_sync_now")]
pub async fn analytics_sync_now(#[server(default)] account: String) -> Result<bool, AppError> {
    server::sync_now(&account).await
}

/// One bucket of the series, for the tables behind the charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointRow {
    /// ISO date of the bucket's first day.
    pub bucket: String,
    pub followers: Option<i64>,
    pub gained: Option<i64>,
    pub lost: Option<i64>,
    pub views: Option<i64>,
    pub reach: Option<i64>,
    pub interactions: Option<i64>,
    pub engagement_rate: Option<f64>,
}

/// A range's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub followers: Option<i64>,
    pub growth: Option<i64>,
    pub growth_rate: Option<f64>,
    pub views: Option<i64>,
    pub reach: Option<i64>,
    pub interactions: Option<i64>,
    pub engagement_rate: Option<f64>,
    pub posts: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourRow {
    /// 1 = Monday … 7 = Sunday.
    pub weekday: i32,
    pub hour: i32,
    pub posts: i64,
    pub avg_interactions: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostRow {
    pub caption: String,
    pub kind: String,
    pub permalink: Option<String>,
    pub thumbnail_url: Option<String>,
    /// ISO timestamp.
    pub posted_at: String,
    pub views: Option<i64>,
    pub reach: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub interactions: Option<i64>,
    pub engagement_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub order_number: i64,
    pub title: String,
    pub status: String,
    /// ISO dates.
    pub started_on: Option<String>,
    pub finished_on: Option<String>,
}

/// An ECharts option (JSON, made with `charming` on the server) and what it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartSpec {
    /// followers, views, engagement, hours.
    pub id: String,
    pub option: String,
}

/// Everything the dashboard shows for one account and range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub account: AccountRow,
    /// The client it belongs to (shown to admins).
    pub owner_email: String,
    pub from: String,
    pub to: String,
    /// day, week, month.
    pub grain: String,
    pub now: Figures,
    /// The range of the same length just before.
    pub before: Figures,
    pub points: Vec<PointRow>,
    pub hours: Vec<HourRow>,
    pub posts: Vec<PostRow>,
    pub deliveries: Vec<DeliveryRow>,
    pub charts: Vec<ChartSpec>,
}

/// Account `account`'s dashboard for `from` … `to` (ISO dates; without `from`, the last
/// `days` days (30 when 0) up to `to` or today) by `grain` (day, week, month; empty: chosen by the range's length), its charts
/// labelled in `lang` (`de`, `en`). 404 for an
/// account that is not the caller's (admins see every one); 422 for a range that is not one.
#[server(prefix = "/api", endpoint = "analytics_dashboard")]
pub async fn analytics_dashboard(
    #[server(default)] account: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] days: u32,
    #[server(default)] grain: String,
    #[server(default)] lang: String,
) -> Result<Dashboard, AppError> {
    server::dashboard(&account, &from, &to, days, &grain, &lang).await
}

/// A connected account in the admins' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAccountRow {
    pub id: String,
    pub email: String,
    pub source: String,
    pub handle: String,
    pub status: String,
    pub last_synced_at: Option<String>,
}

/// A follower drop inside a delivery's guarantee window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: String,
    pub account_id: String,
    pub handle: String,
    pub email: String,
    pub order_id: String,
    pub order_number: i64,
    pub delivered: i64,
    pub followers_after: i64,
    pub followers_now: i64,
    pub raised_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsOverview {
    pub accounts: Vec<ClientAccountRow>,
    pub alerts: Vec<AlertRow>,
}

#[server(prefix = "/api", endpoint = "admin_analytics")]
pub async fn admin_analytics() -> Result<AnalyticsOverview, AppError> {
    server::admin().await
}

/// An admin marks a follower-drop alert as looked at.
#[server(prefix = "/api", endpoint = "admin_alert_seen")]
pub async fn admin_alert_seen(#[server(default)] alert: String) -> Result<(), AppError> {
    server::alert_seen(&alert).await
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use chrono::{NaiveDate, Utc};
    use gd_analytics::series::{self, Grain, Range};
    use gd_analytics::store::{self, Account};
    use gd_analytics::NetworkId;
    use gd_common::{FieldIssue, IssueCode, Role};
    use uuid::Uuid;

    use super::*;
    use crate::context::{require_role, require_user, server_context};

    fn internal(e: gd_analytics::AnalyticsError) -> AppError {
        match e {
            gd_analytics::AnalyticsError::NotFound => AppError::NotFound,
            other => AppError::internal(other),
        }
    }

    fn invalid(field: &str, code: IssueCode) -> AppError {
        AppError::Validation {
            issues: vec![FieldIssue::new(field, code)],
            echo: Default::default(),
        }
    }

    fn id(value: &str) -> Result<Uuid, AppError> {
        Uuid::parse_str(value.trim()).map_err(|_| AppError::NotFound)
    }

    fn row(a: &Account) -> AccountRow {
        AccountRow {
            id: a.id.to_string(),
            network: a.network.clone(),
            source: a.source.clone(),
            handle: a.handle.clone(),
            name: a.name.clone(),
            status: a.status.clone(),
            last_synced_at: a.last_synced_at.map(|t| t.to_rfc3339()),
            sync_error: a.sync_error.clone(),
        }
    }

    /// The account, when the signed-in user owns it or is an admin (with two-factor sign-in);
    /// anyone else gets a 404, as for an account that does not exist.
    pub(crate) async fn viewable(account: &str) -> Result<Account, AppError> {
        let user = require_user().await?;
        let id = id(account)?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let account = store::get(&mut conn, id).await.map_err(internal)?;
        let admin = gd_web::role_check(&user, Role::Admin).is_ok();
        if account.user_id == user.id || admin {
            Ok(account)
        } else {
            Err(AppError::NotFound)
        }
    }

    pub async fn home() -> Result<AnalyticsHome, AppError> {
        let user = require_user().await?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let accounts = store::for_user(&mut conn, user.id)
            .await
            .map_err(internal)?;
        Ok(AnalyticsHome {
            accounts: accounts.iter().map(row).collect(),
            instagram_app: ctx.config.instagram_app.is_some(),
        })
    }

    pub async fn connect_demo(handle: &str) -> Result<String, AppError> {
        let user = require_user().await?;
        let ctx = server_context()?;
        if ctx.config.instagram_app.is_some() {
            // With an app, accounts are connected for real (Instagram's own sign-in).
            return Err(AppError::Forbidden);
        }
        if gd_common::InstagramHandle::parse(handle).is_err() {
            return Err(invalid("handle", IssueCode::InvalidHandle));
        }
        let mut tx = ctx.pool.begin().await.map_err(AppError::internal)?;
        let id = store::connect_demo(&mut tx, user.id, NetworkId::Instagram, handle)
            .await
            .map_err(internal)?;
        // Its first sync right away: the dashboard fills within seconds.
        gd_analytics::sync::request_now(&mut tx, id)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(AppError::internal)?;
        Ok(id.to_string())
    }

    pub async fn disconnect(account: &str, remove: bool) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = id(account)?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let done = if remove {
            store::remove(&mut conn, user.id, id).await
        } else {
            store::disconnect(&mut conn, user.id, id).await
        }
        .map_err(internal)?;
        if done {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    pub async fn sync_now(account: &str) -> Result<bool, AppError> {
        let account = viewable(account).await?;
        let ctx = server_context()?;
        let mut tx = ctx.pool.begin().await.map_err(AppError::internal)?;
        let queued = gd_analytics::sync::request_now(&mut tx, account.id)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(AppError::internal)?;
        Ok(queued)
    }

    fn date(field: &str, value: &str) -> Result<Option<NaiveDate>, AppError> {
        match value.trim() {
            "" => Ok(None),
            v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| invalid(field, IssueCode::InvalidNumber)),
        }
    }

    /// The range asked for: both dates, or the last `days` days (30 when 0) up to `to` (or
    /// today).
    pub(crate) fn range(from: &str, to: &str, days: u32) -> Result<Range, AppError> {
        let today = Utc::now().date_naive();
        let to = date("to", to)?.unwrap_or(today);
        if Range::new(to, to).is_err() {
            return Err(invalid("to", IssueCode::OutOfRange));
        }
        match date("from", from)? {
            Some(from) => Range::new(from, to).map_err(|_| invalid("from", IssueCode::OutOfRange)),
            None if days == 0 => Ok(Range::last(30, to)),
            None if i64::from(days) > series::MAX_RANGE_DAYS => {
                Err(invalid("days", IssueCode::OutOfRange))
            }
            None => Ok(Range::last(i64::from(days), to)),
        }
    }

    fn figures(s: &series::Summary) -> Figures {
        Figures {
            followers: s.followers_end,
            growth: s.growth(),
            growth_rate: s.growth_rate(),
            views: s.views,
            reach: s.reach,
            interactions: s.interactions,
            engagement_rate: s.engagement_rate,
            posts: s.posts,
        }
    }

    pub async fn dashboard(
        account: &str,
        from: &str,
        to: &str,
        days: u32,
        grain: &str,
        lang: &str,
    ) -> Result<Dashboard, AppError> {
        let account = viewable(account).await?;
        let range = range(from, to, days)?;
        let grain = match grain.trim() {
            "" => Grain::for_range(&range),
            g => Grain::parse(g).ok_or_else(|| invalid("grain", IssueCode::NotOffered))?,
        };
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let c = &mut *conn;
        let points = series::series(c, account.id, range, grain)
            .await
            .map_err(internal)?;
        let now = series::summary(c, account.id, range)
            .await
            .map_err(internal)?;
        let before = series::summary(c, account.id, range.previous())
            .await
            .map_err(internal)?;
        let hours = series::posting_hours(c, account.id, range)
            .await
            .map_err(internal)?;
        let posts = series::top_posts(c, account.id, range, 12)
            .await
            .map_err(internal)?;
        let deliveries = series::deliveries(c, account.id, range)
            .await
            .map_err(internal)?;
        let owner_email: String =
            sqlx::query_scalar!("SELECT email FROM users WHERE id = $1", account.user_id)
                .fetch_one(c)
                .await
                .map_err(AppError::internal)?;
        let lang = crate::i18n::Lang::from_code(lang);
        let charts = super::super::charts::all(lang, grain, &points, &hours, &deliveries);
        Ok(Dashboard {
            account: row(&account),
            owner_email,
            from: range.from.to_string(),
            to: range.to.to_string(),
            grain: grain.as_str().to_owned(),
            now: figures(&now),
            before: figures(&before),
            points: points
                .iter()
                .map(|p| PointRow {
                    bucket: p.bucket.to_string(),
                    followers: p.followers,
                    gained: p.followers_gained,
                    lost: p.followers_lost,
                    views: p.views,
                    reach: p.reach,
                    interactions: p.interactions,
                    engagement_rate: p.engagement_rate,
                })
                .collect(),
            hours: hours
                .iter()
                .map(|h| HourRow {
                    weekday: h.weekday,
                    hour: h.hour,
                    posts: h.posts,
                    avg_interactions: h.avg_interactions,
                })
                .collect(),
            posts: posts
                .into_iter()
                .map(|p| PostRow {
                    caption: p.caption.unwrap_or_default(),
                    kind: p.product_type.unwrap_or(p.media_type),
                    permalink: p.permalink,
                    thumbnail_url: p.thumbnail_url,
                    posted_at: p.posted_at.to_rfc3339(),
                    views: p.views,
                    reach: p.reach,
                    likes: p.likes,
                    comments: p.comments,
                    interactions: p.interactions,
                    engagement_rate: p.engagement_rate,
                })
                .collect(),
            deliveries: deliveries
                .iter()
                .map(|d| DeliveryRow {
                    order_number: d.order_number,
                    title: d.title.clone(),
                    status: d.status.clone(),
                    started_on: d.started_at.map(|t| t.date_naive().to_string()),
                    finished_on: d.finished_at.map(|t| t.date_naive().to_string()),
                })
                .collect(),
            charts,
        })
    }

    pub async fn admin() -> Result<AnalyticsOverview, AppError> {
        require_role(Role::Admin).await?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let accounts = store::all(&mut conn, 500).await.map_err(internal)?;
        let alerts = series::open_alerts(&mut conn, 200)
            .await
            .map_err(internal)?;
        Ok(AnalyticsOverview {
            accounts: accounts
                .into_iter()
                .map(|a| ClientAccountRow {
                    id: a.id.to_string(),
                    email: a.email,
                    source: a.source,
                    handle: a.handle,
                    status: a.status,
                    last_synced_at: a.last_synced_at.map(|t| t.to_rfc3339()),
                })
                .collect(),
            alerts: alerts
                .into_iter()
                .map(|a| AlertRow {
                    id: a.id.to_string(),
                    account_id: a.account_id.to_string(),
                    handle: a.handle,
                    email: a.email,
                    order_id: a.order_id.to_string(),
                    order_number: a.order_number,
                    delivered: a.delivered,
                    followers_after: a.followers_after,
                    followers_now: a.followers_now,
                    raised_at: a.raised_at.to_rfc3339(),
                })
                .collect(),
        })
    }

    pub async fn alert_seen(alert: &str) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let id = id(alert)?;
        let ctx = server_context()?;
        let mut tx = ctx.pool.begin().await.map_err(AppError::internal)?;
        let done = series::mark_alert_seen(&mut tx, id)
            .await
            .map_err(internal)?;
        if !done {
            return Err(AppError::NotFound);
        }
        gd_accounts::record(
            &mut tx,
            &gd_accounts::AuditEvent::new("analytics.alert_seen")
                .actor(Some(admin.id))
                .subject(id),
        )
        .await
        .map_err(AppError::internal)?;
        tx.commit().await.map_err(AppError::internal)?;
        Ok(())
    }
}
