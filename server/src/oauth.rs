//! Sign-in and linking through login providers: `POST /auth/{provider}/start` sends the browser
//! to the provider (state and PKCE verifier kept in the session), `GET /auth/{provider}/callback`
//! takes it back, signs in or links, and redirects to a page. Every failure ends on the sign-in
//! or account page with `?provider_error=<code>&provider=<id>`, never on an error page.

use app::auth::providers::ProviderProblem;
use app::i18n::Lang;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use gd_accounts::{AccountError, ExternalLogin};
use gd_oauth::{Callback, OAuthError, Pending, Provider};
use gd_web::Session;
use gd_web::{
    begin_second_factor, client_ip_of, recently_authenticated, session_user, start_session,
};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use crate::AppState;

const PENDING_KEY: &str = "oauth_pending";
/// How long the round trip through the provider may take.
const PENDING_TTL_MS: i64 = 10 * 60 * 1000;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/{provider}/start", post(start))
        .route("/auth/{provider}/callback", get(callback))
}

/// Why the browser went to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Intent {
    /// Sign in (or sign up) from the sign-in page.
    LogIn,
    /// Add the provider to the signed-in account, from account settings.
    Link { user_id: uuid::Uuid },
}

#[derive(Debug, Serialize, Deserialize)]
struct PendingLogin {
    oauth: Pending,
    intent: Intent,
    lang: String,
    started_ms: i64,
}

#[derive(Debug, Default, Deserialize)]
struct StartForm {
    #[serde(default)]
    lang: String,
    /// `link` from account settings; anything else signs in.
    #[serde(default)]
    intent: String,
}

/// Where a problem is shown: the sign-in page, or account settings for a link.
fn problem_page(
    lang: Lang,
    linking: bool,
    provider: Provider,
    problem: ProviderProblem,
) -> Response {
    let page = if linking { "/account" } else { "/login" };
    Redirect::to(&format!(
        "{}?provider_error={}&provider={}",
        lang.path(page),
        problem.code(),
        provider.id()
    ))
    .into_response()
}

/// Something broke on our side (database, session store): logged with the details, and the
/// person lands on the page they came from with "did not work, please try again".
fn internal(e: impl std::fmt::Display, lang: Lang, linking: bool, provider: Provider) -> Response {
    tracing::error!(error = %e, provider = provider.id(), "provider sign-in failed on our side");
    problem_page(lang, linking, provider, ProviderProblem::Failed)
}

/// The `{provider}` path segment, when it names a provider we know (404 otherwise).
struct KnownProvider(Provider);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for KnownProvider {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Provider::parse(&id)
            .map(KnownProvider)
            .ok_or_else(|| (StatusCode::NOT_FOUND, "No such login provider.").into_response())
    }
}

async fn start(
    State(state): State<AppState>,
    KnownProvider(provider): KnownProvider,
    session: Session,
    headers: HeaderMap,
    extensions: http::Extensions,
    form: Result<Form<StartForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let lang = Lang::from_code(&form.lang);
    let linking = form.intent == "link";
    let ip = client_ip_of(&headers, &extensions, &state.config);
    let limit = gd_accounts::Limit::new(
        format!("provider_start:ip:{}", ip.as_deref().unwrap_or("unknown")),
        30,
        900,
    );
    match gd_accounts::throttle(&state.pool, &[limit]).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => return problem_page(lang, linking, provider, ProviderProblem::TooMany),
        Err(e) => return internal(e, lang, linking, provider),
    }
    let intent = if linking {
        match session_user(&session, &state.pool, state.config.session_absolute_days).await {
            Ok(Some(user)) => {
                // A new way into the account needs a recent proof of who is asking.
                match recently_authenticated(&session, &state.pool).await {
                    Ok(true) => {}
                    Ok(false) => {
                        return problem_page(lang, true, provider, ProviderProblem::Reauth)
                    }
                    Err(e) => return internal(e, lang, linking, provider),
                }
                Intent::Link { user_id: user.id }
            }
            Ok(None) => return Redirect::to(&lang.path("/login")).into_response(),
            Err(e) => return internal(e, lang, linking, provider),
        }
    } else {
        Intent::LogIn
    };
    let (url, oauth) = match state.login_providers.start(provider) {
        Ok(started) => started,
        Err(OAuthError::NotConfigured(_)) => {
            return problem_page(lang, linking, provider, ProviderProblem::Unavailable)
        }
        Err(e) => return internal(e, lang, linking, provider),
    };
    let pending = PendingLogin {
        oauth,
        intent,
        lang: lang.code().to_owned(),
        started_ms: chrono::Utc::now().timestamp_millis(),
    };
    if let Err(e) = session.insert(PENDING_KEY, pending).await {
        return internal(e, lang, linking, provider);
    }
    // 303: the browser follows with a GET, as the provider expects.
    Redirect::to(&url).into_response()
}

