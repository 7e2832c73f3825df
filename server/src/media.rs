//! Files from the object storage, and the one upload that does not fit a server function: a
//! product image, sent by a plain multipart form from the admin's product page.
//!
//! `GET /media/{key}` serves a stored object under `catalog/` (product images: public by
//! nature) and nothing else the storage holds (invoices, exports). Keys are content-addressed
//! (a new picture gets a new key), so answers may be kept for a year.
//!
//! `POST /admin/catalog/{id}/images` takes the file (`image`) and its alt texts (`alt_de`,
//! `alt_en`), checks and resizes it (in a blocking thread), stores the renditions and adds the
//! image to the product (audited). The browser is sent back to the product page with the
//! outcome in the address: `?image=added`, or `?image_error=<problem>&limit=<n>`, which the page
//! shows in words. The same-origin guard covers it like every other write.

use axum::extract::{DefaultBodyLimit, Multipart, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use gd_common::{IssueCode, Localized, Problem, Role};
use gd_web::Session;

use crate::AppState;

/// The largest body the upload route reads (the image limit plus the form around it); every
/// other route keeps [`crate::BODY_LIMIT_BYTES`].
pub const UPLOAD_LIMIT_BYTES: usize = gd_catalog::images::MAX_BYTES + 64 * 1024;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/media/{*key}", get(serve)).route(
        "/admin/catalog/{id}/images",
        // axum's multipart reader has its own limit (2 MB): the upload's is ours.
        post(upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES)),
    )
}

/// Only product images are public.
const PUBLIC_PREFIX: &str = "catalog/";

/// One upload is decoded and resized at a time (each may take a few hundred MB briefly).
static PROCESSING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// The body limit of the routes that take uploads (and so a larger body); None for every
/// other route.
pub(crate) fn upload_limit(method: &http::Method, path: &str) -> Option<usize> {
    if method != http::Method::POST {
        return None;
    }
    if path.starts_with("/admin/catalog/") && path.ends_with("/images") {
        Some(UPLOAD_LIMIT_BYTES)
    } else if crate::proofs::is_upload(path) {
        Some(crate::proofs::UPLOAD_LIMIT_BYTES)
    } else {
        None
    }
}

/// The body limit of every request: 413 before anything is read when the declared length is
/// over it, and an error for whoever reads past it otherwise. An admin's plain upload form
/// gets its page back with the reason instead.
pub(crate) async fn limit_body(req: Request, next: Next) -> Response {
    let upload = upload_limit(req.method(), req.uri().path());
    let limit = upload.unwrap_or(crate::BODY_LIMIT_BYTES);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let path = req.uri().path();
        if let Some(id) = path
            .strip_prefix("/admin/catalog/")
            .and_then(|rest| rest.strip_suffix("/images"))
            .and_then(|id| uuid::Uuid::parse_str(id).ok())
        {
            return Redirect::to(&format!(
                "/admin/catalog/{id}?image_error={}&limit={}",
                IssueCode::FileTooLarge.name(),
                gd_catalog::images::MAX_BYTES / 1024 / 1024
            ))
            .into_response();
        }
        if crate::proofs::is_upload(path) {
            return crate::proofs::too_large();
        }
        return (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response();
    }
    let req = req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(req).await
}

async fn serve(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let Ok(key) = gd_storage::Key::parse(&key) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !key.as_str().starts_with(PUBLIC_PREFIX) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.storage.get(&key).await {
        Ok(Some(object)) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(object.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            object.bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, %key, "cannot read a stored file");
            (StatusCode::SERVICE_UNAVAILABLE, "Storage unavailable.").into_response()
        }
    }
}

/// Who is asking: an admin with two-factor sign-in, as for every admin server function; the
/// answer to give otherwise (401, 403, or 500 when the check itself failed).
pub(crate) async fn signed_in_admin(
    state: &AppState,
    session: Option<axum::Extension<Session>>,
) -> Result<gd_accounts::User, Response> {
    signed_in_with(state, session, &[Role::Admin]).await
}

/// The signed-in user holding any of `roles` (each with its two-factor rule), or the answer
/// for someone else: 401 without a session, 403 without such a role.
pub(crate) async fn signed_in_with(
    state: &AppState,
    session: Option<axum::Extension<Session>>,
    roles: &[Role],
) -> Result<gd_accounts::User, Response> {
    let user = match session {
        Some(axum::Extension(session)) => {
            gd_web::session_user(&session, &state.pool, state.config.session_absolute_days).await
        }
        None => Ok(None),
    };
    let checked = user.and_then(gd_web::require_user).and_then(|u| {
        let allowed = roles.iter().any(|r| gd_web::role_check(&u, *r).is_ok());
        if allowed {
            Ok(u)
        } else {
            Err(gd_web::WebError::Forbidden)
        }
    });
    match checked {
        Ok(user) => Ok(user),
        Err(gd_web::WebError::Unauthorized) => {
            Err((StatusCode::UNAUTHORIZED, "Please sign in.").into_response())
        }
        Err(gd_web::WebError::Forbidden | gd_web::WebError::SecondFactorRequired) => {
            Err((StatusCode::FORBIDDEN, "Not allowed.").into_response())
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot check the user");
            Err((StatusCode::INTERNAL_SERVER_ERROR, "Please try again.").into_response())
        }
    }
}

