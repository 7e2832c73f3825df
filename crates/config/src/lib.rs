//! The one typed configuration of Growthdesk.
//!
//! Every variable the server and the worker understand is listed in [`Config`], read once in
//! `main` from the process environment (a `.env` file in the working directory is loaded first,
//! without overriding variables that are already set). Everything has a local default except
//! production secrets, which are wrapped in [`Secret`] so they never print.
//!
//! Nothing else in the workspace reads `std::env`.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A value that must never appear in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it (a connection, a signature).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when `presented` is this secret. Compared in constant time over both SHA-256
    /// digests, so neither the content nor the length of ours leaks through timing.
    pub fn matches(&self, presented: &str) -> bool {
        use sha2::{Digest, Sha256};
        use subtle::ConstantTimeEq;
        Sha256::digest(presented.as_bytes())
            .ct_eq(&Sha256::digest(self.0.as_bytes()))
            .into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A 32-byte key (for encryption). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKeyBytes([u8; 32]);

impl SecretKeyBytes {
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKeyBytes(***)")
    }
}

/// The key a local installation encrypts two-factor secrets with when `TWO_FACTOR_KEY` is not
/// set. Public knowledge, hence refused for any site that is not local.
const LOCAL_TWO_FACTOR_KEY: [u8; 32] = *b"growthdesk-local-only-2fa-key-00";
/// The same for clients' network tokens (`ANALYTICS_TOKEN_KEY`).
const LOCAL_ANALYTICS_TOKEN_KEY: [u8; 32] = *b"growthdesk-local-only-token-k-00";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object a line, for production log collectors.
    Json,
    /// Human-readable lines with colours, for a developer's terminal.
    Pretty,
}

/// SMTP relay settings. When absent, mail goes to the local outbox folder instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// `starttls` (default), `tls` (implicit TLS, port 465) or `none` (plain, loopback only).
    pub security: SmtpSecurity,
}

/// The Instagram professional account (and its Facebook-Login token) the shop looks other
/// accounts up with (Business Discovery).
#[derive(Debug, Clone)]
pub struct InstagramDiscoveryConfig {
    /// The Graph API's base, with its version.
    pub graph_url: String,
    /// The agency's own Instagram professional account id.
    pub user_id: String,
    pub token: Secret,
}

/// The Instagram app clients connect their accounts through (Instagram API with Instagram
/// Login). Every endpoint can be pointed elsewhere (a local Graph API in tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstagramAppConfig {
    /// `INSTAGRAM_APP_ID` and `INSTAGRAM_APP_SECRET` (both or neither).
    pub app_id: String,
    pub app_secret: Secret,
    /// `INSTAGRAM_AUTH_URL`. Default `https://www.instagram.com/oauth/authorize`.
    pub auth_url: String,
    /// `INSTAGRAM_TOKEN_URL` (the short-lived token). Default
    /// `https://api.instagram.com/oauth/access_token`.
    pub token_url: String,
    /// `INSTAGRAM_API_URL` (long-lived tokens, profile, insights). Default
    /// `https://graph.instagram.com`.
    pub api_url: String,
    /// `INSTAGRAM_API_VERSION`. Default `v23.0`.
    pub api_version: String,
}

/// Who takes payments. Without `STRIPE_SECRET_KEY` the test gateway built into the server
/// does, speaking the part of Stripe's API we use.
#[derive(Debug, Clone)]
pub struct PaymentsConfig {
    /// `STRIPE_SECRET_KEY`: Stripe's secret API key. Unset: the built-in test gateway (no
    /// money moves; its pages say so), with a local key of its own.
    pub stripe_secret_key: Option<Secret>,
    /// The key our client sends: Stripe's, or the test gateway's local one.
    pub api_key: Secret,
    /// `STRIPE_API_BASE`: where the client sends its requests. Default Stripe's API with a key,
    /// our own `{PUBLIC_URL}/test-gateway/` without.
    pub api_base: String,
    /// `STRIPE_WEBHOOK_SECRET`: the webhook endpoint's signing secret; several, separated by
    /// commas, while a secret is rotated. Required with a Stripe key; without one, the test
    /// gateway signs with a local secret (or this one, when set).
    pub webhook_secrets: Vec<Secret>,
    /// `TERMS_VERSION`: which version of the terms (AGB) the checkout asks buyers to accept,
    /// stored with each order. Default `2026-12-01`.
    pub terms_version: String,
}

impl PaymentsConfig {
    /// True when payments go to the built-in test gateway.
    pub fn is_test_gateway(&self) -> bool {
        self.stripe_secret_key.is_none()
    }
}

/// The test gateway's API key and webhook secret on a local installation. Public knowledge:
/// they guard nothing but test payments.
pub const TEST_GATEWAY_KEY: &str = "sk_test_growthdesk_local_gateway";
pub const TEST_GATEWAY_WEBHOOK_SECRET: &str = "whsec_growthdesk_local_test_gateway";

#[derive(Debug, Clone)]
pub enum StorageConfig {
    /// A folder on this machine (one server process, or a shared volume).
    Folder(PathBuf),
    S3(S3Config),
}

#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// An S3-compatible server (MinIO, Ceph, moto); `None`: AWS itself.
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    None,
    StartTls,
    Tls,
}

pub use gd_common::LoginProvider;

/// What each provider's endpoints and scopes are unless configured otherwise.
trait ProviderDefaults {
    /// Authorization, token and user-info endpoints.
    fn default_endpoints(self) -> [&'static str; 3];
    fn default_scopes(self) -> &'static str;
}

impl ProviderDefaults for LoginProvider {
    fn default_endpoints(self) -> [&'static str; 3] {
        match self {
            Self::Google => [
                "https://accounts.google.com/o/oauth2/v2/auth",
                "https://oauth2.googleapis.com/token",
                "https://openidconnect.googleapis.com/v1/userinfo",
            ],
            Self::Facebook => [
                "https://www.facebook.com/v21.0/dialog/oauth",
                "https://graph.facebook.com/v21.0/oauth/access_token",
                "https://graph.facebook.com/v21.0/me?fields=id,name,email",
            ],
            // Instagram API with Instagram Login (business and creator accounts).
            Self::Instagram => [
                "https://www.instagram.com/oauth/authorize",
                "https://api.instagram.com/oauth/access_token",
                "https://graph.instagram.com/v21.0/me?fields=user_id,username",
            ],
        }
    }

    fn default_scopes(self) -> &'static str {
        match self {
            Self::Google => "openid email profile",
            Self::Facebook => "email public_profile",
            Self::Instagram => "instagram_business_basic",
        }
    }
}

/// One configured login provider: shown on the sign-in page only when its client id and
/// secret are set. The endpoints default to the provider's own and can be pointed elsewhere
/// (a local OpenID Connect server in tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthProviderConfig {
    pub provider: LoginProvider,
    pub client_id: String,
    pub client_secret: Secret,
    pub auth_url: String,
    pub token_url: String,
    pub userinfo_url: String,
    pub scopes: Vec<String>,
}

impl OAuthProviderConfig {
    /// True when the provider is a server on this machine (a local OpenID Connect server for
    /// trying things out), which the sign-in page then says.
    pub fn is_local(&self) -> bool {
        is_local_url(&self.auth_url)
    }
}

/// The DATEV export's numbers and accounts: Beraternummer and Mandantennummer, the fiscal
/// year's first month, the collective debtor account, the revenue account of each VAT
/// treatment and rate and the length of a ledger account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatevConfig {
    pub consultant: u32,
    pub client: u32,
    pub fiscal_year_start_month: u32,
    pub debtor_account: u32,
    /// Revenue at the standard rate, 19 % (SKR03 8400, an automatic account).
    pub revenue_standard: u32,
    /// Revenue at the reduced rate, 7 % (SKR03 8300, an automatic account).
    pub revenue_reduced: u32,
    pub revenue_reverse_charge: u32,
    pub revenue_small_business: u32,
    pub account_length: u32,
}

