//! Proofs of delivery on manual tasks: a screenshot or a receipt an admin attaches to a task on
//! the work list, sent by a plain multipart form (like a product image), kept in the object
//! storage under `proofs/` and shown to admins only.
//!
//! `POST /admin/fulfilment/{id}/proof` takes the file (`file`, at most
//! [`gd_fulfilment::tasks::PROOF_MAX_BYTES`]; JPEG, PNG, WebP or PDF judged by its content) and
//! an optional note (`note`). The file is stored before the note that points to it is
//! committed; when the note cannot be written the file is removed again. The browser is sent
//! back to the work list with the outcome in the address: `?proof=added`, or
//! `?proof_error=<problem>&limit=<n>`.
//!
//! `GET /admin/fulfilment/proofs/{id}` serves note `id`'s file to admins: images inline, PDFs
//! as a download, never cached, under the page's content security policy.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use gd_common::{IssueCode, Problem};
use gd_fulfilment::tasks::{self, TaskRefused, PROOF_MAX_BYTES};
use gd_web::Session;

use crate::media::{read_upload, signed_in_admin};
use crate::AppState;

/// The largest body the upload route reads: the file plus the form around it.
pub const UPLOAD_LIMIT_BYTES: usize = PROOF_MAX_BYTES + 64 * 1024;

/// The longest note read with a proof (the note's own limit is checked by the task).
const NOTE_READ_MAX: usize = 4000;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/fulfilment/{id}/proof",
            post(upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES)),
        )
        .route("/admin/fulfilment/proofs/{id}", get(serve))
}

/// True for the proof upload's path.
pub(crate) fn is_upload(path: &str) -> bool {
    path.starts_with("/admin/fulfilment/") && path.ends_with("/proof")
}

/// The work list's address with an upload's outcome.
fn back(lang: &str, outcome: Result<(), Problem>) -> Response {
    let prefix = if lang == "en" { "/en" } else { "" };
    let query = match outcome {
        Ok(()) => "proof=added".to_owned(),
        Err(p) => match p.limit {
            Some(limit) => format!("proof_error={}&limit={limit}", p.code.name()),
            None => format!("proof_error={}", p.code.name()),
        },
    };
    Redirect::to(&format!("{prefix}/admin/fulfilment?{query}")).into_response()
}

fn too_large_problem() -> Problem {
    Problem::with_limit(IssueCode::FileTooLarge, PROOF_MAX_BYTES / 1024 / 1024)
}

/// The answer to an upload declared larger than the limit (before anything is read).
pub(crate) fn too_large() -> Response {
    back("", Err(too_large_problem()))
}

async fn upload(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let admin = match signed_in_admin(&state, session).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let form = match read_upload(multipart, "file", NOTE_READ_MAX).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let note = form.fields.get("note").cloned().unwrap_or_default();
    let lang: String = form
        .fields
        .get("lang")
        .map(|l| l.chars().take(8).collect())
        .unwrap_or_default();
    let (file, too_large) = (form.file, form.too_large);
    if too_large {
        return back(&lang, Err(too_large_problem()));
    }
    let Some((bytes, sent_name)) = file.filter(|(bytes, _)| !bytes.is_empty()) else {
        return back(&lang, Err(Problem::new(IssueCode::Required)));
    };
    if bytes.len() > PROOF_MAX_BYTES {
        return back(&lang, Err(too_large_problem()));
    }
    let Some((ext, content_type)) = tasks::proof_kind(&bytes) else {
        return back(&lang, Err(Problem::new(IssueCode::NotAProof)));
    };
    let key = match gd_storage::Key::parse(&tasks::proof_key(id, ext)) {
        Ok(key) => key,
        Err(e) => {
            tracing::error!(error = %e, "a proof's key is not a storage key");
            return back(&lang, Err(Problem::new(IssueCode::Unavailable)));
        }
    };
    let proof = tasks::Proof {
        key: key.as_str().to_owned(),
        name: tasks::proof_name(&sent_name, &format!("proof.{ext}")),
        content_type: content_type.to_owned(),
    };
    let unavailable = || back(&lang, Err(Problem::new(IssueCode::Unavailable)));
    let mut tx = match state.pool.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "proof: no database connection");
            return unavailable();
        }
    };
    // The note first (it locks the task and checks the note), the file second, the commit
    // last: a refused note stores nothing, and a stored file without its note is removed.
    match tasks::add_note(&mut tx, id, admin.id, &note, Some(proof)).await {
        Ok(Ok(_)) => {}
        Ok(Err(TaskRefused::Note)) => return back(&lang, Err(Problem::too_long(2000))),
        Ok(Err(_)) => return back(&lang, Err(Problem::new(IssueCode::NotOffered))),
        Err(gd_fulfilment::FulfilmentError::NotFound) => {
            return StatusCode::NOT_FOUND.into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "proof: cannot add the note");
            return unavailable();
        }
    }
    if let Err(e) = state.storage.put(&key, bytes).await {
        tracing::error!(error = %e, "proof: cannot store the file");
        return unavailable();
    }
    if let Err(e) = tx.commit().await {
        tracing::error!(error = %e, "proof: cannot commit the note");
        if let Err(e) = state.storage.delete(&key).await {
            tracing::warn!(error = %e, %key, "proof: a stored file without its note is left");
        }
        return unavailable();
    }
    back(&lang, Ok(()))
}

/// `filename*` of a Content-Disposition header (RFC 6266 / 8187): UTF-8, percent-encoded.
fn disposition(inline: bool, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn serve(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = signed_in_admin(&state, session).await {
        return refused;
    }
    let Ok(note) = id.parse::<i64>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let proof = async {
        let mut conn = state.pool.acquire().await?;
        tasks::proof_of(&mut conn, note).await
    };
    let proof = match proof.await {
        Ok(Some(proof)) => proof,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "proof: cannot look it up");
            return (StatusCode::SERVICE_UNAVAILABLE, "Please try again.").into_response();
        }
    };
    let Ok(key) = gd_storage::Key::parse(&proof.key) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.storage.get(&key).await {
        Ok(Some(object)) => {
            let inline = object.content_type.starts_with("image/");
            let mut res = (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(object.content_type),
                )],
                object.bytes,
            )
                .into_response();
            if let Ok(value) = HeaderValue::from_str(&disposition(inline, &proof.name)) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, value);
            }
            res
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, %key, "cannot read a proof");
            (StatusCode::SERVICE_UNAVAILABLE, "Storage unavailable.").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_name_is_safe_in_a_header() {
        assert_eq!(
            disposition(false, "Beleg März.pdf"),
            "attachment; filename=\"Beleg M_rz.pdf\"; filename*=UTF-8''Beleg%20M%C3%A4rz.pdf"
        );
        assert!(disposition(true, "a.png").starts_with("inline; "));
        assert!(HeaderValue::from_str(&disposition(false, "x\"y\\z;.pdf")).is_ok());
    }

    #[test]
    fn only_the_proof_route_is_a_proof_upload() {
        assert!(is_upload("/admin/fulfilment/0190/proof"));
        assert!(!is_upload("/admin/fulfilment"));
        assert!(!is_upload("/admin/fulfilment/proofs/12"));
    }
}
