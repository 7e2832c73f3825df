//! The Instagram API with Instagram Login: connecting a client's professional account (the
//! authorization code, then a long-lived token) and pulling its numbers for a sync.
//!
//! Everything goes to `graph.instagram.com` (or wherever `INSTAGRAM_API_URL` points) with the
//! client's token as the `access_token` query parameter, so no URL is ever logged: reqwest's
//! errors are stripped of theirs.
//!
//! A pull asks for the profile, then each day's account insights (one call for the totals and
//! one for follows and unfollows, which only come with a breakdown), a daily series of new
//! followers when the follows were not given, and the recent posts with their insights. What
//! Instagram has no numbers for (too few viewers, an account under 100 followers, a post from
//! before the account turned professional) is `None`; what makes the pull pointless (a refused
//! token, a rate limit) ends it with a [`PullError`].
//!
//! Instagram reports how much of its limits the app has used in two headers on every answer.
//! A pull stops at [`USAGE_LIMIT_PERCENT`], before Instagram starts refusing, and tells the
//! sync how long to wait.
//!
//! Meta retired `impressions` and `plays` in 2025 in favour of `views`; an answer that still
//! carries the old names, or an API version that does not know `views` yet, is bridged into
//! `views`, so the charts show no cliff where the name changed.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use gd_config::InstagramAppConfig;
use gd_oauth::ProviderToken;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, RedirectUrl, Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use reqwest::header::HeaderMap;
use reqwest::Url;
use serde_json::Value;

use crate::network::{
    AccountRef, DayInsights, LongLivedToken, Media, MediaInsights, Network, NetworkId, Profile,
    Pull, PullError, PullFuture,
};
use crate::AnalyticsError;

/// The usage percentage (of any counter in `X-App-Usage` or `X-Business-Use-Case-Usage`) at
/// which a pull stops. Instagram refuses calls at 100; stopping earlier leaves room for the
/// connects and token refreshes that cannot wait.
pub const USAGE_LIMIT_PERCENT: i64 = 85;

/// How long to wait after a rate limit when Instagram does not say
/// (`estimated_time_to_regain_access` absent or 0).
pub const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(15 * 60);

/// The permissions asked for: the profile and media, and their insights. Comma-separated in
/// one value, as Instagram documents them (oauth2 would join separate scopes with spaces).
const SCOPES: &str = "instagram_business_basic,instagram_business_manage_insights";

/// What Instagram keeps of an account's daily insights, and the most days one pull asks for.
const MAX_DAYS: u32 = 30;

/// The follower series (`follower_count`) only answers for the last 30 days, today excluded;
/// one day less keeps a call near midnight from being refused.
const FOLLOWER_SERIES_DAYS: i64 = 29;

/// Posts are read 50 at a time, at most this many pages a pull.
const MEDIA_PAGES: usize = 4;
const MEDIA_PAGE_SIZE: &str = "50";

/// Posts older than the first day asked for, minus this, are not read again: their insights
/// hardly change any more, and each costs a call.
const MEDIA_LOOKBACK_DAYS: i64 = 60;

/// A long-lived token lasts 60 days; used when an answer does not say.
const LONG_LIVED_DEFAULT: Duration = Duration::from_secs(60 * 24 * 3600);

const PROFILE_FIELDS: &str = "user_id,username,name,profile_picture_url,followers_count,\
                              follows_count,media_count,account_type";
const MEDIA_FIELDS: &str = "id,caption,media_type,media_product_type,timestamp,permalink,\
                            thumbnail_url,media_url,like_count,comments_count";

/// A day's account totals. `follows_and_unfollows` is asked separately: it needs a breakdown
/// the other metrics do not accept.
const ACCOUNT_METRICS: &str = "views,reach,accounts_engaged,total_interactions,likes,comments,\
                               shares,saves,profile_links_taps";
/// The same for an API version before `views` (retired `impressions` in its place).
const ACCOUNT_METRICS_RETIRED: &str = "impressions,reach,accounts_engaged,total_interactions,\
                                       likes,comments,shares,saves,profile_links_taps";

const MEDIA_METRICS: &str = "views,reach,likes,comments,saved,shares,total_interactions";
/// Before `views`: reels counted `plays`, everything else `impressions`.
const REEL_METRICS_RETIRED: &str = "plays,reach,likes,comments,saved,shares,total_interactions";
const MEDIA_METRICS_RETIRED: &str =
    "impressions,reach,likes,comments,saved,shares,total_interactions";

/// Graph error codes that mean "too many calls": application, user, page, custom and
/// Instagram business-use-case limits.
const RATE_LIMIT_CODES: [i64; 5] = [4, 17, 32, 613, 80_002];
/// The app-wide limit ("Application request limit reached"); the others are per user or account.
const APP_LIMIT_CODE: i64 = 4;
/// The token expired, was revoked, or the password changed.
const INVALID_TOKEN_CODE: i64 = 190;
/// "Not enough data" for insights (too few viewers, a small account), or, with another
/// message, a permission the token lacks.
const NO_INSIGHTS_CODE: i64 = 10;
/// An invalid parameter: among others a metric this API version does not know.
const INVALID_PARAMETER_CODE: i64 = 100;
/// With code 100: the post predates the account's switch to a professional account, and
/// will never have insights.
const BEFORE_CONVERSION_SUBCODE: i64 = 2_108_006;

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    ProviderToken,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The Instagram app clients connect through, and one HTTP client for all its calls.
#[derive(Debug, Clone)]
pub struct Instagram {
    http: reqwest::Client,
    app: InstagramAppConfig,
    /// `api_url` without a trailing slash.
    api_base: String,
    /// Where `api_url` points: the only place a paging link may lead (it carries the token).
    api_origin: reqwest::Url,
}

/// A freshly connected account: its long-lived token and who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    /// Its `Debug` leaves the token out, so this one prints safely too.
    pub token: LongLivedToken,
    pub profile: Profile,
}

impl Instagram {
    pub fn new(app: &InstagramAppConfig) -> Result<Self, AnalyticsError> {
        let http = reqwest::Client::builder()
            // A redirect from Instagram's API is never expected; following one would send the
            // token (a query parameter) wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .user_agent("Growthdesk")
            .build()
            .map_err(|e| AnalyticsError::Network(format!("cannot build the HTTP client: {e}")))?;
        let api_base = app.api_url.trim_end_matches('/').to_owned();
        let api_origin = Url::parse(&api_base).map_err(|e| {
            AnalyticsError::Invalid(format!("INSTAGRAM_API_URL {api_base:?} is no URL: {e}"))
        })?;
        // Checked once here rather than at a client's first click.
        AuthUrl::new(app.auth_url.clone())
            .map_err(|e| AnalyticsError::Invalid(format!("INSTAGRAM_AUTH_URL is no URL: {e}")))?;
        TokenUrl::new(app.token_url.clone())
            .map_err(|e| AnalyticsError::Invalid(format!("INSTAGRAM_TOKEN_URL is no URL: {e}")))?;
        Ok(Self {
            http,
            app: app.clone(),
            api_base,
            api_origin,
        })
    }