/// The EU's VAT register (VIES), REST interface.
pub const VIES_URL: &str = "https://ec.europa.eu/taxation_customs/vies/rest-api";

/// Which register confirms buyers' VAT ids (see [`Config::vat_register`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VatRegisterConfig {
    /// The EU's VIES at this address.
    Vies { url: String },
    /// The local demo register (a fixed list of fictional businesses), for the demo agency.
    Demo,
}

/// The agency as its invoices name it (every detail § 14 (4) UStG asks of the seller), and
/// its VAT standing. Without `AGENCY_NAME` a local installation uses a demo agency, and its
/// documents say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyConfig {
    /// `AGENCY_NAME`: the legal name ("Growthdesk GmbH").
    pub name: String,
    /// `AGENCY_STREET`, `AGENCY_POSTAL_CODE`, `AGENCY_CITY`, `AGENCY_COUNTRY` (two letters,
    /// default `DE`).
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    /// `AGENCY_VAT_ID` (USt-IdNr.) and `AGENCY_TAX_NUMBER` (Steuernummer): at least one.
    pub vat_id: Option<String>,
    pub tax_number: Option<String>,
    /// `AGENCY_INVOICE_EMAIL`: printed on invoices; default `AGENCY_EMAIL`.
    pub email: String,
    /// `AGENCY_PHONE`, `AGENCY_REGISTER` ("Amtsgericht Berlin, HRB 123456"),
    /// `AGENCY_MANAGING_DIRECTOR`: printed when set.
    pub phone: Option<String>,
    pub register: Option<String>,
    pub managing_director: Option<String>,
    /// `AGENCY_BANK`, `AGENCY_IBAN`, `AGENCY_BIC`: printed when set.
    pub bank: Option<String>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    /// `AGENCY_SMALL_BUSINESS=true`: a small business under § 19 UStG; no VAT is charged at
    /// checkout, and invoices carry the exemption note. Default false.
    pub small_business: bool,
    /// `AGENCY_LOGO`: a PNG printed at the top of invoices. Unset: the name in type.
    pub logo: Option<PathBuf>,
    /// True for the built-in demo agency (no `AGENCY_NAME`).
    pub demo: bool,
}