async fn callback(
    State(state): State<AppState>,
    KnownProvider(provider): KnownProvider,
    session: Session,
    headers: HeaderMap,
    extensions: http::Extensions,
    Query(back): Query<Callback>,
) -> Response {
    let ip = client_ip_of(&headers, &extensions, &state.config);
    // Single use: whatever happens next, this round trip is over.
    let pending: Option<PendingLogin> = match session.remove(PENDING_KEY).await {
        Ok(p) => p,
        Err(e) => return internal(e, Lang::De, false, provider),
    };
    let Some(pending) = pending.filter(|p| {
        p.oauth.provider == provider
            && chrono::Utc::now().timestamp_millis() - p.started_ms < PENDING_TTL_MS
    }) else {
        // No round trip of ours is waiting (expired, another browser, or forged).
        audit_failure(&state, provider, "no_pending_request", ip).await;
        return problem_page(Lang::De, false, provider, ProviderProblem::Failed);
    };
    let lang = Lang::from_code(&pending.lang);
    let linking = matches!(pending.intent, Intent::Link { .. });
    let identity = match state.login_providers.finish(pending.oauth, back).await {
        Ok(identity) => identity,
        Err(OAuthError::Denied(reason)) => {
            tracing::info!(
                provider = provider.id(),
                reason,
                "provider sign-in cancelled"
            );
            return problem_page(lang, linking, provider, ProviderProblem::Cancelled);
        }
        Err(e) => {
            tracing::warn!(provider = provider.id(), error = %e, "provider sign-in failed");
            audit_failure(&state, provider, &e.to_string(), ip).await;
            return problem_page(lang, linking, provider, ProviderProblem::Failed);
        }
    };
    let login = ExternalLogin {
        provider,
        subject: identity.subject,
        // An address the provider vouches for but we cannot send to is no address.
        verified_email: identity
            .verified_email
            .and_then(|e| gd_accounts::Email::parse(&e).ok()),
        display_name: identity.display_name,
    };
    let problem = |e: AccountError| match e {
        AccountError::NoVerifiedEmail => Ok(ProviderProblem::NoEmail),
        AccountError::LoginTaken => Ok(ProviderProblem::Taken),
        AccountError::NotLinked => Ok(ProviderProblem::NotLinked),
        AccountError::Locked => Ok(ProviderProblem::Locked),
        other => Err(other),
    };
    match pending.intent {
        Intent::Link { user_id } => {
            // The account that asked must still be the one signed in here.
            match session_user(&session, &state.pool, state.config.session_absolute_days).await {
                Ok(Some(user)) if user.id == user_id => {}
                Ok(_) => return Redirect::to(&lang.path("/login")).into_response(),
                Err(e) => return internal(e, lang, true, provider),
            }
            let linked = async {
                let mut tx = state.pool.begin().await?;
                gd_accounts::link_provider(&mut tx, user_id, &login, ip).await?;
                tx.commit().await?;
                Ok::<_, AccountError>(())
            };
            match linked.await {
                Ok(()) => Redirect::to(&format!(
                    "{}?linked={}",
                    lang.path("/account"),
                    provider.id()
                ))
                .into_response(),
                Err(e) => match problem(e) {
                    Ok(p) => problem_page(lang, true, provider, p),
                    Err(e) => internal(e, lang, true, provider),
                },
            }
        }
        Intent::LogIn => {
            let locale = gd_accounts::Locale::parse(lang.code());
            let signed_in = async {
                let mut tx = state.pool.begin().await?;
                let found =
                    gd_accounts::sign_in_with_provider(&mut tx, &login, locale, ip.clone()).await?;
                tx.commit().await?;
                Ok(found)
            };
            let user = match signed_in.await {
                Ok((user, _)) => user,
                Err(e) => {
                    return match problem(e) {
                        Ok(p) => {
                            audit_failure(&state, provider, p.code(), ip).await;
                            problem_page(lang, false, provider, p)
                        }
                        Err(e) => internal(e, lang, false, provider),
                    }
                }
            };
            // With two-factor sign-in, the provider only opens the second step.
            if user.two_factor {
                if let Err(e) = begin_second_factor(&session, &user).await {
                    return internal(e, lang, false, provider);
                }
                return Redirect::to(&lang.path("/login/code")).into_response();
            }
            let user_agent = headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok());
            if let Err(e) =
                start_session(&session, &state.pool, &user, user_agent, ip.as_deref()).await
            {
                return internal(e, lang, false, provider);
            }
            Redirect::to(&lang.path("/account")).into_response()
        }
    }
}

async fn audit_failure(state: &AppState, provider: Provider, reason: &str, ip: Option<String>) {
    let event = gd_accounts::AuditEvent::new("login.failure")
        .ip(ip)
        .details(serde_json::json!({ "provider": provider.id(), "reason": reason }));
    let recorded = match state.pool.acquire().await {
        Ok(mut conn) => gd_accounts::record(&mut conn, &event).await,
        Err(e) => Err(e),
    };
    if let Err(e) = recorded {
        tracing::error!(error = %e, "could not audit a failed provider sign-in");
    }
}
