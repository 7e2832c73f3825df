//! Login with Google, Facebook and Instagram: the OAuth 2.0 authorization-code flow with PKCE
//! and a state value (the `oauth2` crate), then the provider's user-info endpoint tells who
//! signed in.
//!
//! Knows nothing of sessions or accounts: [`LoginProviders::start`] gives the address to send
//! the browser to and the [`Pending`] values the caller keeps in the session;
//! [`LoginProviders::finish`] checks what comes back and answers with an [`Identity`].

use std::time::Duration;

use gd_config::{Config, LoginProvider, OAuthProviderConfig};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

pub use gd_config::LoginProvider as Provider;

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub provider: LoginProvider,
    /// The provider's stable id for the person (`sub`, `id` or `user_id`).
    pub subject: String,
    /// The address, only when the provider vouches that it belongs to the person.
    pub verified_email: Option<String>,
    /// A name or user name to show next to the link in account settings.
    pub display_name: Option<String>,
}

/// What the caller keeps (in the session) between sending the browser to the provider and its
/// return: the state to compare and the PKCE verifier to prove the code is ours.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub provider: LoginProvider,
    pub state: String,
    pub verifier: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0} is not configured")]
    NotConfigured(&'static str),
    /// The browser came back with another state than the one we sent: not our request.
    #[error("the state does not match")]
    StateMismatch,
    /// The person cancelled or the provider refused (`error=access_denied`, …).
    #[error("the provider answered {0}")]
    Denied(String),
    #[error("the code could not be exchanged for a token: {0}")]
    Exchange(String),
    #[error("the user info could not be read: {0}")]
    Userinfo(String),
    #[error("invalid provider URL: {0}")]
    Url(String),
}

type ProviderClient = oauth2::Client<
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

/// The configured providers and one HTTP client for talking to them.
#[derive(Clone)]
pub struct LoginProviders {
    providers: Vec<OAuthProviderConfig>,
    public_url: String,
    http: reqwest::Client,
}

impl LoginProviders {
    pub fn from_config(config: &Config) -> Result<Self, OAuthError> {
        let http = reqwest::Client::builder()
            // Following redirects from a token endpoint would open the server to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .user_agent("Growthdesk")
            .build()
            .map_err(|e| OAuthError::Url(e.to_string()))?;
        let this = Self {
            providers: config.oauth.clone(),
            public_url: config.public_url.clone(),
            http,
        };
        // Every URL is checked once at start-up, not at a user's first click.
        for p in &this.providers {
            this.client(p)?;
            reqwest::Url::parse(&p.userinfo_url).map_err(|e| OAuthError::Url(e.to_string()))?;
        }
        Ok(this)
    }

    /// The configured providers, in display order.
    pub fn enabled(&self) -> Vec<LoginProvider> {
        self.providers.iter().map(|p| p.provider).collect()
    }

    fn settings(&self, provider: LoginProvider) -> Result<&OAuthProviderConfig, OAuthError> {
        self.providers
            .iter()
            .find(|p| p.provider == provider)
            .ok_or(OAuthError::NotConfigured(provider.label()))
    }

    /// Where the provider sends the browser back to.
    pub fn redirect_url(&self, provider: LoginProvider) -> String {
        format!("{}/auth/{}/callback", self.public_url, provider.id())
    }

