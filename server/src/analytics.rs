//! Analytics outside the server functions:
//!
//! - `POST /connect/instagram/start` sends a signed-in client to Instagram's sign-in (a fresh
//!   state kept in the session); `GET /connect/instagram/callback` takes them back, exchanges
//!   the code for a long-lived token, keeps it sealed and lands on the account's dashboard.
//!   Every failure ends on `/portal/analytics?connect_error=<code>`, never on an error page.
//! - `GET /events/analytics?account=<id>`: server-sent events, one `snapshot` each time new
//!   numbers of the account were stored (in any process: `NOTIFY` fans out to every server).
//! - `GET /documents/analytics/{id}/{series|posts|hours}.csv?from&to&days&grain&lang`: the
//!   dashboard's tables as CSV.
//!
//! An account is its client's; admins (with two-factor sign-in) may open any. Anyone else gets
//! a 404, as for an account that does not exist.

use std::convert::Infallible;
use std::time::Duration;

use app::i18n::Lang;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use gd_accounts::User;
use gd_analytics::network::PullError;
use gd_analytics::series::{self, Grain, Range};
use gd_analytics::store::{self, Account};
use gd_analytics::NetworkId;
use gd_common::Role;
use gd_web::Session;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;

const PENDING_KEY: &str = "instagram_connect";
/// How long the round trip through Instagram may take.
const PENDING_TTL_MS: i64 = 10 * 60 * 1000;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/connect/instagram/start", post(start))
        .route("/connect/instagram/callback", get(callback))
        .route("/events/analytics", get(events))
        .route("/documents/analytics/{id}/{file}", get(export))
}

/// The signed-in user, or the answer for whoever is not (401, or 500 when the session store
/// cannot say).
async fn signed_in(state: &AppState, session: Option<&Session>) -> Result<User, Response> {
    let unauthorized = || (StatusCode::UNAUTHORIZED, "Please sign in.").into_response();
    let session = session.ok_or_else(unauthorized)?;
    gd_web::session_user(session, &state.pool, state.config.session_absolute_days)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot check the user");
            (StatusCode::INTERNAL_SERVER_ERROR, "Please try again.").into_response()
        })?
        .ok_or_else(unauthorized)
}