    fn oauth_client(&self, redirect_url: &str) -> Result<OAuthClient, String> {
        Ok(oauth2::Client::new(ClientId::new(self.app.app_id.clone()))
            .set_client_secret(ClientSecret::new(self.app.app_secret.expose().to_owned()))
            .set_auth_uri(
                AuthUrl::new(self.app.auth_url.clone())
                    .map_err(|e| format!("INSTAGRAM_AUTH_URL is no URL: {e}"))?,
            )
            .set_token_uri(
                TokenUrl::new(self.app.token_url.clone())
                    .map_err(|e| format!("INSTAGRAM_TOKEN_URL is no URL: {e}"))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(redirect_url.to_owned())
                    .map_err(|e| format!("the redirect address {redirect_url:?} is no URL: {e}"))?,
            )
            // Instagram reads the app secret from the form, not from HTTP Basic.
            .set_auth_type(AuthType::RequestBody))
    }

    /// The authorization address (scopes `instagram_business_basic` and
    /// `instagram_business_manage_insights`, `response_type=code`, a fresh random state) and
    /// the state to keep until the browser comes back.
    pub fn authorize_url(&self, redirect_url: &str) -> Result<(String, String), AnalyticsError> {
        let client = self
            .oauth_client(redirect_url)
            .map_err(AnalyticsError::Invalid)?;
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new(SCOPES.to_owned()))
            .url();
        Ok((url.to_string(), state.secret().clone()))
    }

    /// Exchanges the code for the short-lived token (Instagram answers flat or nested in
    /// `data[]`; [`ProviderToken`] reads both), that one for a long-lived token, and reads
    /// the profile with it.
    pub async fn connect(&self, redirect_url: &str, code: &str) -> Result<Connected, PullError> {
        // Instagram appends `#_` to the redirect; it is not part of the code.
        let code = code.trim().trim_end_matches("#_");
        if code.is_empty() {
            return Err(PullError::Failed(
                "Instagram sent no authorization code".into(),
            ));
        }
        let client = self.oauth_client(redirect_url).map_err(PullError::Failed)?;
        let short = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(exchange_error)?;
        let token = self
            .token_call(
                "access_token",
                &[
                    ("grant_type", "ig_exchange_token"),
                    ("client_secret", self.app.app_secret.expose()),
                    ("access_token", short.access_token().secret()),
                ],
            )
            .await?;
        let answer = self.profile_answer(&token.token).await?;
        if let Some(limit) = answer.over_limit {
            // The account is connected all the same; the next sync will wait.
            tracing::warn!(%limit, "Instagram usage is high while connecting an account");
        }
        let profile = parse_profile(&answer.body)?;
        Ok(Connected { token, profile })
    }

    /// `GET {api_url}/{path}` for a long-lived token (the exchange and the refresh are not
    /// versioned). A high usage header is only logged: the token is already issued.
    async fn token_call(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<LongLivedToken, PullError> {
        let url = format!("{}/{path}", self.api_base);
        let answer = self
            .get_json(&url, query)
            .await
            .map_err(Failure::into_pull)?;
        if let Some(limit) = answer.over_limit {
            tracing::warn!(%limit, "Instagram usage is high at a token call");
        }
        parse_long_lived(&answer.body)
    }

    async fn profile_answer(&self, token: &str) -> Result<Answer, PullError> {
        let url = format!("{}/{}/me", self.api_base, self.app.api_version);
        self.get_json(&url, &[("fields", PROFILE_FIELDS), ("access_token", token)])
            .await
            .map_err(Failure::into_pull)
    }

    /// One GET and its JSON. An error answer becomes [`Failure::Graph`] for the caller to
    /// judge (a missing insight is no failure); the usage headers are read on every answer,
    /// and one at or past the limit ends a pull even if this answer was an error.
    async fn get_json(&self, url: &str, query: &[(&str, &str)]) -> Result<Answer, Failure> {
        let response = self.http.get(url).query(query).send().await.map_err(|e| {
            // Without the URL: it carries the token.
            Failure::Stop(PullError::Failed(format!(
                "Instagram not reached: {}",
                e.without_url()
            )))
        })?;
        let status = response.status();
        let usage = read_usage(response.headers());
        let over_limit = usage_wait(&usage);
        let bytes = response.bytes().await.map_err(|e| {
            Failure::Stop(PullError::Failed(format!(
                "Instagram's answer could not be read: {}",
                e.without_url()
            )))
        })?;
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        let error = body
            .as_ref()
            .and_then(|b| b.get("error"))
            .filter(|e| e.is_object());
        if !status.is_success() || error.is_some() {
            if let Some(limit) = over_limit {
                return Err(Failure::Stop(limit));
            }
            return Err(match error {
                Some(error) => Failure::Graph(graph_error(status.as_u16(), error, usage.regain)),
                None => Failure::Stop(status_error(status.as_u16(), usage.regain)),
            });
        }
        let body = body.ok_or_else(|| {
            Failure::Stop(PullError::Failed(format!(
                "Instagram answered {status} with something that is not JSON"
            )))
        })?;
        Ok(Answer { body, over_limit })
    }

    /// [`Self::get_json`] for a pull: a usage header at or past the limit ends it here,
    /// before the next call.
    async fn pull_json(&self, url: &str, query: &[(&str, &str)]) -> Result<Value, Failure> {
        let answer = self.get_json(url, query).await?;
        match answer.over_limit {
            Some(limit) => Err(Failure::Stop(limit)),
            None => Ok(answer.body),
        }
    }

    /// Asks an insights endpoint. `Ok(None)` when Instagram has no numbers to give (code 10,
    /// or a post from before the account turned professional). When `views` is refused as a
    /// metric (code 100: an API version before it), asks once more with `retired`, whose
    /// `impressions` or `plays` the parser reads as views.
    async fn insights(
        &self,
        url: &str,
        metrics: &str,
        retired: Option<&str>,
        query: &[(&str, &str)],
    ) -> Result<Option<Value>, PullError> {
        let refusal = match self.insights_once(url, metrics, query).await {
            Ok(body) => return Ok(Some(body)),
            Err(Failure::Stop(e)) => return Err(e),
            Err(Failure::Graph(refusal)) => refusal,
        };
        match (insights_refusal(&refusal), retired) {
            (Refusal::NoData, _) => {
                tracing::debug!(message = %refusal.message, "Instagram has no insights here");
                Ok(None)
            }
            (Refusal::UnknownMetric, Some(retired)) => {
                tracing::info!(
                    message = %refusal.message,
                    "Instagram refused `views`; asking with the retired metric instead"
                );
                match self.insights_once(url, retired, query).await {
                    Ok(body) => Ok(Some(body)),
                    Err(Failure::Stop(e)) => Err(e),
                    Err(Failure::Graph(again)) => match insights_refusal(&again) {
                        Refusal::NoData => Ok(None),
                        _ => Err(again.into_pull()),
                    },
                }
            }
            _ => Err(refusal.into_pull()),
        }
    }

    async fn insights_once(
        &self,
        url: &str,
        metrics: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, Failure> {
        let mut with_metric = vec![("metric", metrics)];
        with_metric.extend_from_slice(query);
        self.pull_json(url, &with_metric).await
    }

    async fn pull_account(
        &self,
        account: &AccountRef,
        since: NaiveDate,
        until: NaiveDate,
    ) -> Result<Pull, PullError> {
        let token = account
            .token
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| PullError::TokenRefused("no token is stored for this account".into()))?;
        let profile = {
            let answer = self.profile_answer(token).await?;
            if let Some(limit) = answer.over_limit {
                return Err(limit);
            }
            parse_profile(&answer.body)?
        };
        if profile.external_id != account.external_id {
            tracing::warn!(
                stored = %account.external_id,
                answered = %profile.external_id,
                "the token belongs to another Instagram account than the one stored"
            );
        }
        let user = node_id(&profile.external_id)?;
        let today = Utc::now().date_naive();

        let mut days = Vec::new();
        for day in day_range(since, until, today) {
            days.push(self.day_insights(token, user, day).await?);
        }
        let series_from = today - TimeDelta::days(FOLLOWER_SERIES_DAYS);
        let needs_series = days
            .iter()
            .any(|d| d.followers_gained.is_none() && d.day >= series_from && d.day < today);
        if let (true, Some(first), Some(last)) = (needs_series, days.first(), days.last()) {
            let gained = self
                .new_followers(token, user, first.day, last.day, today)
                .await?;
            for d in days.iter_mut().filter(|d| d.followers_gained.is_none()) {
                d.followers_gained = gained.get(&d.day).copied();
            }
        }
        fill_followers(&mut days, profile.followers, today);

        let media = self.media(token, user, since).await?;
        Ok(Pull {
            profile,
            days,
            media,
        })
    }

    /// One UTC day's totals, and its follows and unfollows.
    async fn day_insights(
        &self,
        token: &str,
        user: &str,
        day: NaiveDate,
    ) -> Result<DayInsights, PullError> {
        let url = format!("{}/{}/{user}/insights", self.api_base, self.app.api_version);
        let since = day_start(day).to_string();
        let until = day_start(day + TimeDelta::days(1)).to_string();
        let window = [
            ("period", "day"),
            ("metric_type", "total_value"),
            ("since", since.as_str()),
            ("until", until.as_str()),
            ("access_token", token),
        ];
        let totals = self
            .insights(
                &url,
                ACCOUNT_METRICS,
                Some(ACCOUNT_METRICS_RETIRED),
                &window,
            )
            .await?
            .map(|body| metric_values(&body))
            .unwrap_or_default();
        let mut with_breakdown = window.to_vec();
        with_breakdown.push(("breakdown", "follow_type"));
        let (gained, lost) = self
            .insights(&url, "follows_and_unfollows", None, &with_breakdown)
            .await?
            .map(|body| follows_and_unfollows(&body))
            .unwrap_or_default();
        let value = |name: &str| totals.get(name).copied();
        Ok(DayInsights {
            day,
            followers: None,
            views: value("views")
                .or_else(|| value("impressions"))
                .or_else(|| value("plays")),
            reach: value("reach"),
            accounts_engaged: value("accounts_engaged"),
            total_interactions: value("total_interactions"),
            likes: value("likes"),
            comments: value("comments"),
            shares: value("shares"),
            saves: value("saves"),
            followers_gained: gained,
            followers_lost: lost,
            profile_links_taps: value("profile_links_taps"),
        })
    }

    /// New followers per day (`follower_count`, a daily series despite its name) from
    /// `first` to `last`, as far as Instagram keeps it: the last 30 days, today excluded,
    /// accounts of 100 followers and more. A supplement, so a refusal of the metric itself
    /// leaves it out rather than failing the pull.
    async fn new_followers(
        &self,
        token: &str,
        user: &str,
        first: NaiveDate,
        last: NaiveDate,
        today: NaiveDate,
    ) -> Result<HashMap<NaiveDate, i64>, PullError> {
        let from = first.max(today - TimeDelta::days(FOLLOWER_SERIES_DAYS));
        let to = (last + TimeDelta::days(1)).min(today);
        if from >= to {
            return Ok(HashMap::new());
        }
        let url = format!("{}/{}/{user}/insights", self.api_base, self.app.api_version);
        let since = day_start(from).to_string();
        let until = day_start(to).to_string();
        let query = [
            ("metric", "follower_count"),
            ("period", "day"),
            ("since", since.as_str()),
            ("until", until.as_str()),
            ("access_token", token),
        ];
        match self.pull_json(&url, &query).await {
            Ok(body) => Ok(daily_series(&body, "follower_count")),
            Err(Failure::Stop(e)) => Err(e),
            Err(Failure::Graph(refusal)) => match refusal.code {
                Some(NO_INSIGHTS_CODE | INVALID_PARAMETER_CODE)
                    if !refusal.is_permission_refusal() =>
                {
                    tracing::debug!(message = %refusal.message, "no follower series");
                    Ok(HashMap::new())
                }
                _ => Err(refusal.into_pull()),
            },
        }
    }

    /// The posts, newest first, down to `since` minus [`MEDIA_LOOKBACK_DAYS`], with their
    /// insights.
    async fn media(
        &self,
        token: &str,
        user: &str,
        since: NaiveDate,
    ) -> Result<Vec<Media>, PullError> {
        let cutoff = since
            .checked_sub_signed(TimeDelta::days(MEDIA_LOOKBACK_DAYS))
            .unwrap_or(since)
            .and_time(NaiveTime::MIN)
            .and_utc();
        let first = format!("{}/{}/{user}/media", self.api_base, self.app.api_version);
        let first_query = [
            ("fields", MEDIA_FIELDS),
            ("limit", MEDIA_PAGE_SIZE),
            ("access_token", token),
        ];
        let mut posts = Vec::new();
        let mut next: Option<String> = None;
        for page in 0..MEDIA_PAGES {
            let body = match &next {
                None if page == 0 => self.pull_json(&first, &first_query).await,
                None => break,
                Some(url) => self.pull_json(url, &[]).await,
            }
            .map_err(Failure::into_pull)?;
            let items = body.get("data").and_then(Value::as_array);
            let mut oldest: Option<DateTime<Utc>> = None;
            for item in items.into_iter().flatten() {
                let Some(post) = parse_post(item) else {
                    continue;
                };
                oldest = Some(oldest.map_or(post.posted_at, |o| o.min(post.posted_at)));
                if post.posted_at >= cutoff {
                    posts.push(post);
                }
            }
            // A pinned old post may sit among new ones; only a page that ends before the
            // cutoff means there is nothing newer further on.
            if oldest.is_none_or(|o| o < cutoff) {
                break;
            }
            next = self.next_page(&body, token);
        }

        let mut media: Vec<Media> = Vec::with_capacity(posts.len());
        for post in posts {
            // A post listed twice (pages shifting while read) is kept once.
            if media.iter().any(|m| m.external_id == post.id) {
                continue;
            }
            let insights = match self.media_insights(token, &post).await {
                Ok(insights) => insights,
                // The token and the limits concern every call: the pull stops.
                Err(e @ (PullError::TokenRefused(_) | PullError::RateLimited { .. })) => {
                    return Err(e)
                }
                // One post's refusal (deleted meanwhile, a metric its kind does not offer)
                // leaves that post without insights, not the account without a sync.
                Err(e) => {
                    tracing::info!(post = %post.id, error = %e, "post insights not read");
                    MediaInsights {
                        likes: post.like_count,
                        comments: post.comments_count,
                        ..Default::default()
                    }
                }
            };
            media.push(post.into_media(insights));
        }
        Ok(media)
    }

    /// The next page's address, when it stays where `api_url` points: it carries the token,
    /// which must not be sent elsewhere.
    fn next_page(&self, body: &Value, token: &str) -> Option<String> {
        let next = body.pointer("/paging/next")?.as_str()?;
        let mut url = match Url::parse(next) {
            Ok(url) => url,
            Err(e) => {
                tracing::warn!(error = %e, "Instagram's next page link is no URL");
                return None;
            }
        };
        if url.origin() != self.api_origin.origin() {
            tracing::warn!(
                host = url.host_str().unwrap_or(""),
                "Instagram's next page link leads to another host; not followed"
            );
            return None;
        }
        if !url.query_pairs().any(|(k, _)| k == "access_token") {
            url.query_pairs_mut().append_pair("access_token", token);
        }
        Some(url.to_string())
    }

    async fn media_insights(&self, token: &str, post: &Post) -> Result<MediaInsights, PullError> {
        let id = node_id(&post.id)?;
        let url = format!("{}/{}/{id}/insights", self.api_base, self.app.api_version);
        let retired = if post.product_type.as_deref() == Some("REELS") {
            REEL_METRICS_RETIRED
        } else {
            MEDIA_METRICS_RETIRED
        };
        let values = self
            .insights(
                &url,
                MEDIA_METRICS,
                Some(retired),
                &[("access_token", token)],
            )
            .await?
            .map(|body| metric_values(&body))
            .unwrap_or_default();
        let value = |name: &str| values.get(name).copied();
        Ok(MediaInsights {
            views: value("views")
                .or_else(|| value("plays"))
                .or_else(|| value("impressions")),
            reach: value("reach"),
            likes: value("likes").or(post.like_count),
            comments: value("comments").or(post.comments_count),
            saved: value("saved"),
            shares: value("shares"),
            total_interactions: value("total_interactions"),
        })
    }
}