/// Everything Growthdesk's processes can be told from the outside.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: PostgreSQL connection string.
    /// Default `postgres://postgres@127.0.0.1:5432/growthdesk`.
    pub database_url: String,
    /// `MIGRATION_DATABASE_URL`: the schema owner's connection, used only to run migrations at
    /// start; the server and worker then work as `DATABASE_URL`'s role (a member of
    /// `growthdesk_runtime`, which may only read and append to the audit log). Unset: migrations
    /// run as `DATABASE_URL`'s role (one role for everything, as before).
    pub migration_database_url: Option<Secret>,
    /// `DATABASE_MAX_CONNECTIONS`: pool size per process. Default 10.
    pub database_max_connections: u32,
    /// `LISTEN_ADDR`: where the HTTP server listens. Default `127.0.0.1:3000`.
    pub listen_addr: SocketAddr,
    /// `PUBLIC_URL`: the address users reach the site at, without trailing slash; used for links
    /// in mails, the Origin check and HSTS (sent only when this is https).
    /// Default `http://127.0.0.1:3000`.
    pub public_url: String,
    /// `LEPTOS_CONFIG`: path of the Leptos run-time settings file. Default `Leptos.toml`.
    pub leptos_config: PathBuf,
    /// `LOG_FORMAT`: `json` or `pretty`. Default `pretty` when the public URL is local,
    /// `json` otherwise.
    pub log_format: LogFormat,
    /// `RUST_LOG`: tracing filter. Default `info,sqlx=warn`.
    pub log_filter: String,
    /// `MAIL_FROM`: sender of every mail. Default `Growthdesk <hello@growthdesk.localhost>`.
    pub mail_from: String,
    /// `AGENCY_EMAIL`: where lead notifications go. Default `team@growthdesk.localhost`.
    pub agency_email: String,
    /// `SMTP_HOST`, `SMTP_PORT` (default 587), `SMTP_USERNAME`, `SMTP_PASSWORD`,
    /// `SMTP_SECURITY` (`starttls`, `tls`, `none`). Unset host: local outbox.
    pub smtp: Option<SmtpConfig>,
    /// `MAIL_OUTBOX_DIR`: folder of the local outbox (one `.eml` file per mail).
    /// Default `var/outbox`.
    pub outbox_dir: PathBuf,
    /// `LEAD_DUPLICATE_WINDOW_SECS`: a second submission with the same email and message within
    /// this many seconds is the same lead. Default 600.
    pub lead_duplicate_window_secs: i64,
    /// `WORKER_CONCURRENCY`: jobs one worker process runs at once. Default 4.
    pub worker_concurrency: usize,
    /// `WORKER_ORPHAN_AFTER_SECS`: a worker process that has not shown a sign of life (its
    /// heartbeat, five per this span) for this many seconds counts as dead, and the jobs it was
    /// running go back to the queue for another worker. At least 5; too short and a live but
    /// stalled worker's jobs run twice, too long and a crashed worker's jobs wait. Default 120.
    pub worker_orphan_after_secs: u64,
    /// `FULFILMENT_STUCK_HOURS`: an order in fulfilment with no change for this many hours is
    /// flagged for admins. Default 48.
    pub fulfilment_stuck_hours: i64,
    /// The agency's details for invoices (`AGENCY_*`).
    pub agency: AgencyConfig,
    /// The DATEV export's numbers and accounts (`DATEV_CONSULTANT_NUMBER`,
    /// `DATEV_CLIENT_NUMBER`, `DATEV_FISCAL_YEAR_START_MONTH`, `DATEV_DEBTOR_ACCOUNT` (10000),
    /// `DATEV_REVENUE_ACCOUNT` (8400), `DATEV_REVENUE_ACCOUNT_REDUCED` (8300),
    /// `DATEV_REVENUE_ACCOUNT_REVERSE_CHARGE` (8336),
    /// `DATEV_REVENUE_ACCOUNT_SMALL_BUSINESS` (8195), `DATEV_ACCOUNT_LENGTH` (4)).
    pub datev: DatevConfig,
    /// `INVOICE_RETENTION_YEARS`: invoices and their files are kept at least this many years
    /// after the end of the year they were issued in (§ 147 AO, § 14b UStG). Default 10.
    pub invoice_retention_years: u32,
    /// `LEXOFFICE_API_KEY`: the public API key of the agency's Lexoffice (Lexware Office).
    /// Unset: invoices are not pushed to the bookkeeping (finance sees "not connected").
    pub lexoffice_api_key: Option<Secret>,
    /// `LEXOFFICE_API_BASE`: the API's address. Default `https://api.lexware.io/v1`.
    pub lexoffice_api_base: String,
    /// `LEXOFFICE_CATEGORY`: the posting category (an id from Lexoffice's
    /// `/posting-categories`, type income) of what we sell. Default
    /// `8f8664a0-fd86-11e1-a21f-0800200c9a66` ("Einnahmen").
    pub lexoffice_category: String,
    /// `LEXOFFICE_CATEGORY_REVERSE_CHARGE`: the posting category of sales to EU businesses under
    /// reverse charge. Unset: the sync takes the income category whose name mentions § 13b or
    /// the EU from the account's list.
    pub lexoffice_category_reverse_charge: Option<String>,
    /// `FINANCE_DIGEST_TO`: where the daily finance digest (new invoices, failed payments,
    /// failed bookkeeping syncs) goes. Default: every user with the finance role.
    pub finance_digest_to: Option<String>,
    /// `WORKER_METRICS_ADDR`: where the worker serves Prometheus metrics at `/metrics` (job
    /// counters, queue depth and latency, scheduled runs), e.g. `127.0.0.1:9091`; the
    /// `METRICS_TOKEN` applies there too. Unset (default): the worker listens nowhere.
    pub worker_metrics_addr: Option<SocketAddr>,
    /// `TOKEN_RETENTION_DAYS`: the worker deletes email and password links this many days after
    /// they stopped working (used, replaced or expired). Default 7.
    pub token_retention_days: u32,
    /// `GUEST_CART_DAYS`: the worker deletes guest carts (of visitors who never signed in)
    /// this many days after their last change. Default 7 (a guest's session, which alone
    /// leads to the cart, ends after `SESSION_IDLE_HOURS` without use).
    pub guest_cart_days: u32,
    /// `RATE_LIMIT_RETENTION_HOURS`: the worker deletes rate-limit counters this many hours
    /// after their window started. At least 1 (the longest window), or a running window would
    /// forget its count. Default 24.
    pub rate_limit_retention_hours: u32,
    /// `METRICS_TOKEN`: when set, `/metrics` answers only requests with
    /// `Authorization: Bearer <token>` (set it wherever the site is public). Unset: open.
    pub metrics_token: Option<Secret>,
    /// `TRUST_PROXY`: the reverse proxies in front of the server, as a comma-separated list of
    /// addresses or networks (`10.0.0.5`, `10.0.0.0/24`, `::1`). `X-Forwarded-For` is read only
    /// when the connection comes from one of them; the client is then the last entry that is
    /// not a proxy itself (for rate limits and the audit log). Default: none, the socket's peer
    /// address counts and `X-Forwarded-For` is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `OUTBOX_PAGE`: `false` hides the local outbox page even on a local installation. The page
    /// exists only when mail goes to the outbox, `PUBLIC_URL` is local and the server listens on
    /// a loopback address. Default `true`.
    pub outbox_page: bool,
    /// `SESSION_IDLE_HOURS`: a session unused this long ends. Default 24.
    pub session_idle_hours: i64,
    /// `SESSION_ABSOLUTE_DAYS`: a session ends this long after sign-in, used or not. Default 14.
    pub session_absolute_days: i64,
    /// Login providers with a client id and secret, in the order of [`LoginProvider::ALL`].
    /// Per provider `P` (`GOOGLE`, `FACEBOOK`, `INSTAGRAM`): `OAUTH_P_CLIENT_ID`,
    /// `OAUTH_P_CLIENT_SECRET` (both or neither), and optionally `OAUTH_P_AUTH_URL`,
    /// `OAUTH_P_TOKEN_URL`, `OAUTH_P_USERINFO_URL`, `OAUTH_P_SCOPES` (space-separated).
    pub oauth: Vec<OAuthProviderConfig>,
    /// `TWO_FACTOR_KEY`: 32 random bytes, base64 (`openssl rand -base64 32`), that encrypt the
    /// two-factor secrets in the database. Required unless `PUBLIC_URL` is local (which uses a
    /// fixed local key). Changing it makes every enrolled authenticator unusable.
    pub two_factor_key: SecretKeyBytes,
    /// Where files go (product images, later invoice PDFs and exports). `S3_BUCKET` set: an
    /// S3 bucket, with `S3_REGION` (default `eu-central-1`), `S3_ENDPOINT` (an S3-compatible
    /// server's address; path-style requests), `S3_ACCESS_KEY_ID` and `S3_SECRET_ACCESS_KEY`
    /// (both required with a bucket). Unset: the folder `STORAGE_DIR` (default `var/storage`).
    pub storage: StorageConfig,
    /// `INSTAGRAM_DISCOVERY_USER_ID` and `INSTAGRAM_DISCOVERY_TOKEN` (both or neither), and
    /// `INSTAGRAM_GRAPH_URL` (default `https://graph.facebook.com/v23.0`): with them, the shop
    /// checks before checkout that an Instagram handle is a public business or creator account
    /// (Business Discovery needs the Facebook-Login flavour of the API: the agency's
    /// professional account id and a user token with `instagram_basic` and
    /// `pages_read_engagement`). Unset: the handle's format is checked, and the page says the
    /// account was not looked up.
    pub instagram_discovery: Option<InstagramDiscoveryConfig>,
    /// Where the checkout confirms that a buyer's EU VAT id is registered before it sells
    /// without VAT (reverse charge). `VIES_URL` (default
    /// `https://ec.europa.eu/taxation_customs/vies/rest-api`): the EU's VIES register. The
    /// built-in demo agency (no `AGENCY_NAME`) uses a local demo register instead, unless
    /// `VIES_URL` is set; the checkout then says so.
    pub vat_register: VatRegisterConfig,
    /// The Instagram app clients connect through (`INSTAGRAM_APP_*`). Unset: clients connect
    /// demo accounts (generated numbers, labelled "demo data").
    pub instagram_app: Option<InstagramAppConfig>,
    /// `ANALYTICS_TOKEN_KEY`: 32 random bytes, base64, that seal clients' network tokens in
    /// the database. Required unless `PUBLIC_URL` is local (which uses a fixed local key).
    pub analytics_token_key: SecretKeyBytes,
    /// `ANALYTICS_SYNC_MINUTES`: how often each connected account is synced. Default 360.
    pub analytics_sync_minutes: u32,
    /// `ANALYTICS_RETENTION_DAYS`: daily snapshots (account and post) older than this are
    /// deleted. Default 730 (the dashboard's longest range is two years).
    pub analytics_retention_days: u32,
    /// `ANALYTICS_DROP_ALERT_PERCENT`: a follower drop of more than this share of a delivery,
    /// inside its guarantee window, is flagged for the admins. Default 10.
    pub analytics_drop_alert_percent: u32,
    pub payments: PaymentsConfig,
    /// `REQUEST_TIMEOUT_SECS`: a request (reading its body included) that takes longer is
    /// answered 408 and its connection freed. Default 30.
    pub request_timeout_secs: u64,
    /// `SHUTDOWN_GRACE_SECS`: how long in-flight requests and jobs may take to finish after
    /// SIGTERM/Ctrl-C. Default 30.
    pub shutdown_grace_secs: u64,
}