/// A plain upload form as read: its text fields (each at most the reader's limit of
/// characters), the file of its file field with the name the browser gave, and whether the
/// body went over the route's limit (reading stopped there).
pub(crate) struct UploadForm {
    pub fields: std::collections::HashMap<String, String>,
    pub file: Option<(Vec<u8>, String)>,
    pub too_large: bool,
}

/// Reads an admin's plain multipart upload form: the file from field `file_field`, every other
/// field as text cut to `text_max` characters. A form that is not multipart or cannot be read
/// is answered 400.
pub(crate) async fn read_upload(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    file_field: &str,
    text_max: usize,
) -> Result<UploadForm, Response> {
    let Ok(mut multipart) = multipart else {
        return Err((StatusCode::BAD_REQUEST, "Expected a multipart form.").into_response());
    };
    let unreadable = || (StatusCode::BAD_REQUEST, "Unreadable form.").into_response();
    let mut form = UploadForm {
        fields: Default::default(),
        file: None,
        too_large: false,
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                form.too_large = true;
                break;
            }
            Err(_) => return Err(unreadable()),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                form.too_large = true;
                break;
            }
            Err(_) => return Err(unreadable()),
        };
        if name == file_field {
            form.file = Some((bytes.to_vec(), file_name));
        } else {
            let text = String::from_utf8_lossy(&bytes)
                .chars()
                .take(text_max)
                .collect();
            form.fields.insert(name, text);
        }
    }
    Ok(form)
}

/// What the upload came to, as the product page's address says it.
enum Outcome {
    Added,
    Refused(Problem),
}

async fn upload(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let user = match signed_in_admin(&state, session).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let Ok(product) = uuid::Uuid::parse_str(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let form = match read_upload(multipart, "image", 400).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let field = |name: &str| form.fields.get(name).cloned().unwrap_or_default();
    let alt = Localized::new(field("alt_de"), field("alt_en"));
    let lang = field("lang");
    let too_large = form.too_large;
    let file = form.file.map(|(bytes, _)| bytes);
    let back = |outcome: Outcome| {
        let prefix = if lang == "en" { "/en" } else { "" };
        let query = match outcome {
            Outcome::Added => "image=added".to_owned(),
            Outcome::Refused(p) => match p.limit {
                Some(limit) => format!("image_error={}&limit={limit}", p.code.name()),
                None => format!("image_error={}", p.code.name()),
            },
        };
        Redirect::to(&format!("{prefix}/admin/catalog/{product}?{query}")).into_response()
    };
    if too_large {
        return back(Outcome::Refused(Problem::with_limit(
            IssueCode::FileTooLarge,
            gd_catalog::images::MAX_BYTES / 1024 / 1024,
        )));
    }
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return back(Outcome::Refused(Problem::new(IssueCode::Required)));
    };
    let unavailable = || Outcome::Refused(Problem::new(IssueCode::Unavailable));
    // A product that has no room left (or does not exist) is told so before any work.
    let room = async {
        let mut conn = state.pool.acquire().await?;
        gd_catalog::images::check_room(&mut conn, product).await
    };
    match room.await {
        Ok(()) => {}
        Err(gd_catalog::EditError::Invalid(issues)) => {
            return back(Outcome::Refused(issues.first().map_or(
                Problem::new(IssueCode::TooMany),
                |i| Problem {
                    code: i.code,
                    limit: i.max,
                },
            )))
        }
        Err(e) => {
            tracing::error!(error = %e, "upload: cannot count the images");
            return back(unavailable());
        }
    }
    let processed = {
        let Ok(_turn) = PROCESSING.acquire().await else {
            return back(unavailable());
        };
        match tokio::task::spawn_blocking(move || gd_catalog::images::process(&file)).await {
            Ok(Ok(processed)) => processed,
            Ok(Err(problem)) => return back(Outcome::Refused(problem)),
            Err(e) => {
                tracing::error!(error = %e, "image processing failed");
                return back(Outcome::Refused(Problem::new(IssueCode::NotAnImage)));
            }
        }
    };
    if let Err(e) = gd_catalog::images::store(state.storage.as_ref(), &processed).await {
        tracing::error!(error = %e, "cannot store an image");
        return back(unavailable());
    }
    let added = async {
        let mut conn = state.pool.acquire().await?;
        gd_catalog::images::add_image(&mut conn, user.id, product, &processed, &alt).await
    };
    match added.await {
        Ok(_) => back(Outcome::Added),
        Err(gd_catalog::EditError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(gd_catalog::EditError::Invalid(issues)) => match issues.first() {
            Some(i) => back(Outcome::Refused(Problem {
                code: i.code,
                limit: i.max,
            })),
            None => back(Outcome::Refused(Problem::new(IssueCode::NotAnImage))),
        },
        Err(e) => {
            tracing::error!(error = %e, "cannot add an image");
            back(unavailable())
        }
    }
}