impl Network for Instagram {
    fn id(&self) -> NetworkId {
        NetworkId::Instagram
    }

    fn backfill_days(&self) -> u32 {
        MAX_DAYS
    }

    fn pull<'a>(
        &'a self,
        account: &'a AccountRef,
        since: NaiveDate,
        until: NaiveDate,
    ) -> PullFuture<'a, Pull> {
        Box::pin(self.pull_account(account, since, until))
    }

    fn refresh_token<'a>(&'a self, token: &'a str) -> PullFuture<'a, Option<LongLivedToken>> {
        Box::pin(async move {
            self.token_call(
                "refresh_access_token",
                &[("grant_type", "ig_refresh_token"), ("access_token", token)],
            )
            .await
            .map(Some)
        })
    }
}

/// A good answer, and whether its usage headers say to stop.
struct Answer {
    body: Value,
    over_limit: Option<PullError>,
}

/// Why a call brought no answer.
enum Failure {
    /// Instagram refused with a Graph error, which the caller may take as "no data".
    Graph(GraphError),
    /// Nothing to judge: the pull ends (network down, a limit reached, no JSON).
    Stop(PullError),
}

impl Failure {
    fn into_pull(self) -> PullError {
        match self {
            Failure::Graph(e) => e.into_pull(),
            Failure::Stop(e) => e,
        }
    }
}