/// A variable that is set but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration variable {name} is invalid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl Config {
    /// Reads `.env` (if present) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is worth a warning but not a crash.
        let _ = dotenvy::dotenv();
        Self::from_vars(std::env::vars().collect())
    }

    /// Builds the configuration from a map of variables; used by `from_env` and by tests.
    pub fn from_vars(vars: HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let public_url = get("PUBLIC_URL")
            .unwrap_or_else(|| "http://127.0.0.1:3000".to_owned())
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError {
                name: "PUBLIC_URL",
                reason: "must start with http:// or https://".into(),
            });
        }
        let local = is_local_url(&public_url);

        let log_format = match get("LOG_FORMAT").as_deref() {
            None if local => LogFormat::Pretty,
            None => LogFormat::Json,
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                return Err(ConfigError {
                    name: "LOG_FORMAT",
                    reason: format!("expected `json` or `pretty`, got `{other}`"),
                })
            }
        };

        let smtp = match get("SMTP_HOST") {
            None => None,
            Some(host) => Some(SmtpConfig {
                host,
                port: parse_or("SMTP_PORT", get("SMTP_PORT"), 587)?,
                username: get("SMTP_USERNAME"),
                password: get("SMTP_PASSWORD").map(Secret::new),
                security: match get("SMTP_SECURITY").as_deref() {
                    None | Some("starttls") => SmtpSecurity::StartTls,
                    Some("tls") => SmtpSecurity::Tls,
                    Some("none") => SmtpSecurity::None,
                    Some(other) => {
                        return Err(ConfigError {
                            name: "SMTP_SECURITY",
                            reason: format!("expected starttls, tls or none, got `{other}`"),
                        })
                    }
                },
            }),
        };

        let rate_limit_retention_hours = parse_or(
            "RATE_LIMIT_RETENTION_HOURS",
            get("RATE_LIMIT_RETENTION_HOURS"),
            24,
        )?;
        if rate_limit_retention_hours < 1 {
            return Err(ConfigError {
                name: "RATE_LIMIT_RETENTION_HOURS",
                reason: "must be at least 1: the longest rate-limit window is one hour".into(),
            });
        }

        let worker_orphan_after_secs = parse_or(
            "WORKER_ORPHAN_AFTER_SECS",
            get("WORKER_ORPHAN_AFTER_SECS"),
            120,
        )?;
        if worker_orphan_after_secs < 5 {
            return Err(ConfigError {
                name: "WORKER_ORPHAN_AFTER_SECS",
                reason: "must be at least 5: a live worker's heartbeat may lag a second or two"
                    .into(),
            });
        }

        let metrics_token = get("METRICS_TOKEN").map(Secret::new);
        if metrics_token.is_none() && !local {
            return Err(ConfigError {
                name: "METRICS_TOKEN",
                reason: "must be set when PUBLIC_URL is not local: /metrics would be open to \
                         anyone"
                    .into(),
            });
        }

        let two_factor_key = key_from(
            "TWO_FACTOR_KEY",
            get("TWO_FACTOR_KEY"),
            local,
            LOCAL_TWO_FACTOR_KEY,
        )?;
        let analytics_token_key = key_from(
            "ANALYTICS_TOKEN_KEY",
            get("ANALYTICS_TOKEN_KEY"),
            local,
            LOCAL_ANALYTICS_TOKEN_KEY,
        )?;
        let instagram_app = match (get("INSTAGRAM_APP_ID"), get("INSTAGRAM_APP_SECRET")) {
            (None, None) => None,
            (Some(app_id), Some(secret)) => {
                let url = |name: &str, default: &str| {
                    get(name)
                        .unwrap_or_else(|| default.to_owned())
                        .trim_end_matches('/')
                        .to_owned()
                };
                Some(InstagramAppConfig {
                    app_id,
                    app_secret: Secret::new(secret),
                    auth_url: url(
                        "INSTAGRAM_AUTH_URL",
                        "https://www.instagram.com/oauth/authorize",
                    ),
                    token_url: url(
                        "INSTAGRAM_TOKEN_URL",
                        "https://api.instagram.com/oauth/access_token",
                    ),
                    api_url: url("INSTAGRAM_API_URL", "https://graph.instagram.com"),
                    api_version: get("INSTAGRAM_API_VERSION").unwrap_or_else(|| "v23.0".into()),
                })
            }
            _ => {
                return Err(ConfigError {
                    name: "INSTAGRAM_APP_SECRET",
                    reason: "INSTAGRAM_APP_ID and INSTAGRAM_APP_SECRET go together".into(),
                })
            }
        };
        let analytics_retention_days: u32 = parse_or(
            "ANALYTICS_RETENTION_DAYS",
            get("ANALYTICS_RETENTION_DAYS"),
            730,
        )?;
        if !(30..=3650).contains(&analytics_retention_days) {
            return Err(ConfigError {
                name: "ANALYTICS_RETENTION_DAYS",
                reason: "must be from 30 to 3650".into(),
            });
        }
        let analytics_sync_minutes: u32 =
            parse_or("ANALYTICS_SYNC_MINUTES", get("ANALYTICS_SYNC_MINUTES"), 360)?;
        if !(5..=1440).contains(&analytics_sync_minutes) {
            return Err(ConfigError {
                name: "ANALYTICS_SYNC_MINUTES",
                reason: "must be from 5 to 1440".into(),
            });
        }
        let analytics_drop_alert_percent: u32 = parse_or(
            "ANALYTICS_DROP_ALERT_PERCENT",
            get("ANALYTICS_DROP_ALERT_PERCENT"),
            10,
        )?;
        if !(1..=100).contains(&analytics_drop_alert_percent) {
            return Err(ConfigError {
                name: "ANALYTICS_DROP_ALERT_PERCENT",
                reason: "must be from 1 to 100".into(),
            });
        }

        let storage = match get("S3_BUCKET") {
            None => StorageConfig::Folder(
                get("STORAGE_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from("var/storage")),
            ),
            Some(bucket) => {
                let required = |name: &'static str| {
                    get(name).ok_or_else(|| ConfigError {
                        name,
                        reason: "must be set when S3_BUCKET is".into(),
                    })
                };
                StorageConfig::S3(S3Config {
                    bucket,
                    region: get("S3_REGION").unwrap_or_else(|| "eu-central-1".to_owned()),
                    endpoint: get("S3_ENDPOINT"),
                    access_key_id: required("S3_ACCESS_KEY_ID")?,
                    secret_access_key: Secret::new(required("S3_SECRET_ACCESS_KEY")?),
                })
            }
        };

        let instagram_discovery = match (
            get("INSTAGRAM_DISCOVERY_USER_ID"),
            get("INSTAGRAM_DISCOVERY_TOKEN"),
        ) {
            (None, None) => None,
            (Some(user_id), Some(token)) => Some(InstagramDiscoveryConfig {
                graph_url: get("INSTAGRAM_GRAPH_URL")
                    .unwrap_or_else(|| "https://graph.facebook.com/v23.0".to_owned())
                    .trim_end_matches('/')
                    .to_owned(),
                user_id,
                token: Secret::new(token),
            }),
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError {
                    name: "INSTAGRAM_DISCOVERY_TOKEN",
                    reason: "INSTAGRAM_DISCOVERY_USER_ID and INSTAGRAM_DISCOVERY_TOKEN go together"
                        .into(),
                })
            }
        };

        let stripe_secret_key = get("STRIPE_SECRET_KEY").map(Secret::new);
        let webhook_secrets: Vec<Secret> = get("STRIPE_WEBHOOK_SECRET")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(Secret::new)
                    .collect()
            })
            .unwrap_or_default();
        let payments = match stripe_secret_key {
            Some(key) => {
                if webhook_secrets.is_empty() {
                    return Err(ConfigError {
                        name: "STRIPE_WEBHOOK_SECRET",
                        reason:
                            "must be set with STRIPE_SECRET_KEY: webhooks could not be verified"
                                .into(),
                    });
                }
                PaymentsConfig {
                    api_key: key.clone(),
                    stripe_secret_key: Some(key),
                    api_base: get("STRIPE_API_BASE")
                        .unwrap_or_else(|| "https://api.stripe.com/".to_owned()),
                    webhook_secrets,
                    terms_version: get("TERMS_VERSION").unwrap_or_else(|| "2026-12-01".into()),
                }
            }
            // The test gateway marks an order paid for whoever clicks "pay": never on a site
            // the public can reach.
            None if !local => {
                return Err(ConfigError {
                    name: "STRIPE_SECRET_KEY",
                    reason: "must be set when PUBLIC_URL is not local: the built-in test \
                             gateway would let anyone mark their order paid"
                        .into(),
                })
            }
            None => PaymentsConfig {
                stripe_secret_key: None,
                api_key: Secret::new(TEST_GATEWAY_KEY),
                api_base: get("STRIPE_API_BASE")
                    .unwrap_or_else(|| format!("{public_url}/test-gateway/")),
                webhook_secrets: if webhook_secrets.is_empty() {
                    vec![Secret::new(TEST_GATEWAY_WEBHOOK_SECRET)]
                } else {
                    webhook_secrets
                },
                terms_version: get("TERMS_VERSION").unwrap_or_else(|| "2026-12-01".into()),
            },
        };

        let agency = agency_from(&get)?;
        let vat_register = match get("VIES_URL") {
            Some(url) => VatRegisterConfig::Vies {
                url: url.trim_end_matches('/').to_owned(),
            },
            None if agency.demo => VatRegisterConfig::Demo,
            None => VatRegisterConfig::Vies {
                url: VIES_URL.to_owned(),
            },
        };
        let invoice_retention_years: u32 = parse_or(
            "INVOICE_RETENTION_YEARS",
            get("INVOICE_RETENTION_YEARS"),
            10,
        )?;
        if !(1..=30).contains(&invoice_retention_years) {
            return Err(ConfigError {
                name: "INVOICE_RETENTION_YEARS",
                reason: "must be from 1 to 30".into(),
            });
        }

        Ok(Self {
            agency,
            datev: datev_from(&get)?,
            invoice_retention_years,
            lexoffice_api_key: get("LEXOFFICE_API_KEY").map(Secret::new),
            lexoffice_api_base: get("LEXOFFICE_API_BASE")
                .unwrap_or_else(|| "https://api.lexware.io/v1".to_owned())
                .trim_end_matches('/')
                .to_owned(),
            lexoffice_category: get("LEXOFFICE_CATEGORY")
                .unwrap_or_else(|| "8f8664a0-fd86-11e1-a21f-0800200c9a66".to_owned()),
            lexoffice_category_reverse_charge: get("LEXOFFICE_CATEGORY_REVERSE_CHARGE"),
            finance_digest_to: get("FINANCE_DIGEST_TO"),
            two_factor_key,
            analytics_token_key,
            instagram_app,
            analytics_retention_days,
            analytics_sync_minutes,
            analytics_drop_alert_percent,
            storage,
            instagram_discovery,
            vat_register,
            payments,
            database_url: get("DATABASE_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/growthdesk".to_owned()),
            migration_database_url: get("MIGRATION_DATABASE_URL").map(Secret::new),
            database_max_connections: parse_or(
                "DATABASE_MAX_CONNECTIONS",
                get("DATABASE_MAX_CONNECTIONS"),
                10,
            )?,
            listen_addr: parse_or(
                "LISTEN_ADDR",
                get("LISTEN_ADDR"),
                SocketAddr::from(([127, 0, 0, 1], 3000)),
            )?,
            public_url,
            leptos_config: get("LEPTOS_CONFIG")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("Leptos.toml")),
            log_format,
            log_filter: get("RUST_LOG").unwrap_or_else(|| "info,sqlx=warn".to_owned()),
            mail_from: get("MAIL_FROM")
                .unwrap_or_else(|| "Growthdesk <hello@growthdesk.localhost>".to_owned()),
            agency_email: get("AGENCY_EMAIL")
                .unwrap_or_else(|| "team@growthdesk.localhost".to_owned()),
            smtp,
            outbox_dir: get("MAIL_OUTBOX_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("var/outbox")),
            lead_duplicate_window_secs: parse_or(
                "LEAD_DUPLICATE_WINDOW_SECS",
                get("LEAD_DUPLICATE_WINDOW_SECS"),
                600,
            )?,
            worker_concurrency: parse_or("WORKER_CONCURRENCY", get("WORKER_CONCURRENCY"), 4)?,
            worker_orphan_after_secs,
            fulfilment_stuck_hours: parse_or(
                "FULFILMENT_STUCK_HOURS",
                get("FULFILMENT_STUCK_HOURS"),
                48,
            )?,
            worker_metrics_addr: get("WORKER_METRICS_ADDR")
                .map(|v| {
                    v.parse().map_err(|e| ConfigError {
                        name: "WORKER_METRICS_ADDR",
                        reason: format!("`{v}`: {e}; expected an address like 127.0.0.1:9091"),
                    })
                })
                .transpose()?,
            token_retention_days: parse_or("TOKEN_RETENTION_DAYS", get("TOKEN_RETENTION_DAYS"), 7)?,
            guest_cart_days: parse_or("GUEST_CART_DAYS", get("GUEST_CART_DAYS"), 7)?,
            rate_limit_retention_hours,
            metrics_token,
            trusted_proxies: trusted_proxies(get("TRUST_PROXY"))?,
            outbox_page: parse_or("OUTBOX_PAGE", get("OUTBOX_PAGE"), true)?,
            session_idle_hours: parse_or("SESSION_IDLE_HOURS", get("SESSION_IDLE_HOURS"), 24)?,
            session_absolute_days: parse_or(
                "SESSION_ABSOLUTE_DAYS",
                get("SESSION_ABSOLUTE_DAYS"),
                14,
            )?,
            request_timeout_secs: parse_or(
                "REQUEST_TIMEOUT_SECS",
                get("REQUEST_TIMEOUT_SECS"),
                30,
            )?,
            shutdown_grace_secs: parse_or("SHUTDOWN_GRACE_SECS", get("SHUTDOWN_GRACE_SECS"), 30)?,
            oauth: oauth_providers(&get)?,
        })
    }

    /// The settings of `provider`, when it is configured.
    pub fn oauth_provider(&self, provider: LoginProvider) -> Option<&OAuthProviderConfig> {
        self.oauth.iter().find(|p| p.provider == provider)
    }

    /// How long spent email and password links are kept (`TOKEN_RETENTION_DAYS`).
    pub fn token_retention(&self) -> Duration {
        Duration::from_secs(u64::from(self.token_retention_days) * 24 * 3600)
    }

    /// How long rate-limit counters are kept (`RATE_LIMIT_RETENTION_HOURS`).
    pub fn rate_limit_retention(&self) -> Duration {
        Duration::from_secs(u64::from(self.rate_limit_retention_hours) * 3600)
    }

    /// How long a silent worker's running jobs wait before another worker may take them
    /// (`WORKER_ORPHAN_AFTER_SECS`).
    pub fn worker_orphan_after(&self) -> Duration {
        Duration::from_secs(self.worker_orphan_after_secs)
    }

    /// True when the site is served over https, so cookies get `Secure` and HSTS is sent.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The scheme, host and port of `PUBLIC_URL`: what a browser sends as `Origin`.
    pub fn public_origin(&self) -> &str {
        origin_of(&self.public_url)
    }

    /// Where the sign-in buttons send the browser (the providers' authorization origins):
    /// the Content-Security-Policy lets forms go there.
    /// Where the checkout sends buyers to pay (Stripe's hosted page; the test gateway's is our
    /// own origin): the Content-Security-Policy lets the checkout form's redirect go there.
    pub fn payment_page_origin(&self) -> Option<&'static str> {
        (!self.payments.is_test_gateway()).then_some("https://checkout.stripe.com")
    }

    pub fn login_provider_origins(&self) -> Vec<&str> {
        let mut origins: Vec<&str> = self
            .oauth
            .iter()
            .map(|p| origin_of(&p.auth_url))
            // Connecting an Instagram account for analytics goes through Instagram's sign-in.
            .chain(self.instagram_app.iter().map(|a| origin_of(&a.auth_url)))
            .collect();
        origins.sort_unstable();
        origins.dedup();
        origins
    }

    /// True when the site only runs on this machine (local defaults are labelled as such).
    pub fn is_local(&self) -> bool {
        is_local_url(&self.public_url)
    }

    /// True when the local outbox page may answer: mail goes to the outbox, the site is local
    /// and the server listens only on loopback (mails hold personal data and links).
    pub fn outbox_page_enabled(&self) -> bool {
        self.outbox_page
            && self.smtp.is_none()
            && self.is_local()
            && self.listen_addr.ip().is_loopback()
    }

    /// True when a connection from `peer` comes from one of the configured reverse proxies.
    pub fn is_trusted_proxy(&self, peer: std::net::IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&peer))
    }
}

