//! Instagram adapters. For now one: the check before checkout that an Instagram handle is an
//! account the agency can deliver to ([`AccountCheck`]).
//!
//! Two implementations: [`BusinessDiscovery`], which asks the Graph API about the handle
//! (Business Discovery: answers only for public business and creator accounts, so "not found"
//! also covers personal and private accounts), and [`FormatOnly`], the local default, which
//! says plainly that the account was not looked up. A failing lookup (quota, token, network)
//! is never reported as a bad handle: it is "not checked", and the shopper may go on.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gd_common::InstagramHandle;
use gd_config::{Config, InstagramDiscoveryConfig};
use serde::{Deserialize, Serialize};

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountStatus {
    /// A public business or creator account.
    Professional {
        name: Option<String>,
        followers: Option<u64>,
        posts: Option<u64>,
    },
    /// No public business or creator account has this handle (it does not exist, or it is a
    /// personal or private account: Instagram does not say which).
    NotProfessional,
    /// The lookup did not work this time (quota, token, network); the handle may be fine.
    NotChecked,
    /// Nothing was looked up: no Instagram app is configured (local installation).
    FormatOnly,
}

pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = AccountStatus> + Send + 'a>>;

/// Something that can tell whether an Instagram handle is a professional account.
pub trait AccountCheck: Send + Sync {
    fn check<'a>(&'a self, handle: &'a InstagramHandle) -> CheckFuture<'a>;
    /// True for the local default (the page says the account was not looked up).
    fn is_local(&self) -> bool;
}

/// The check the configuration asks for.
pub fn from_config(config: &Config) -> Result<Arc<dyn AccountCheck>, reqwest::Error> {
    Ok(match &config.instagram_discovery {
        Some(discovery) => Arc::new(BusinessDiscovery::new(discovery)?),
        None => Arc::new(FormatOnly),
    })
}

/// How long an answer about a handle is kept (the agency's quota is shared by every shopper).
pub const CACHE_TTL: Duration = Duration::from_secs(30 * 60);
/// Lookups the whole site makes in an hour at most; beyond, handles are "not checked" until
/// the hour is over (Business Discovery counts against the agency account's rate limit).
pub const LOOKUPS_PER_HOUR: u32 = 300;

/// The local default: the format was checked when the handle was parsed; nothing else is.
pub struct FormatOnly;

impl AccountCheck for FormatOnly {
    fn check<'a>(&'a self, _handle: &'a InstagramHandle) -> CheckFuture<'a> {
        Box::pin(async { AccountStatus::FormatOnly })
    }

    fn is_local(&self) -> bool {
        true
    }
}

/// Business Discovery on the Graph API (Facebook-Login flavour):
/// `GET {graph}/{own id}?fields=business_discovery.username(<handle>){…}`.
pub struct BusinessDiscovery {
    http: reqwest::Client,
    graph_url: String,
    user_id: String,
    token: gd_config::Secret,
    /// Answers by handle, with when they were found (only definite ones are kept).
    cache: Mutex<HashMap<String, (Instant, AccountStatus)>>,
    /// The hour's lookups: when the hour started, how many so far.
    budget: Mutex<(Instant, u32)>,
}

#[derive(Deserialize)]
struct Answer {
    business_discovery: Option<Discovered>,
}

#[derive(Deserialize)]
struct Discovered {
    name: Option<String>,
    followers_count: Option<u64>,
    media_count: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    code: Option<i64>,
    error_subcode: Option<i64>,
    message: Option<String>,
}

/// Instagram's answer for a handle without a public professional account: "Invalid user id"
/// (code 110, subcode 2207013), for missing, personal and private accounts alike.
const NO_SUCH_USER: (i64, i64) = (110, 2_207_013);

impl BusinessDiscovery {
    pub fn new(config: &InstagramDiscoveryConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self {
            http,
            graph_url: config.graph_url.clone(),
            user_id: config.user_id.clone(),
            token: config.token.clone(),
            cache: Mutex::new(HashMap::new()),
            budget: Mutex::new((Instant::now(), 0)),
        })
    }

    /// A kept answer about `handle`, if it is fresh.
    fn cached(&self, handle: &str) -> Option<AccountStatus> {
        let mut cache = self.cache.lock().ok()?;
        cache.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
        cache.get(handle).map(|(_, status)| status.clone())
    }

    fn keep(&self, handle: &str, status: &AccountStatus) {
        if matches!(status, AccountStatus::NotChecked) {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            // Bounded: a flood of made-up handles cannot grow it without end.
            if cache.len() >= 10_000 {
                cache.clear();
            }
            cache.insert(handle.to_owned(), (Instant::now(), status.clone()));
        }
    }

    /// Takes one lookup from this hour's budget; false when it is spent.
    fn spend(&self) -> bool {
        let Ok(mut budget) = self.budget.lock() else {
            return false;
        };
        if budget.0.elapsed() >= Duration::from_secs(3600) {
            *budget = (Instant::now(), 0);
        }
        if budget.1 >= LOOKUPS_PER_HOUR {
            return false;
        }
        budget.1 += 1;
        true
    }

    async fn lookup(&self, handle: &InstagramHandle) -> AccountStatus {
        let fields = format!(
            "business_discovery.username({}){{username,name,followers_count,media_count}}",
            handle.as_str()
        );
        let answer = self
            .http
            .get(format!("{}/{}", self.graph_url, self.user_id))
            .query(&[
                ("fields", fields.as_str()),
                ("access_token", self.token.expose()),
            ])
            .send()
            .await;
        let response = match answer {
            Ok(response) => response,
            Err(e) => {
                // Without the URL: it carries the token.
                tracing::warn!(error = %e.without_url(), "Instagram lookup failed");
                return AccountStatus::NotChecked;
            }
        };
        let status = response.status();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "Instagram lookup: unreadable answer");
                return AccountStatus::NotChecked;
            }
        };
        if status.is_success() {
            return match serde_json::from_slice::<Answer>(&body) {
                Ok(Answer {
                    business_discovery: Some(found),
                }) => AccountStatus::Professional {
                    name: found.name,
                    followers: found.followers_count,
                    posts: found.media_count,
                },
                _ => {
                    tracing::warn!(%status, "Instagram lookup: unexpected answer");
                    AccountStatus::NotChecked
                }
            };
        }
        match serde_json::from_slice::<ErrorAnswer>(&body) {
            Ok(ErrorAnswer { error })
                if (error.code, error.error_subcode)
                    == (Some(NO_SUCH_USER.0), Some(NO_SUCH_USER.1)) =>
            {
                AccountStatus::NotProfessional
            }
            Ok(ErrorAnswer { error }) => {
                tracing::warn!(
                    %status,
                    code = ?error.code,
                    subcode = ?error.error_subcode,
                    message = error.message.as_deref().unwrap_or(""),
                    "Instagram lookup refused"
                );
                AccountStatus::NotChecked
            }
            Err(_) => {
                tracing::warn!(%status, "Instagram lookup: unexpected error answer");
                AccountStatus::NotChecked
            }
        }
    }
}

impl AccountCheck for BusinessDiscovery {
    fn check<'a>(&'a self, handle: &'a InstagramHandle) -> CheckFuture<'a> {
        Box::pin(async move {
            if let Some(known) = self.cached(handle.as_str()) {
                return known;
            }
            if !self.spend() {
                tracing::warn!("Instagram lookups: this hour's budget is spent");
                return AccountStatus::NotChecked;
            }
            let status = self.lookup(handle).await;
            self.keep(handle.as_str(), &status);
            status
        })
    }

    fn is_local(&self) -> bool {
        false
    }
}