/// Instagram's `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.
#[derive(Debug, Clone, PartialEq)]
struct GraphError {
    status: u16,
    message: String,
    kind: Option<String>,
    code: Option<i64>,
    subcode: Option<i64>,
    trace: Option<String>,
    /// How long Instagram says until calls are allowed again (from the usage header).
    regain: Option<Duration>,
}

fn graph_error(status: u16, error: &Value, regain: Option<Duration>) -> GraphError {
    GraphError {
        status,
        message: text(error, "message").unwrap_or_else(|| "no message".into()),
        kind: text(error, "type"),
        code: int(error, "code"),
        subcode: int(error, "error_subcode"),
        trace: text(error, "fbtrace_id"),
        regain,
    }
}

impl GraphError {
    /// Code 10 also says "Application does not have permission for this action": the token
    /// lacks the insights permission, which only connecting again can grant.
    fn is_permission_refusal(&self) -> bool {
        self.code == Some(NO_INSIGHTS_CODE) && self.message.to_lowercase().contains("permission")
    }

    fn into_pull(self) -> PullError {
        let refused_token = self.code == Some(INVALID_TOKEN_CODE)
            || (self.status == 401 && self.kind.as_deref() == Some("OAuthException"))
            || self.is_permission_refusal();
        if refused_token {
            return PullError::TokenRefused(self.message);
        }
        if self.status == 429 || self.code.is_some_and(|c| RATE_LIMIT_CODES.contains(&c)) {
            return PullError::RateLimited {
                // Code 4 (and a bare 429) is the app's limit; the others count per user,
                // page or Instagram account.
                account_only: !(self.status == 429 || self.code == Some(APP_LIMIT_CODE)),
                wait: self.regain.unwrap_or(DEFAULT_RATE_LIMIT_WAIT),
                reason: format!(
                    "Instagram error {}: {}",
                    self.code.map_or_else(|| "?".into(), |c| c.to_string()),
                    self.message
                ),
            };
        }
        let mut detail = format!("HTTP {}", self.status);
        if let Some(code) = self.code {
            detail.push_str(&format!(", code {code}"));
        }
        if let Some(subcode) = self.subcode {
            detail.push_str(&format!("/{subcode}"));
        }
        if let Some(trace) = &self.trace {
            detail.push_str(&format!(", trace {trace}"));
        }
        PullError::Failed(format!("Instagram refused: {} ({detail})", self.message))
    }
}