/// `TRUST_PROXY`: a list of addresses or networks; `false` (or nothing) means none. The old
/// `true` is refused: trusting whoever connects would let any client choose its own address.
fn trusted_proxies(value: Option<String>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    if value.eq_ignore_ascii_case("false") {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<ipnet::IpNet>()
                .or_else(|_| v.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| ConfigError {
                    name: "TRUST_PROXY",
                    reason: format!(
                        "`{v}` is not an address or network; list the reverse proxies' \
                         addresses, e.g. `10.0.0.5` or `10.0.0.0/24`"
                    ),
                })
        })
        .collect()
}

/// The variables of one login provider, by suffix (`CLIENT_ID`, …).
fn oauth_var(provider: LoginProvider, suffix: &str) -> &'static str {
    macro_rules! names {
        ($p:literal) => {
            [
                concat!("OAUTH_", $p, "_CLIENT_ID"),
                concat!("OAUTH_", $p, "_CLIENT_SECRET"),
                concat!("OAUTH_", $p, "_AUTH_URL"),
                concat!("OAUTH_", $p, "_TOKEN_URL"),
                concat!("OAUTH_", $p, "_USERINFO_URL"),
                concat!("OAUTH_", $p, "_SCOPES"),
            ]
        };
    }
    let names = match provider {
        LoginProvider::Google => names!("GOOGLE"),
        LoginProvider::Facebook => names!("FACEBOOK"),
        LoginProvider::Instagram => names!("INSTAGRAM"),
    };
    names
        .into_iter()
        .find(|n| n.ends_with(suffix) && n[..n.len() - suffix.len()].ends_with('_'))
        .unwrap_or("OAUTH_*")
}

