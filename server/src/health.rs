//! `/healthz` (the process answers), `/readyz` (the database answers) and `/metrics`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx::query!(r#"SELECT 1 AS "ready!""#)
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// Prometheus text format. Job counts are read from the queue table at scrape time, so they are
/// right whichever worker process ran the jobs. With `METRICS_TOKEN` set, only a scraper that
/// presents it gets an answer.
async fn metrics(
    State(state): State<AppState>,
    headers: http::HeaderMap,
) -> axum::response::Response {
    if let Some(token) = &state.config.metrics_token {
        let presented = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !presented.is_some_and(|p| token.matches(p)) {
            return (
                StatusCode::UNAUTHORIZED,
                [(http::header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need a token",
            )
                .into_response();
        }
    }
    let depths = match state.pool.acquire().await {
        Ok(mut conn) => gd_jobs::queue::depths(&mut conn).await,
        Err(e) => Err(e),
    };
    match depths {
        Ok(rows) => {
            for d in rows {
                metrics::gauge!("jobs", "queue" => d.job_type, "status" => d.status)
                    .set(d.jobs as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot count jobs for /metrics"),
    }
    (
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics_handle().render(),
    )
        .into_response()
}