    fn client(&self, p: &OAuthProviderConfig) -> Result<ProviderClient, OAuthError> {
        let url = |e: oauth2::url::ParseError| OAuthError::Url(e.to_string());
        Ok(oauth2::Client::new(ClientId::new(p.client_id.clone()))
            .set_client_secret(ClientSecret::new(p.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::new(p.auth_url.clone()).map_err(url)?)
            .set_token_uri(TokenUrl::new(p.token_url.clone()).map_err(url)?)
            .set_redirect_uri(RedirectUrl::new(self.redirect_url(p.provider)).map_err(url)?)
            // Google takes HTTP Basic; Facebook and Instagram read the secret from the body.
            .set_auth_type(match p.provider {
                LoginProvider::Google => AuthType::BasicAuth,
                LoginProvider::Facebook | LoginProvider::Instagram => AuthType::RequestBody,
            }))
    }

    /// The provider's authorization address (with a fresh state and PKCE challenge) and what
    /// to keep until the browser returns.
    pub fn start(&self, provider: LoginProvider) -> Result<(String, Pending), OAuthError> {
        let settings = self.settings(provider)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client(settings)?
            .authorize_url(CsrfToken::new_random)
            .add_scopes(settings.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        let pending = Pending {
            provider,
            state: state.secret().clone(),
            verifier: verifier.secret().clone(),
        };
        Ok((url.to_string(), pending))
    }

    /// Checks the browser's return against `pending`, exchanges the code (with the PKCE
    /// verifier) and asks the provider who signed in.
    pub async fn finish(&self, pending: Pending, back: Callback) -> Result<Identity, OAuthError> {
        let settings = self.settings(pending.provider)?;
        if let Some(error) = back.error {
            return Err(OAuthError::Denied(error));
        }
        let state_matches = back
            .state
            .as_deref()
            .is_some_and(|s| constant_time_eq(s.as_bytes(), pending.state.as_bytes()));
        if !state_matches {
            return Err(OAuthError::StateMismatch);
        }
        let code = back
            .code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| OAuthError::Denied("no code".into()))?;
        let token = self
            .client(settings)?
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| OAuthError::Exchange(describe_token_error(&e)))?;
        let response = self
            .http
            .get(&settings.userinfo_url)
            .bearer_auth(token.access_token().secret())
            .send()
            .await
            .map_err(|e| OAuthError::Userinfo(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(OAuthError::Userinfo(format!("status {status}")));
        }
        let info: serde_json::Value = response
            .json()
            .await
            .map_err(|e| OAuthError::Userinfo(e.to_string()))?;
        identity_from_userinfo(pending.provider, &info)
    }
}

/// What the provider put in the callback's query string.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

fn describe_token_error(
    e: &oauth2::RequestTokenError<oauth2::HttpClientError<reqwest::Error>, BasicErrorResponse>,
) -> String {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => format!("{r}"),
        oauth2::RequestTokenError::Request(r) => format!("request failed: {r}"),
        oauth2::RequestTokenError::Parse(p, _) => format!("unreadable answer: {p}"),
        oauth2::RequestTokenError::Other(o) => o.clone(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the provider's user info. Google (OpenID Connect) says `sub`, `email`,
/// `email_verified`; Facebook says `id` and `email`, but does not say that the address was
/// confirmed, so it does not count as verified; Instagram says `user_id` (or `id`) and
/// `username` and never an address.
pub fn identity_from_userinfo(
    provider: LoginProvider,
    info: &serde_json::Value,
) -> Result<Identity, OAuthError> {
    let text = |key: &str| match info.get(key) {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let subject = match provider {
        LoginProvider::Google => text("sub"),
        LoginProvider::Facebook => text("id").or_else(|| text("sub")),
        LoginProvider::Instagram => text("user_id").or_else(|| text("id")),
    }
    .ok_or_else(|| OAuthError::Userinfo("no user id in the answer".into()))?;
    let verified_email = match provider {
        LoginProvider::Google => {
            let verified = matches!(
                info.get("email_verified"),
                Some(serde_json::Value::Bool(true))
            ) || text("email_verified").as_deref() == Some("true");
            text("email").filter(|_| verified)
        }
        LoginProvider::Facebook | LoginProvider::Instagram => None,
    };
    let display_name = text("name").or_else(|| text("username"));
    Ok(Identity {
        provider,
        subject,
        verified_email,
        display_name,
    })
}

/// A token answer as the three providers give it. Instagram's has no `token_type` and may
/// come wrapped in `{"data": [...]}`; it is a bearer token all the same.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderToken {
    access_token: AccessToken,
    token_type: BasicTokenType,
    expires_in: Option<u64>,
}

impl<'de> Deserialize<'de> for ProviderToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Flat {
            access_token: AccessToken,
            expires_in: Option<u64>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flat(Flat),
            Wrapped { data: Vec<Flat> },
        }
        let flat = match Raw::deserialize(d)? {
            Raw::Flat(f) => f,
            Raw::Wrapped { data } => data
                .into_iter()
                .next()
                .ok_or_else(|| serde::de::Error::custom("empty token list"))?,
        };
        Ok(Self {
            access_token: flat.access_token,
            token_type: BasicTokenType::Bearer,
            expires_in: flat.expires_in,
        })
    }
}

impl TokenResponse for ProviderToken {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }

    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }

    fn refresh_token(&self) -> Option<&RefreshToken> {
        None
    }

    fn scopes(&self) -> Option<&Vec<Scope>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn google_email_counts_only_when_verified() {
        let id = identity_from_userinfo(
            LoginProvider::Google,
            &json!({"sub": "g1", "email": "a@example.com", "email_verified": true, "name": "Anna"}),
        )
        .unwrap();
        assert_eq!(id.subject, "g1");
        assert_eq!(id.verified_email.as_deref(), Some("a@example.com"));
        assert_eq!(id.display_name.as_deref(), Some("Anna"));

        let id = identity_from_userinfo(
            LoginProvider::Google,
            &json!({"sub": "g1", "email": "a@example.com", "email_verified": false}),
        )
        .unwrap();
        assert_eq!(id.verified_email, None);
        let id = identity_from_userinfo(
            LoginProvider::Google,
            &json!({"sub": "g1", "email": "a@example.com"}),
        )
        .unwrap();
        assert_eq!(id.verified_email, None);
    }

    #[test]
    fn facebook_and_instagram_shapes() {
        let fb = identity_from_userinfo(
            LoginProvider::Facebook,
            &json!({"id": "10158", "email": "b@example.com", "name": "Ben"}),
        )
        .unwrap();
        assert_eq!(fb.subject, "10158");
        assert_eq!(
            fb.verified_email, None,
            "Facebook's address is not known to be confirmed"
        );

        let ig = identity_from_userinfo(
            LoginProvider::Instagram,
            &json!({"user_id": 17841400000i64, "username": "shop.ben", "email": "x@example.com"}),
        )
        .unwrap();
        assert_eq!(ig.subject, "17841400000");
        assert_eq!(
            ig.verified_email, None,
            "Instagram never vouches for an address"
        );
        assert_eq!(ig.display_name.as_deref(), Some("shop.ben"));

        assert!(identity_from_userinfo(LoginProvider::Google, &json!({"email": "x"})).is_err());
    }

    #[test]
    fn token_answers_with_and_without_type() {
        let t: ProviderToken =
            serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer","expires_in":60}"#)
                .unwrap();
        assert_eq!(t.access_token().secret(), "a");
        let t: ProviderToken =
            serde_json::from_str(r#"{"access_token":"b","user_id":1,"permissions":"x"}"#).unwrap();
        assert_eq!(t.access_token().secret(), "b");
        let t: ProviderToken =
            serde_json::from_str(r#"{"data":[{"access_token":"c","user_id":"1"}]}"#).unwrap();
        assert_eq!(t.access_token().secret(), "c");
        assert!(serde_json::from_str::<ProviderToken>(r#"{"data":[]}"#).is_err());
    }

    #[test]
    fn start_sends_state_and_s256_challenge() {
        let config = Config::from_vars(
            [
                ("OAUTH_GOOGLE_CLIENT_ID", "gid"),
                ("OAUTH_GOOGLE_CLIENT_SECRET", "gsecret"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        )
        .unwrap();
        let providers = LoginProviders::from_config(&config).unwrap();
        assert_eq!(providers.enabled(), [LoginProvider::Google]);
        let (url, pending) = providers.start(LoginProvider::Google).unwrap();
        let url = reqwest::Url::parse(&url).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "gid");
        assert_eq!(q["state"], pending.state);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["scope"], "openid email profile");
        assert_eq!(
            q["redirect_uri"],
            "http://127.0.0.1:3000/auth/google/callback"
        );
        assert!(!url.as_str().contains("gsecret"));
        assert!(matches!(
            providers.start(LoginProvider::Facebook),
            Err(OAuthError::NotConfigured("Facebook"))
        ));
    }
}