fn oauth_providers(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<OAuthProviderConfig>, ConfigError> {
    let mut configured = Vec::new();
    for provider in LoginProvider::ALL {
        let var = |suffix| oauth_var(provider, suffix);
        let (client_id, client_secret) = match (get(var("CLIENT_ID")), get(var("CLIENT_SECRET"))) {
            (None, None) => continue,
            (Some(id), Some(secret)) => (id, Secret::new(secret)),
            (Some(_), None) => {
                return Err(ConfigError {
                    name: var("CLIENT_SECRET"),
                    reason: "is needed because the client id is set".into(),
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError {
                    name: var("CLIENT_ID"),
                    reason: "is needed because the client secret is set".into(),
                })
            }
        };
        let [auth, token, userinfo] = provider.default_endpoints();
        let url = |suffix, default: &str| {
            let value = get(var(suffix)).unwrap_or_else(|| default.to_owned());
            if value.starts_with("https://") || value.starts_with("http://") {
                Ok(value)
            } else {
                Err(ConfigError {
                    name: var(suffix),
                    reason: "must start with http:// or https://".into(),
                })
            }
        };
        configured.push(OAuthProviderConfig {
            provider,
            client_id,
            client_secret,
            auth_url: url("AUTH_URL", auth)?,
            token_url: url("TOKEN_URL", token)?,
            userinfo_url: url("USERINFO_URL", userinfo)?,
            scopes: get(var("SCOPES"))
                .unwrap_or_else(|| provider.default_scopes().to_owned())
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        });
    }
    Ok(configured)
}

/// Scheme, host and port of an absolute URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find(['/', '?', '#']) {
        Some(end) => &url[..after_scheme + end],
        None => url,
    }
}

/// A 32-byte key from base64 in `value`; on a local site a fixed public key when unset.
fn key_from(
    name: &'static str,
    value: Option<String>,
    local: bool,
    local_key: [u8; 32],
) -> Result<SecretKeyBytes, ConfigError> {
    match value {
        Some(encoded) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(encoded.as_bytes())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .map(SecretKeyBytes)
                .ok_or_else(|| ConfigError {
                    name,
                    reason: "must be 32 bytes in base64 (openssl rand -base64 32)".into(),
                })
        }
        None if local => Ok(SecretKeyBytes(local_key)),
        None => Err(ConfigError {
            name,
            reason: "must be set when PUBLIC_URL is not local".into(),
        }),
    }
}

fn is_local_url(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    host == "localhost" || host == "127.0.0.1" || host == "[" || host.ends_with(".localhost")
}

/// The DATEV export's numbers and accounts (`DATEV_*`; SKR03 accounts by default).
fn datev_from(get: &dyn Fn(&str) -> Option<String>) -> Result<DatevConfig, ConfigError> {
    let n = |name: &'static str, default: u32| parse_or(name, get(name), default);
    let c = DatevConfig {
        consultant: n("DATEV_CONSULTANT_NUMBER", 1001)?,
        client: n("DATEV_CLIENT_NUMBER", 1)?,
        fiscal_year_start_month: n("DATEV_FISCAL_YEAR_START_MONTH", 1)?,
        debtor_account: n("DATEV_DEBTOR_ACCOUNT", 10000)?,
        revenue_standard: n("DATEV_REVENUE_ACCOUNT", 8400)?,
        revenue_reduced: n("DATEV_REVENUE_ACCOUNT_REDUCED", 8300)?,
        revenue_reverse_charge: n("DATEV_REVENUE_ACCOUNT_REVERSE_CHARGE", 8336)?,
        revenue_small_business: n("DATEV_REVENUE_ACCOUNT_SMALL_BUSINESS", 8195)?,
        account_length: n("DATEV_ACCOUNT_LENGTH", 4)?,
    };
    if !(1..=12).contains(&c.fiscal_year_start_month) {
        return Err(ConfigError {
            name: "DATEV_FISCAL_YEAR_START_MONTH",
            reason: "a month from 1 to 12".into(),
        });
    }
    if !(4..=8).contains(&c.account_length) {
        return Err(ConfigError {
            name: "DATEV_ACCOUNT_LENGTH",
            reason: "from 4 to 8 digits".into(),
        });
    }
    Ok(c)
}

/// The agency's details: all from `AGENCY_*`, or the demo agency when `AGENCY_NAME` is unset.
fn agency_from(get: &dyn Fn(&str) -> Option<String>) -> Result<AgencyConfig, ConfigError> {
    let email = get("AGENCY_INVOICE_EMAIL")
        .or_else(|| get("AGENCY_EMAIL"))
        .unwrap_or_else(|| "team@growthdesk.localhost".to_owned());
    let small_business = parse_or("AGENCY_SMALL_BUSINESS", get("AGENCY_SMALL_BUSINESS"), false)?;
    let logo = get("AGENCY_LOGO").map(PathBuf::from);
    let Some(name) = get("AGENCY_NAME") else {
        return Ok(AgencyConfig {
            name: "Growthdesk Demo-Agentur GmbH".into(),
            street: "Musterstraße 1".into(),
            postal_code: "10115".into(),
            city: "Berlin".into(),
            country: "DE".into(),
            vat_id: Some("DE999999999".into()),
            tax_number: Some("30/000/00000".into()),
            email,
            phone: None,
            register: Some("Demo: kein Registereintrag".into()),
            managing_director: None,
            bank: Some("Demo-Bank".into()),
            iban: Some("DE02120300000000202051".into()),
            bic: Some("BYLADEM1001".into()),
            small_business,
            logo,
            demo: true,
        });
    };
    let required = |var: &'static str| {
        get(var).ok_or(ConfigError {
            name: var,
            reason: "required with AGENCY_NAME (it is printed on every invoice)".into(),
        })
    };
    let country = get("AGENCY_COUNTRY").unwrap_or_else(|| "DE".into());
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ConfigError {
            name: "AGENCY_COUNTRY",
            reason: "two capital letters, e.g. DE".into(),
        });
    }
    let vat_id = get("AGENCY_VAT_ID");
    let tax_number = get("AGENCY_TAX_NUMBER");
    if vat_id.is_none() && !small_business {
        // The shop sells to businesses across the EU: their invoices (reverse charge) must
        // carry both parties' VAT ids (§ 14a (1) UStG).
        return Err(ConfigError {
            name: "AGENCY_VAT_ID",
            reason: "required unless AGENCY_SMALL_BUSINESS=true: invoices to EU businesses \
                     (reverse charge) carry the agency's VAT id"
                .into(),
        });
    }
    if vat_id.is_none() && tax_number.is_none() {
        return Err(ConfigError {
            name: "AGENCY_TAX_NUMBER",
            reason: "an invoice needs the tax number or the VAT id: set one of AGENCY_TAX_NUMBER, AGENCY_VAT_ID".into(),
        });
    }
    Ok(AgencyConfig {
        name,
        street: required("AGENCY_STREET")?,
        postal_code: required("AGENCY_POSTAL_CODE")?,
        city: required("AGENCY_CITY")?,
        country,
        vat_id,
        tax_number,
        email,
        phone: get("AGENCY_PHONE"),
        register: get("AGENCY_REGISTER"),
        managing_director: get("AGENCY_MANAGING_DIRECTOR"),
        bank: get("AGENCY_BANK"),
        iban: get("AGENCY_IBAN"),
        bic: get("AGENCY_BIC"),
        small_business,
        logo,
        demo: false,
    })
}

