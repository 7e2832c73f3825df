//! Who is signed in, looked up once per page request: for the header, the page, and the
//! server functions the page calls while it renders.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use gd_config::Config;
use gd_web::RequestUser;
use gd_web::Session;
use sqlx::PgPool;

/// Adds the signed-in user ([`RequestUser`]) to a page request's extensions. Only HTML page loads pay for
/// the lookup (assets, server functions and health checks do not), and only with a session.
pub(crate) async fn lookup(
    State((pool, config)): State<(PgPool, Arc<Config>)>,
    mut req: Request,
    next: Next,
) -> Response {
    let wants_page = req.method() == http::Method::GET
        && req
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    let mut signed_in = false;
    if wants_page {
        if let Some(session) = req.extensions().get::<Session>().cloned() {
            let user = gd_web::session_user(&session, &pool, config.session_absolute_days).await;
            let user = match user {
                Ok(user) => user,
                // The page still renders, as for a visitor; its own data calls will report.
                Err(e) => {
                    tracing::warn!(error = %e, "could not look up the signed-in user");
                    None
                }
            };
            match gd_web::cart_count(&session, &pool, user.as_ref()).await {
                Ok(n) => {
                    req.extensions_mut().insert(gd_web::RequestCart(n));
                }
                Err(e) => tracing::warn!(error = %e, "could not count the cart"),
            }
            if let Some(user) = user {
                req.extensions_mut().insert(RequestUser(user));
                signed_in = true;
            }
        }
    }
    let mut res = next.run(req).await;
    if signed_in {
        res.extensions_mut().insert(crate::security::SignedInAnswer);
    }
    res
}