/// Account `id` when `user` may see it (its client, or an admin); a 404 otherwise.
async fn viewable(state: &AppState, user: &User, id: &str) -> Result<Account, Response> {
    let not_found = || (StatusCode::NOT_FOUND, "No such account.").into_response();
    let id = Uuid::parse_str(id.trim()).map_err(|_| not_found())?;
    let mut conn = state.pool.acquire().await.map_err(|e| {
        tracing::error!(error = %e, "no database connection");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again in a moment.",
        )
            .into_response()
    })?;
    match store::get(&mut conn, id).await {
        Ok(a) if a.user_id == user.id || gd_web::role_check(user, Role::Admin).is_ok() => Ok(a),
        Ok(_) | Err(gd_analytics::AnalyticsError::NotFound) => Err(not_found()),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the account");
            Err((StatusCode::INTERNAL_SERVER_ERROR, "Please try again.").into_response())
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct PendingConnect {
    state: String,
    user_id: Uuid,
    lang: String,
    started_ms: i64,
}

#[derive(Debug, Default, Deserialize)]
struct StartForm {
    #[serde(default)]
    lang: String,
}

fn analytics_page(lang: Lang, problem: Option<&str>) -> Response {
    let page = lang.path("/portal/analytics");
    match problem {
        Some(code) => Redirect::to(&format!("{page}?connect_error={code}")).into_response(),
        None => Redirect::to(&page).into_response(),
    }
}

fn redirect_url(state: &AppState) -> String {
    format!("{}/connect/instagram/callback", state.config.public_url)
}

async fn start(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    form: Result<Form<StartForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = Lang::from_code(&form.map(|Form(f)| f.lang).unwrap_or_default());
    let session = session.map(|axum::Extension(s)| s);
    let user = match signed_in(&state, session.as_ref()).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let (Some(instagram), Some(session)) = (state.instagram_app.as_ref(), session) else {
        return analytics_page(lang, Some("unavailable"));
    };
    let (url, csrf) = match instagram.authorize_url(&redirect_url(&state)) {
        Ok(started) => started,
        Err(e) => {
            tracing::error!(error = %e, "cannot start an Instagram connection");
            return analytics_page(lang, Some("failed"));
        }
    };
    let pending = PendingConnect {
        state: csrf,
        user_id: user.id,
        lang: lang.code().to_owned(),
        started_ms: chrono::Utc::now().timestamp_millis(),
    };
    if let Err(e) = session.insert(PENDING_KEY, pending).await {
        tracing::error!(error = %e, "cannot keep the Instagram connection's state");
        return analytics_page(lang, Some("failed"));
    }
    // 303: the browser follows with a GET, as Instagram expects.
    Redirect::to(&url).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct Back {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    query: Result<Query<Back>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let back = query.map(|Query(b)| b).unwrap_or_default();
    let session = session.map(|axum::Extension(s)| s);
    let user = match signed_in(&state, session.as_ref()).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let Some(session) = session else {
        return analytics_page(Lang::De, Some("failed"));
    };
    // Single use: whatever happens next, this round trip is over.
    let pending: Option<PendingConnect> = session.remove(PENDING_KEY).await.unwrap_or_default();
    let Some(pending) = pending.filter(|p| {
        p.user_id == user.id
            && chrono::Utc::now().timestamp_millis() - p.started_ms < PENDING_TTL_MS
            && back.state.as_deref().is_some_and(|s| {
                s.len() == p.state.len()
                    && s.bytes()
                        .zip(p.state.bytes())
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0
            })
    }) else {
        tracing::warn!(user = %user.id, "an Instagram callback without a matching start");
        return analytics_page(Lang::De, Some("failed"));
    };
    let lang = Lang::from_code(&pending.lang);
    if back.error.is_some() {
        return analytics_page(lang, Some("cancelled"));
    }
    let (Some(instagram), Some(code)) = (state.instagram_app.as_ref(), back.code) else {
        return analytics_page(lang, Some("failed"));
    };
    let connected = match instagram.connect(&redirect_url(&state), &code).await {
        Ok(c) => c,
        Err(PullError::TokenRefused(reason)) => {
            tracing::info!(reason, "Instagram refused the connection");
            return analytics_page(lang, Some("not_professional"));
        }
        Err(e) => {
            tracing::warn!(error = %e, "connecting an Instagram account failed");
            return analytics_page(lang, Some("failed"));
        }
    };
    let key = gd_analytics::crypto::TokenKey::from_config(&state.config);
    let stored = async {
        let mut tx = state.pool.begin().await?;
        let id = store::connect_api(
            &mut tx,
            &key,
            user.id,
            NetworkId::Instagram,
            &connected.profile,
            &connected.token,
        )
        .await?;
        gd_analytics::sync::request_now(&mut tx, id).await?;
        tx.commit().await?;
        Ok::<_, gd_analytics::AnalyticsError>(id)
    }
    .await;
    match stored {
        Ok(id) => Redirect::to(&format!("{}?account={id}", lang.path("/portal/analytics")))
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot keep the connected Instagram account");
            analytics_page(lang, Some("failed"))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct Watch {
    #[serde(default)]
    account: String,
}

/// Every few seconds a comment line keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

async fn events(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    query: Result<Query<Watch>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let session = session.map(|axum::Extension(s)| s);
    let user = match signed_in(&state, session.as_ref()).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let watch = query.map(|Query(w)| w).unwrap_or_default();
    let account = match viewable(&state, &user, &watch.account).await {
        Ok(a) => a.id,
        Err(refused) => return refused,
    };
    let news = state.live.subscribe();
    let stream = futures::stream::unfold(news, move |mut news| async move {
        loop {
            match news.recv().await {
                Ok(id) if id == account => break,
                Ok(_) => continue,
                // Missed some: one of them may have been ours, so the page reloads anyway.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
        let event = Event::default().event("snapshot").data(account.to_string());
        Some((Ok::<_, Infallible>(event), news))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
struct Table {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    days: u32,
    #[serde(default)]
    grain: String,
    #[serde(default)]
    lang: String,
}

/// The range asked for, or what is wrong with it.
fn range(t: &Table) -> Result<Range, &'static str> {
    let day = |v: &str| match v.trim() {
        "" => Ok(None),
        v => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| "Please give dates as YYYY-MM-DD."),
    };
    let to = day(&t.to)?.unwrap_or_else(|| chrono::Utc::now().date_naive());
    if Range::new(to, to).is_err() {
        return Err("Dates from 2000 to 2100, please.");
    }
    match day(&t.from)? {
        Some(from) => Range::new(from, to).map_err(|_| {
            "The range must lie between 2000 and 2100, end after it starts and cover at most two years."
        }),
        None if i64::from(t.days) > series::MAX_RANGE_DAYS => {
            Err("A range of at most two years (731 days), please.")
        }
        None => Ok(Range::last(
            if t.days == 0 { 30 } else { i64::from(t.days) },
            to,
        )),
    }
}

async fn export(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    Path((id, file)): Path<(String, String)>,
    query: Result<Query<Table>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let session = session.map(|axum::Extension(s)| s);
    let user = match signed_in(&state, session.as_ref()).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let account = match viewable(&state, &user, &id).await {
        Ok(a) => a,
        Err(refused) => return refused,
    };
    let table = match file
        .strip_suffix(".csv")
        .and_then(gd_analytics::export::Table::parse)
    {
        Some(t) => t,
        None => return (StatusCode::NOT_FOUND, "No such table.").into_response(),
    };
    let query = match query {
        Ok(Query(q)) => q,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "Please give from and to as YYYY-MM-DD, days as a number of days, grain as day, week or month.",
            )
                .into_response()
        }
    };
    let range = match range(&query) {
        Ok(r) => r,
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    let grain = match query.grain.trim() {
        "" => Grain::for_range(&range),
        g => match Grain::parse(g) {
            Some(g) => g,
            None => {
                return (StatusCode::BAD_REQUEST, "grain is day, week or month.").into_response()
            }
        },
    };
    let de = Lang::from_code(&query.lang) == Lang::De;
    // Every export of personal data is on record before it is given out.
    let audited = async {
        let mut conn = state.pool.acquire().await?;
        gd_accounts::record(
            &mut conn,
            &gd_accounts::AuditEvent::new("analytics.exported")
                .actor(Some(user.id))
                .subject(account.id)
                .details(serde_json::json!({
                    "table": file, "from": range.from, "to": range.to,
                    "owner": account.user_id == user.id,
                })),
        )
        .await
    };
    if let Err(e) = audited.await {
        tracing::error!(error = %e, "analytics: cannot record the export");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "The export cannot be made just now. Please try again in a moment.",
        )
            .into_response();
    }
    let made = async {
        let mut conn = state.pool.acquire().await?;
        let bytes = match table {
            gd_analytics::export::Table::Series => {
                let points = series::series(&mut conn, account.id, range, grain).await?;
                gd_analytics::export::series(&points, de)
            }
            gd_analytics::export::Table::Posts => {
                let posts = series::top_posts(&mut conn, account.id, range, 10_000).await?;
                gd_analytics::export::posts(&posts, de)
            }
            gd_analytics::export::Table::Hours => {
                let cells = series::posting_hours(&mut conn, account.id, range).await?;
                gd_analytics::export::hours(&cells, de)
            }
        };
        bytes.map_err(|e| gd_analytics::AnalyticsError::Invalid(e.to_string()))
    }
    .await;
    match made {
        Ok(bytes) => {
            let name = format!(
                "{}-{}-{}-{}.csv",
                account.handle,
                file.trim_end_matches(".csv"),
                range.from,
                range.to
            );
            let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot make the analytics export");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The export cannot be made just now. Please try again in a moment.",
            )
                .into_response()
        }
    }
}