fn parse_or<T: std::str::FromStr>(
    name: &'static str,
    value: Option<String>,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match value {
        None => Ok(default),
        Some(v) => v.parse().map_err(|e: T::Err| ConfigError {
            name,
            reason: format!("`{v}`: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_local() {
        let c = Config::from_vars(HashMap::new()).unwrap();
        assert_eq!(
            c.database_url,
            "postgres://postgres@127.0.0.1:5432/growthdesk"
        );
        assert_eq!(c.listen_addr.to_string(), "127.0.0.1:3000");
        assert!(c.is_local());
        assert!(!c.is_https());
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert!(c.smtp.is_none());
    }

    #[test]
    fn production_url_switches_to_json_logs_and_https() {
        let c = Config::from_vars(vars(&[
            ("PUBLIC_URL", "https://growthdesk.de/"),
            ("METRICS_TOKEN", "t"),
            (
                "TWO_FACTOR_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            (
                "ANALYTICS_TOKEN_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            ("STRIPE_SECRET_KEY", "sk_test_config"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_config"),
        ]))
        .unwrap();
        assert_eq!(c.public_url, "https://growthdesk.de");
        assert!(c.is_https());
        assert!(!c.is_local());
        assert_eq!(c.log_format, LogFormat::Json);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = Config::from_vars(vars(&[("LISTEN_ADDR", "nope")])).unwrap_err();
        assert_eq!(e.name, "LISTEN_ADDR");
        let e =
            Config::from_vars(vars(&[("SMTP_HOST", "x"), ("SMTP_SECURITY", "ssl3")])).unwrap_err();
        assert_eq!(e.name, "SMTP_SECURITY");
        let e = Config::from_vars(vars(&[("PUBLIC_URL", "growthdesk.de")])).unwrap_err();
        assert_eq!(e.name, "PUBLIC_URL");
    }

    #[test]
    fn public_origin_drops_the_path() {
        let c = Config::from_vars(vars(&[
            ("PUBLIC_URL", "https://growthdesk.de/shop/"),
            ("METRICS_TOKEN", "t"),
            (
                "TWO_FACTOR_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            (
                "ANALYTICS_TOKEN_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            ("STRIPE_SECRET_KEY", "sk_test_config"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_config"),
        ]))
        .unwrap();
        assert_eq!(c.public_origin(), "https://growthdesk.de");
        let c = Config::from_vars(HashMap::new()).unwrap();
        assert_eq!(c.public_origin(), "http://127.0.0.1:3000");
    }

    #[test]
    fn login_providers_need_both_id_and_secret() {
        let c = Config::from_vars(HashMap::new()).unwrap();
        assert!(c.oauth.is_empty(), "no provider unless configured");

        let c = Config::from_vars(vars(&[
            ("OAUTH_GOOGLE_CLIENT_ID", "gid"),
            ("OAUTH_GOOGLE_CLIENT_SECRET", "gsecret"),
            ("OAUTH_INSTAGRAM_CLIENT_ID", "iid"),
            ("OAUTH_INSTAGRAM_CLIENT_SECRET", "isecret"),
            (
                "OAUTH_INSTAGRAM_AUTH_URL",
                "http://127.0.0.1:9000/authorize",
            ),
        ]))
        .unwrap();
        let ids: Vec<_> = c.oauth.iter().map(|p| p.provider.id()).collect();
        assert_eq!(ids, ["google", "instagram"]);
        let google = c.oauth_provider(LoginProvider::Google).unwrap();
        assert_eq!(google.token_url, "https://oauth2.googleapis.com/token");
        assert_eq!(google.scopes, ["openid", "email", "profile"]);
        let instagram = c.oauth_provider(LoginProvider::Instagram).unwrap();
        assert_eq!(instagram.auth_url, "http://127.0.0.1:9000/authorize");
        assert!(instagram.is_local() && !google.is_local());
        assert!(c.oauth_provider(LoginProvider::Facebook).is_none());
        assert_eq!(
            c.login_provider_origins(),
            ["http://127.0.0.1:9000", "https://accounts.google.com"]
        );
        assert!(!format!("{c:?}").contains("gsecret"));

        let e = Config::from_vars(vars(&[("OAUTH_FACEBOOK_CLIENT_ID", "x")])).unwrap_err();
        assert_eq!(e.name, "OAUTH_FACEBOOK_CLIENT_SECRET");
        let e = Config::from_vars(vars(&[
            ("OAUTH_GOOGLE_CLIENT_ID", "x"),
            ("OAUTH_GOOGLE_CLIENT_SECRET", "y"),
            ("OAUTH_GOOGLE_TOKEN_URL", "ftp://x"),
        ]))
        .unwrap_err();
        assert_eq!(e.name, "OAUTH_GOOGLE_TOKEN_URL");
    }

    #[test]
    fn a_public_site_needs_its_own_two_factor_key() {
        let e = Config::from_vars(vars(&[
            ("PUBLIC_URL", "https://growthdesk.de"),
            ("METRICS_TOKEN", "t"),
        ]))
        .unwrap_err();
        assert_eq!(e.name, "TWO_FACTOR_KEY");
        let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
        let c = Config::from_vars(vars(&[
            ("PUBLIC_URL", "https://growthdesk.de"),
            ("METRICS_TOKEN", "t"),
            ("TWO_FACTOR_KEY", key),
            ("ANALYTICS_TOKEN_KEY", key),
            ("STRIPE_SECRET_KEY", "sk_test_config"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_config"),
        ]))
        .unwrap();
        assert_eq!(
            c.two_factor_key.expose(),
            b"0123456789abcdef0123456789abcdef"
        );
        assert!(!format!("{c:?}").contains("0123456789"));
        let e = Config::from_vars(vars(&[("TWO_FACTOR_KEY", "c2hvcnQ=")])).unwrap_err();
        assert_eq!(e.name, "TWO_FACTOR_KEY");
    }

    #[test]
    fn a_public_site_takes_payments_at_stripe_only() {
        let public = [
            ("PUBLIC_URL", "https://growthdesk.de"),
            ("METRICS_TOKEN", "t"),
            (
                "TWO_FACTOR_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            (
                "ANALYTICS_TOKEN_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
        ];
        let e = Config::from_vars(vars(&public)).unwrap_err();
        assert_eq!(e.name, "STRIPE_SECRET_KEY");
        let mut with_key = public.to_vec();
        with_key.push(("STRIPE_SECRET_KEY", "sk_live_x"));
        let e = Config::from_vars(vars(&with_key)).unwrap_err();
        assert_eq!(e.name, "STRIPE_WEBHOOK_SECRET");
        with_key.push(("STRIPE_WEBHOOK_SECRET", "whsec_a, whsec_b"));
        let c = Config::from_vars(vars(&with_key)).unwrap();
        assert!(!c.payments.is_test_gateway());
        assert_eq!(c.payments.webhook_secrets.len(), 2);
        assert_eq!(c.payments.api_base, "https://api.stripe.com/");
        assert!(!format!("{c:?}").contains("sk_live_x"));
        let local = Config::from_vars(HashMap::new()).unwrap();
        assert!(local.payments.is_test_gateway());
        assert_eq!(
            local.payments.api_base,
            "http://127.0.0.1:3000/test-gateway/"
        );
    }

    #[test]
    fn a_public_site_needs_a_metrics_token() {
        let e = Config::from_vars(vars(&[("PUBLIC_URL", "https://growthdesk.de")])).unwrap_err();
        assert_eq!(e.name, "METRICS_TOKEN");
        let c = Config::from_vars(vars(&[
            ("PUBLIC_URL", "https://growthdesk.de"),
            ("METRICS_TOKEN", "t0ken"),
            (
                "TWO_FACTOR_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            (
                "ANALYTICS_TOKEN_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
            ("STRIPE_SECRET_KEY", "sk_test_config"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_config"),
        ]))
        .unwrap();
        assert!(c.metrics_token.is_some());
        assert!(Config::from_vars(HashMap::new())
            .unwrap()
            .metrics_token
            .is_none());
    }

    #[test]
    fn proxies_are_listed_by_address_or_network() {
        let c =
            Config::from_vars(vars(&[("TRUST_PROXY", "10.0.0.5, 192.168.1.0/24,::1")])).unwrap();
        assert!(c.is_trusted_proxy("10.0.0.5".parse().unwrap()));
        assert!(c.is_trusted_proxy("192.168.1.77".parse().unwrap()));
        assert!(c.is_trusted_proxy("::1".parse().unwrap()));
        assert!(c.is_trusted_proxy("::ffff:10.0.0.5".parse().unwrap()));
        assert!(!c.is_trusted_proxy("10.0.0.6".parse().unwrap()));
        assert!(!Config::from_vars(HashMap::new())
            .unwrap()
            .is_trusted_proxy("127.0.0.1".parse().unwrap()));
        let e = Config::from_vars(vars(&[("TRUST_PROXY", "true")])).unwrap_err();
        assert_eq!(e.name, "TRUST_PROXY");
    }

    #[test]
    fn the_outbox_page_is_local_only() {
        assert!(Config::from_vars(HashMap::new())
            .unwrap()
            .outbox_page_enabled());
        for v in [
            vars(&[("LISTEN_ADDR", "0.0.0.0:3000")]),
            vars(&[("OUTBOX_PAGE", "false")]),
            vars(&[("SMTP_HOST", "127.0.0.1")]),
            vars(&[
                ("PUBLIC_URL", "https://growthdesk.de"),
                ("METRICS_TOKEN", "t"),
                (
                    "TWO_FACTOR_KEY",
                    "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
                ),
                (
                    "ANALYTICS_TOKEN_KEY",
                    "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
                ),
                ("STRIPE_SECRET_KEY", "sk_test_config"),
                ("STRIPE_WEBHOOK_SECRET", "whsec_config"),
            ]),
        ] {
            assert!(
                !Config::from_vars(v.clone()).unwrap().outbox_page_enabled(),
                "{v:?}"
            );
        }
    }

    #[test]
    fn retention_times_default_and_parse() {
        let c = Config::from_vars(HashMap::new()).unwrap();
        assert_eq!(c.token_retention(), Duration::from_secs(7 * 24 * 3600));
        assert_eq!(c.rate_limit_retention(), Duration::from_secs(24 * 3600));
        let c = Config::from_vars(vars(&[
            ("TOKEN_RETENTION_DAYS", "0"),
            ("RATE_LIMIT_RETENTION_HOURS", "2"),
        ]))
        .unwrap();
        assert_eq!(c.token_retention(), Duration::ZERO);
        assert_eq!(c.rate_limit_retention(), Duration::from_secs(2 * 3600));

        for (name, value) in [
            ("TOKEN_RETENTION_DAYS", "-1"),
            ("TOKEN_RETENTION_DAYS", "a week"),
            // A counter deleted while its window runs would let an attacker start afresh.
            ("RATE_LIMIT_RETENTION_HOURS", "0"),
            ("RATE_LIMIT_RETENTION_HOURS", "1.5"),
        ] {
            let e = Config::from_vars(vars(&[(name, value)])).unwrap_err();
            assert_eq!(e.name, name, "{value}");
        }
    }

    #[test]
    fn the_worker_listens_for_metrics_only_when_told() {
        assert_eq!(
            Config::from_vars(HashMap::new())
                .unwrap()
                .worker_metrics_addr,
            None
        );
        let c = Config::from_vars(vars(&[("WORKER_METRICS_ADDR", "127.0.0.1:9091")])).unwrap();
        assert_eq!(
            c.worker_metrics_addr,
            Some(SocketAddr::from(([127, 0, 0, 1], 9091)))
        );
        let e = Config::from_vars(vars(&[("WORKER_METRICS_ADDR", "9091")])).unwrap_err();
        assert_eq!(e.name, "WORKER_METRICS_ADDR");
    }

    #[test]
    fn a_dead_workers_jobs_go_back_after_the_orphan_time() {
        let c = Config::from_vars(HashMap::new()).unwrap();
        assert_eq!(c.worker_orphan_after(), Duration::from_secs(120));
        let c = Config::from_vars(vars(&[("WORKER_ORPHAN_AFTER_SECS", "8")])).unwrap();
        assert_eq!(c.worker_orphan_after(), Duration::from_secs(8));
        for value in ["4", "0", "-1", "2m"] {
            let e = Config::from_vars(vars(&[("WORKER_ORPHAN_AFTER_SECS", value)])).unwrap_err();
            assert_eq!(e.name, "WORKER_ORPHAN_AFTER_SECS", "{value}");
        }
    }

    #[test]
    fn buyers_vat_ids_are_confirmed_by_vies_for_a_real_agency() {
        let agency = [
            ("AGENCY_NAME", "Muster Agentur GmbH"),
            ("AGENCY_STREET", "Hauptstraße 1"),
            ("AGENCY_POSTAL_CODE", "10115"),
            ("AGENCY_CITY", "Berlin"),
        ];
        // The demo agency asks the local demo register; a set VIES_URL wins.
        let demo = Config::from_vars(HashMap::new()).unwrap();
        assert_eq!(demo.vat_register, VatRegisterConfig::Demo);
        let local_vies = Config::from_vars(vars(&[("VIES_URL", "http://127.0.0.1:9/vies/")]));
        assert_eq!(
            local_vies.unwrap().vat_register,
            VatRegisterConfig::Vies {
                url: "http://127.0.0.1:9/vies".into()
            }
        );
        // A real agency sells to EU businesses: it needs its VAT id, and asks VIES.
        let err = Config::from_vars(vars(&agency)).unwrap_err();
        assert_eq!(err.name, "AGENCY_VAT_ID");
        let mut with_id = agency.to_vec();
        with_id.push(("AGENCY_VAT_ID", "DE123456789"));
        let real = Config::from_vars(vars(&with_id)).unwrap();
        assert_eq!(
            real.vat_register,
            VatRegisterConfig::Vies {
                url: VIES_URL.into()
            }
        );
        assert_eq!(real.agency.vat_id.as_deref(), Some("DE123456789"));
        // A small business charges no VAT to anyone: its tax number is enough.
        let mut small = agency.to_vec();
        small.extend([
            ("AGENCY_SMALL_BUSINESS", "true"),
            ("AGENCY_TAX_NUMBER", "30/123/45678"),
        ]);
        let small = Config::from_vars(vars(&small)).unwrap();
        assert!(small.agency.small_business && small.agency.vat_id.is_none());
    }

    #[test]
    fn a_secret_matches_only_itself() {
        let s = Secret::new("t0ken");
        assert!(s.matches("t0ken"));
        for other in ["t0ke", "t0ken ", "T0KEN", ""] {
            assert!(!s.matches(other), "{other:?}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let c = Config::from_vars(vars(&[
            ("SMTP_HOST", "mail.example.com"),
            ("SMTP_PASSWORD", "hunter2-very-secret"),
        ]))
        .unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert_eq!(
            c.smtp.unwrap().password.unwrap().expose(),
            "hunter2-very-secret"
        );
    }
}