/// An error status without a Graph error in the body (a proxy's page, an empty 502).
fn status_error(status: u16, regain: Option<Duration>) -> PullError {
    if status == 429 {
        PullError::RateLimited {
            wait: regain.unwrap_or(DEFAULT_RATE_LIMIT_WAIT),
            reason: "Instagram answered HTTP 429".into(),
            account_only: false,
        }
    } else {
        PullError::Failed(format!("Instagram answered HTTP {status}"))
    }
}

/// How an insights call's refusal is taken.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// Nothing to show: missing numbers, not a failure.
    NoData,
    /// A metric the API version does not know (worth asking with the retired names).
    UnknownMetric,
    Other,
}

fn insights_refusal(e: &GraphError) -> Refusal {
    let message = e.message.to_lowercase();
    match (e.code, e.subcode) {
        (Some(NO_INSIGHTS_CODE), _) if !e.is_permission_refusal() => Refusal::NoData,
        (Some(INVALID_PARAMETER_CODE), Some(BEFORE_CONVERSION_SUBCODE)) => Refusal::NoData,
        (Some(INVALID_PARAMETER_CODE), _) if message.contains("metric") => Refusal::UnknownMetric,
        _ => Refusal::Other,
    }
}

/// What the usage headers say: the fullest counter, and when access returns.
#[derive(Debug, Default, PartialEq)]
struct Usage {
    /// The highest percentage, with the header and counter it came from.
    highest: Option<(i64, String)>,
    /// `estimated_time_to_regain_access` (minutes in the header), when above 0.
    regain: Option<Duration>,
}

const APP_USAGE: &str = "x-app-usage";
const BUSINESS_USAGE: &str = "x-business-use-case-usage";

fn read_usage(headers: &HeaderMap) -> Usage {
    let header = |name: &str| {
        let value = headers.get(name)?;
        match value.to_str() {
            Ok(text) => Some(text.to_owned()),
            Err(_) => {
                tracing::debug!(header = name, "unreadable usage header ignored");
                None
            }
        }
    };
    usage_from(
        header(APP_USAGE).as_deref(),
        header(BUSINESS_USAGE).as_deref(),
    )
}

/// Reads `X-App-Usage` (`{"call_count":n,"total_time":n,"total_cputime":n}`) and
/// `X-Business-Use-Case-Usage` (`{"<id>":[{"type","call_count","total_cputime","total_time",
/// "estimated_time_to_regain_access"}]}`). A header that cannot be read is ignored: it says
/// nothing about the usage, which is no reason to stop.
fn usage_from(app: Option<&str>, business: Option<&str>) -> Usage {
    const COUNTERS: [&str; 3] = ["call_count", "total_time", "total_cputime"];
    let mut counters: Vec<(i64, String)> = Vec::new();
    let mut regain: Option<Duration> = None;
    if let Some(text) = app {
        match serde_json::from_str::<Value>(text) {
            Ok(v) if v.is_object() => {
                for counter in COUNTERS {
                    if let Some(p) = int(&v, counter) {
                        counters.push((p, format!("X-App-Usage {counter}")));
                    }
                }
            }
            _ => tracing::debug!(header = text, "unreadable X-App-Usage ignored"),
        }
    }
    if let Some(text) = business {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(objects)) => {
                for (id, entries) in &objects {
                    for entry in entries.as_array().into_iter().flatten() {
                        for counter in COUNTERS {
                            if let Some(p) = int(entry, counter) {
                                counters.push((
                                    p,
                                    format!("X-Business-Use-Case-Usage {counter} ({id})"),
                                ));
                            }
                        }
                        let minutes = int(entry, "estimated_time_to_regain_access")
                            .filter(|m| *m > 0)
                            .map(|m| Duration::from_secs(m.unsigned_abs() * 60));
                        regain = regain.max(minutes);
                    }
                }
            }
            _ => tracing::debug!(
                header = text,
                "unreadable X-Business-Use-Case-Usage ignored"
            ),
        }
    }
    let highest = counters.into_iter().max_by_key(|(p, _)| *p);
    Usage { highest, regain }
}

/// The stop a pull makes when a counter reached [`USAGE_LIMIT_PERCENT`].
fn usage_wait(usage: &Usage) -> Option<PullError> {
    let (percent, what) = usage.highest.as_ref()?;
    (*percent >= USAGE_LIMIT_PERCENT).then(|| PullError::RateLimited {
        // The business use case counts per Instagram account; the app's usage is everyone's.
        account_only: what.starts_with("X-Business-Use-Case-Usage"),
        wait: usage.regain.unwrap_or(DEFAULT_RATE_LIMIT_WAIT),
        reason: format!("{what} at {percent}%"),
    })
}

/// Why the code exchange failed, in words for the person connecting. A refused code (used,
/// expired, another redirect address) means starting over.
fn exchange_error(
    e: oauth2::RequestTokenError<oauth2::HttpClientError<reqwest::Error>, BasicErrorResponse>,
) -> PullError {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => {
            PullError::TokenRefused(format!("Instagram refused the code: {r}"))
        }
        // Instagram's own error shape is not OAuth's: `{"error_type", "code",
        // "error_message"}`.
        oauth2::RequestTokenError::Parse(_, body) => {
            let message = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
                text(&v, "error_message")
                    .or_else(|| v.get("error").and_then(|e| text(e, "message")))
                    .or_else(|| text(&v, "error_description"))
            });
            match message {
                Some(m) => PullError::TokenRefused(format!("Instagram refused the code: {m}")),
                None => PullError::Failed("Instagram's token answer is unreadable".into()),
            }
        }
        oauth2::RequestTokenError::Request(r) => {
            let detail = match r {
                oauth2::HttpClientError::Reqwest(e) => e.without_url().to_string(),
                other => other.to_string(),
            };
            PullError::Failed(format!("Instagram not reached: {detail}"))
        }
        oauth2::RequestTokenError::Other(o) => {
            PullError::Failed(format!("Instagram's token answer: {o}"))
        }
    }
}

/// `{"access_token", "token_type", "expires_in"}` (flat, or in `data[]`).
fn parse_long_lived(body: &Value) -> Result<LongLivedToken, PullError> {
    let v = unwrap_data(body);
    let token = text(v, "access_token")
        .ok_or_else(|| PullError::Failed("Instagram's token answer has no access_token".into()))?;
    let expires_in = int(v, "expires_in")
        .filter(|s| *s > 0)
        .map_or(LONG_LIVED_DEFAULT, |s| {
            Duration::from_secs(s.unsigned_abs())
        });
    Ok(LongLivedToken { token, expires_in })
}

/// The `/me` answer (flat, or in `data[]`). `user_id` is the professional account's id (a
/// number or a string, larger than a float holds exactly); `id` stands in only without it.
fn parse_profile(body: &Value) -> Result<Profile, PullError> {
    let v = unwrap_data(body);
    let external_id = text(v, "user_id")
        .or_else(|| text(v, "id"))
        .ok_or_else(|| PullError::Failed("Instagram's profile answer has no user_id".into()))?;
    let handle = text(v, "username")
        .ok_or_else(|| PullError::Failed("Instagram's profile answer has no username".into()))?;
    Ok(Profile {
        external_id,
        handle,
        name: text(v, "name"),
        picture_url: text(v, "profile_picture_url"),
        // Seen as "MEDIA_CREATOR" and "Media_Creator".
        account_type: text(v, "account_type").map(|t| t.to_uppercase()),
        followers: int(v, "followers_count"),
        follows: int(v, "follows_count"),
        media_count: int(v, "media_count"),
    })
}

/// `{"data": [x, …]}` gives `x`; anything else is itself.
fn unwrap_data(body: &Value) -> &Value {
    match body
        .get("data")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
    {
        Some(first) if body.get("access_token").is_none() && body.get("username").is_none() => {
            first
        }
        _ => body,
    }
}

/// Insight values by metric name: `total_value.value`, or the first of `values[]`.
fn metric_values(body: &Value) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    for entry in body
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = text(entry, "name") else {
            continue;
        };
        let value = entry
            .pointer("/total_value/value")
            .and_then(number)
            .or_else(|| entry.pointer("/values/0/value").and_then(number));
        if let Some(value) = value {
            out.insert(name, value);
        }
    }
    out
}

/// `follows_and_unfollows` with `breakdown=follow_type`: `FOLLOWER` counts the follows,
/// `NON_FOLLOWER` the unfollows. When the breakdown is there, a type it leaves out had none
/// (Instagram omits empty ones); without an entry at all, both are unknown.
fn follows_and_unfollows(body: &Value) -> (Option<i64>, Option<i64>) {
    let Some(entry) = body.get("data").and_then(Value::as_array).and_then(|d| {
        d.iter()
            .find(|e| text(e, "name").is_none_or(|n| n == "follows_and_unfollows"))
    }) else {
        return (None, None);
    };
    if let Some(Value::Object(split)) = entry.pointer("/total_value/value") {
        // An older shape: `{"follows": n, "unfollows": n}`.
        let get = |k: &str| split.get(k).and_then(number);
        return (get("follows"), get("unfollows"));
    }
    let Some(breakdowns) = entry
        .pointer("/total_value/breakdowns")
        .and_then(Value::as_array)
    else {
        return (None, None);
    };
    let (mut follows, mut unfollows) = (0, 0);
    for breakdown in breakdowns {
        let index = breakdown
            .get("dimension_keys")
            .and_then(Value::as_array)
            .and_then(|keys| keys.iter().position(|k| k.as_str() == Some("follow_type")))
            .unwrap_or(0);
        for result in breakdown
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = result
                .get("dimension_values")
                .and_then(|d| d.get(index))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_uppercase();
            let value = result.get("value").and_then(number).unwrap_or(0);
            match kind.as_str() {
                "FOLLOWER" | "FOLLOW" | "FOLLOWS" => follows += value,
                "NON_FOLLOWER" | "UNFOLLOW" | "UNFOLLOWS" => unfollows += value,
                _ => {}
            }
        }
    }
    (Some(follows), Some(unfollows))
}

/// A daily time series (`values[]` with `end_time`) by day. `end_time` is the end of the
/// day in the account's time zone (midnight Pacific shows as 07:00 UTC); twelve hours
/// earlier falls inside the day it counts, whatever the zone.
fn daily_series(body: &Value, metric: &str) -> HashMap<NaiveDate, i64> {
    let mut out = HashMap::new();
    let entries = body
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for entry in entries.filter(|e| text(e, "name").is_none_or(|n| n == metric)) {
        for point in entry
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let end = point
                .get("end_time")
                .and_then(Value::as_str)
                .and_then(parse_time);
            if let (Some(end), Some(value)) = (end, point.get("value").and_then(number)) {
                out.insert((end - TimeDelta::hours(12)).date_naive(), value);
            }
        }
    }
    out
}

/// Instagram's timestamps: `2025-01-31T18:20:00+0000` (no colon in the offset, so not RFC
/// 3339), and RFC 3339 in case that changes.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The followers at each day's end: today's from the profile, earlier ones worked back from
/// what changed (`followers(d-1) = followers(d) - gained(d) + lost(d)`) for as long as both
/// are known. A pull that does not end today has nothing to start from.
fn fill_followers(days: &mut [DayInsights], now: Option<i64>, today: NaiveDate) {
    let mut known = match days.last() {
        Some(last) if last.day == today => now,
        _ => None,
    };
    for day in days.iter_mut().rev() {
        day.followers = known;
        known = match (known, day.followers_gained, day.followers_lost) {
            // Counts that do not add up (below zero) end the chain rather than store nonsense.
            (Some(end), Some(gained), Some(lost)) => Some(end - gained + lost).filter(|f| *f >= 0),
            _ => None,
        };
    }
}

/// The days a pull asks for: `since` to `until` (not past today), the newest
/// [`MAX_DAYS`] of them.
fn day_range(since: NaiveDate, until: NaiveDate, today: NaiveDate) -> Vec<NaiveDate> {
    let until = until.min(today);
    let earliest = until - TimeDelta::days(i64::from(MAX_DAYS) - 1);
    since
        .max(earliest)
        .iter_days()
        .take_while(|d| *d <= until)
        .collect()
}

/// A day's start as Unix seconds (UTC).
fn day_start(day: NaiveDate) -> i64 {
    day.and_time(NaiveTime::MIN).and_utc().timestamp()
}

/// An id that goes into a path: digits and letters only, so an odd answer cannot lead the
/// call (and its token) to another endpoint.
fn node_id(id: &str) -> Result<&str, PullError> {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(id)
    } else {
        Err(PullError::Failed(format!(
            "Instagram answered an id that is no id: {id:?}"
        )))
    }
}

/// A post as listed, before its insights are asked for.
struct Post {
    id: String,
    media_type: String,
    product_type: Option<String>,
    caption: Option<String>,
    permalink: Option<String>,
    thumbnail_url: Option<String>,
    posted_at: DateTime<Utc>,
    like_count: Option<i64>,
    comments_count: Option<i64>,
}

impl Post {
    fn into_media(self, insights: MediaInsights) -> Media {
        Media {
            external_id: self.id,
            media_type: self.media_type,
            product_type: self.product_type,
            caption: self.caption,
            permalink: self.permalink,
            thumbnail_url: self.thumbnail_url,
            posted_at: self.posted_at,
            insights,
        }
    }
}

/// One item of the media list; `None` (logged) without an id or a readable timestamp.
fn parse_post(item: &Value) -> Option<Post> {
    let id = text(item, "id")?;
    let Some(posted_at) = text(item, "timestamp").as_deref().and_then(parse_time) else {
        tracing::warn!(media = %id, "Instagram post without a readable timestamp skipped");
        return None;
    };
    let media_type = text(item, "media_type")
        .map(|t| t.to_uppercase())
        .unwrap_or_else(|| "UNKNOWN".into());
    // A video's `media_url` is the video itself; only an image's can stand in for a thumbnail.
    let thumbnail_url = text(item, "thumbnail_url").or_else(|| {
        (media_type == "IMAGE")
            .then(|| text(item, "media_url"))
            .flatten()
    });
    Some(Post {
        id,
        product_type: text(item, "media_product_type").map(|t| t.to_uppercase()),
        caption: text(item, "caption"),
        permalink: text(item, "permalink"),
        thumbnail_url,
        posted_at,
        like_count: int(item, "like_count"),
        comments_count: int(item, "comments_count"),
        media_type,
    })
}

/// A text field (numbers, such as ids, as their digits); blank is absent.
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(number)
}

/// A count sent as a number (whole or not) or as a string.
fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f.round() as i64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn usage_below_the_limit_lets_the_pull_go_on() {
        let usage = usage_from(
            Some(r#"{"call_count":28,"total_time":25,"total_cputime":84}"#),
            Some(
                r#"{"1784":[{"type":"instagram","call_count":3,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0}]}"#,
            ),
        );
        assert_eq!(
            usage.highest,
            Some((84, "X-App-Usage total_cputime".into()))
        );
        assert_eq!(usage_wait(&usage), None);
    }

    #[test]
    fn usage_at_the_limit_stops_with_the_header_and_a_default_wait() {
        let usage = usage_from(
            Some(r#"{"call_count":85,"total_time":2,"total_cputime":2}"#),
            None,
        );
        let Some(PullError::RateLimited { wait, reason, .. }) = usage_wait(&usage) else {
            panic!("85% must stop the pull");
        };
        assert_eq!(wait, DEFAULT_RATE_LIMIT_WAIT);
        assert_eq!(reason, "X-App-Usage call_count at 85%");
    }

    #[test]
    fn business_usage_says_how_long_to_wait() {
        let usage = usage_from(
            None,
            Some(
                r#"{"17841400000":[{"type":"instagram","call_count":97,"total_cputime":10,"total_time":12,"estimated_time_to_regain_access":42}]}"#,
            ),
        );
        let Some(PullError::RateLimited { wait, reason, .. }) = usage_wait(&usage) else {
            panic!("97% must stop the pull");
        };
        assert_eq!(wait, Duration::from_secs(42 * 60));
        assert!(
            reason.contains("X-Business-Use-Case-Usage call_count"),
            "{reason}"
        );
        assert!(reason.contains("97%"), "{reason}");
    }

    #[test]
    fn unreadable_usage_headers_are_ignored() {
        for (app, business) in [
            (Some("not json"), Some("[1,2]")),
            (Some(r#"{"call_count":"many"}"#), Some(r#"{"x":"y"}"#)),
            (None, None),
        ] {
            assert_eq!(usage_from(app, business), Usage::default());
        }
    }

    fn refusal(status: u16, error: Value) -> PullError {
        graph_error(status, &error, None).into_pull()
    }

    #[test]
    fn graph_errors_map_to_what_the_sync_does_next() {
        let expired = json!({"message": "Error validating access token: Session has expired",
            "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "A1"});
        assert_eq!(
            refusal(400, expired),
            PullError::TokenRefused("Error validating access token: Session has expired".into())
        );
        let unauthorised =
            json!({"message": "Invalid OAuth access token", "type": "OAuthException"});
        assert!(matches!(
            refusal(401, unauthorised),
            PullError::TokenRefused(_)
        ));

        for code in RATE_LIMIT_CODES {
            let limited = json!({"message": "(#4) Application request limit reached",
                "type": "OAuthException", "code": code});
            let PullError::RateLimited { wait, reason, .. } = refusal(403, limited) else {
                panic!("code {code} is a rate limit");
            };
            assert_eq!(wait, DEFAULT_RATE_LIMIT_WAIT);
            assert!(reason.contains(&code.to_string()), "{reason}");
        }
        let limited = graph_error(
            400,
            &json!({"message": "slow down", "code": 17}),
            Some(Duration::from_secs(600)),
        );
        assert!(
            matches!(limited.into_pull(), PullError::RateLimited { wait, .. } if wait == Duration::from_secs(600))
        );
        assert!(matches!(
            refusal(429, json!({"message": "too many"})),
            PullError::RateLimited { .. }
        ));

        let other = json!({"message": "Unsupported get request.", "type": "GraphMethodException",
            "code": 100, "error_subcode": 33, "fbtrace_id": "Xyz"});
        assert_eq!(
            refusal(400, other),
            PullError::Failed(
                "Instagram refused: Unsupported get request. (HTTP 400, code 100/33, trace Xyz)"
                    .into()
            )
        );
    }

    #[test]
    fn insights_refusals_tell_missing_numbers_from_failures() {
        let e = |code: i64, subcode: Option<i64>, message: &str| {
            graph_error(
                400,
                &json!({"message": message, "code": code, "error_subcode": subcode}),
                None,
            )
        };
        let viewers = e(
            10,
            None,
            "(#10) Not enough viewers for the media to show insights",
        );
        assert_eq!(insights_refusal(&viewers), Refusal::NoData);
        assert_eq!(
            insights_refusal(&e(
                100,
                Some(2_108_006),
                "Media Posted Before Business Account Conversion"
            )),
            Refusal::NoData
        );
        let views_unknown = e(
            100,
            None,
            "(#100) metric[0] must be one of the following values: impressions, reach",
        );
        assert_eq!(insights_refusal(&views_unknown), Refusal::UnknownMetric);
        assert_eq!(
            insights_refusal(&e(100, Some(33), "Unsupported get request.")),
            Refusal::Other
        );

        let permission = e(
            10,
            None,
            "(#10) Application does not have permission for this action",
        );
        assert_eq!(insights_refusal(&permission), Refusal::Other);
        assert!(matches!(permission.into_pull(), PullError::TokenRefused(_)));
    }

    #[test]
    fn timestamps_without_a_colon_in_the_offset() {
        let t = parse_time("2025-01-31T18:20:00+0000").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-31T18:20:00+00:00");
        let t = parse_time("2025-01-31T18:20:00-0800").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-02-01T02:20:00+00:00");
        assert_eq!(
            parse_time("2025-01-31T18:20:00Z").unwrap().timestamp(),
            1_738_347_600
        );
        assert_eq!(parse_time("31.01.2025"), None);
    }

    #[test]
    fn profile_ids_as_numbers_or_strings_flat_or_nested() {
        let flat = json!({"user_id": 27640875392278831u64, "username": "cafe.kranz",
            "followers_count": 1240, "account_type": "Media_Creator", "id": "999"});
        let p = parse_profile(&flat).unwrap();
        assert_eq!(p.external_id, "27640875392278831", "no float rounding");
        assert_eq!(p.account_type.as_deref(), Some("MEDIA_CREATOR"));
        assert_eq!(p.followers, Some(1240));
        assert_eq!(p.name, None);

        let nested = json!({"data": [{"user_id": "17841400000000001", "username": "cafe.kranz"}]});
        assert_eq!(
            parse_profile(&nested).unwrap().external_id,
            "17841400000000001"
        );
        assert!(parse_profile(&json!({"user_id": "1"})).is_err());
    }

    #[test]
    fn long_lived_token_with_and_without_expiry() {
        let t = parse_long_lived(
            &json!({"access_token": "IGAA", "token_type": "bearer", "expires_in": 5183944}),
        )
        .unwrap();
        assert_eq!(
            (t.token.as_str(), t.expires_in),
            ("IGAA", Duration::from_secs(5_183_944))
        );
        let t = parse_long_lived(&json!({"access_token": "IGAB"})).unwrap();
        assert_eq!(t.expires_in, LONG_LIVED_DEFAULT);
        assert!(parse_long_lived(&json!({"token_type": "bearer"})).is_err());
    }

    #[test]
    fn insight_values_in_both_shapes() {
        let body = json!({"data": [
            {"name": "reach", "period": "lifetime", "values": [{"value": 2006}]},
            {"name": "views", "period": "day", "total_value": {"value": 5120}},
            {"name": "saved", "period": "lifetime", "values": []}
        ]});
        let v = metric_values(&body);
        assert_eq!(v.get("reach"), Some(&2006));
        assert_eq!(v.get("views"), Some(&5120));
        assert_eq!(v.get("saved"), None, "no value is missing, not zero");
    }

    #[test]
    fn follows_and_unfollows_from_the_breakdown() {
        let body = json!({"data": [{"name": "follows_and_unfollows", "period": "day",
        "total_value": {"breakdowns": [{"dimension_keys": ["follow_type"], "results": [
            {"dimension_values": ["FOLLOWER"], "value": 37},
            {"dimension_values": ["NON_FOLLOWER"], "value": 6},
            {"dimension_values": ["UNKNOWN"], "value": 2}
        ]}]}}]});
        assert_eq!(follows_and_unfollows(&body), (Some(37), Some(6)));
        let only_follows = json!({"data": [{"name": "follows_and_unfollows",
            "total_value": {"breakdowns": [{"results": [{"dimension_values": ["FOLLOWER"], "value": 3}]}]}}]});
        assert_eq!(follows_and_unfollows(&only_follows), (Some(3), Some(0)));
        assert_eq!(follows_and_unfollows(&json!({"data": []})), (None, None));
        let old = json!({"data": [{"name": "follows_and_unfollows", "total_value": {"value": {"follows": 4, "unfollows": 1}}}]});
        assert_eq!(follows_and_unfollows(&old), (Some(4), Some(1)));
    }

    #[test]
    fn follower_series_lands_on_the_day_it_counts() {
        let body = json!({"data": [{"name": "follower_count", "period": "day", "values": [
            {"value": 12, "end_time": "2025-01-15T08:00:00+0000"},
            {"value": 9, "end_time": "2025-01-16T08:00:00+0000"}
        ]}]});
        let s = daily_series(&body, "follower_count");
        assert_eq!(s.get(&day("2025-01-14")), Some(&12));
        assert_eq!(s.get(&day("2025-01-15")), Some(&9));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn followers_are_worked_back_while_changes_are_known() {
        let today = day("2025-03-10");
        let mut days: Vec<DayInsights> = ["2025-03-07", "2025-03-08", "2025-03-09", "2025-03-10"]
            .into_iter()
            .map(|d| DayInsights {
                day: day(d),
                ..Default::default()
            })
            .collect();
        days[3].followers_gained = Some(10);
        days[3].followers_lost = Some(4);
        days[2].followers_gained = Some(5);
        days[2].followers_lost = Some(0);
        days[1].followers_gained = Some(2); // lost unknown: the chain ends here
        days[0].followers_gained = Some(1);
        days[0].followers_lost = Some(1);
        fill_followers(&mut days, Some(1000), today);
        let followers: Vec<_> = days.iter().map(|d| d.followers).collect();
        assert_eq!(followers, [None, Some(989), Some(994), Some(1000)]);

        // A pull that ends before today has no anchor.
        fill_followers(&mut days, Some(1000), day("2025-03-11"));
        assert!(days.iter().all(|d| d.followers.is_none()));
    }

    #[test]
    fn day_range_keeps_the_newest_thirty_and_nothing_past_today() {
        let today = day("2025-03-10");
        let r = day_range(day("2025-01-01"), day("2025-03-20"), today);
        assert_eq!(r.len(), 30);
        assert_eq!(r.first(), Some(&day("2025-02-09")));
        assert_eq!(r.last(), Some(&today));
        assert!(day_range(day("2025-03-09"), day("2025-03-08"), today).is_empty());
        assert_eq!(day_start(day("2025-01-31")), 1_738_281_600);
    }

    #[test]
    fn posts_take_an_image_as_their_own_thumbnail_but_not_a_video() {
        let image = json!({"id": "1", "media_type": "IMAGE", "timestamp": "2025-01-31T18:20:00+0000",
            "media_url": "https://cdn/img.jpg"});
        assert_eq!(
            parse_post(&image).unwrap().thumbnail_url.as_deref(),
            Some("https://cdn/img.jpg")
        );
        let video = json!({"id": "2", "media_type": "VIDEO", "timestamp": "2025-01-31T18:20:00+0000",
            "media_url": "https://cdn/v.mp4"});
        assert_eq!(parse_post(&video).unwrap().thumbnail_url, None);
        assert!(parse_post(&json!({"id": "3", "timestamp": "yesterday"})).is_none());
    }

    #[test]
    fn ids_in_paths_are_plain() {
        assert!(node_id("17841400000000001").is_ok());
        for bad in ["", "../me", "1?fields=x", "1/2"] {
            assert!(node_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn connected_does_not_print_the_token() {
        let c = Connected {
            token: LongLivedToken {
                token: "IGAAsecret".into(),
                expires_in: LONG_LIVED_DEFAULT,
            },
            profile: Profile::default(),
        };
        assert!(!format!("{c:?}").contains("IGAAsecret"));
    }
}
