//! Invoice files for those who may have them: the client the invoice is addressed to, and
//! finance and admins (with two-factor sign-in). Anyone else gets a 404, as for an invoice
//! that does not exist.
//!
//! `GET /documents/invoices/{id}/pdf`: the PDF (for a business buyer the Factur-X PDF with
//! the e-invoice inside). `GET /documents/invoices/{id}/xml`: the EN 16931 XML alone, for any
//! invoice on request. A file the worker has not rendered yet is rendered now (rendering is
//! deterministic: the same bytes as the worker's). Every download is in the audit log.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use gd_accounts::AuditEvent;
use gd_common::Role;
use gd_web::Session;

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/documents/invoices/{id}/{file}", get(download))
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, HeaderValue::from_static("30"))],
        "The document cannot be read just now. Please try again in a moment.",
    )
        .into_response()
}

/// Why someone may have the file: their own invoice, or their desk's work.
fn reader_of(user: &gd_accounts::User, owner: uuid::Uuid) -> Option<&'static str> {
    if user.id == owner {
        Some("client")
    } else if gd_web::role_check(user, Role::Finance).is_ok() {
        Some("finance")
    } else if gd_web::role_check(user, Role::Admin).is_ok() {
        Some("admin")
    } else {
        None
    }
}

async fn download(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let user = match session {
        Some(axum::Extension(session)) => {
            gd_web::session_user(&session, &state.pool, state.config.session_absolute_days).await
        }
        None => Ok(None),
    };
    let user = match user {
        Ok(Some(user)) => user,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "Please sign in.").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "documents: cannot check the user");
            return unavailable();
        }
    };
    let (Ok(id), true) = (
        uuid::Uuid::parse_str(&id),
        matches!(file.as_str(), "pdf" | "xml"),
    ) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let found = async {
        let mut conn = state.pool.acquire().await?;
        let invoice = gd_invoices::store::load(&mut conn, id).await?;
        let files = gd_invoices::store::files(&mut conn, id).await?;
        Ok::<_, gd_invoices::InvoiceError>((invoice, files))
    };
    let (invoice, files) = match found.await {
        Ok((Some(invoice), files)) => (invoice, files),
        Ok((None, _)) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "documents: cannot load the invoice");
            return unavailable();
        }
    };
    let Some(reader) = reader_of(&user, invoice.user_id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let stored = files.iter().find(|f| f.kind == file);
    let bytes = match stored {
        Some(stored) => match read(&state, &stored.key).await {
            Ok(bytes) => bytes,
            Err(response) => return response,
        },
        None => None,
    };
    let bytes = match bytes {
        Some(bytes) => bytes,
        // Not rendered yet, or lost: rendered now (the same bytes), and kept.
        None => match regenerate(&state, &invoice, &file, stored.is_some()).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(error = %e, invoice = %id, "cannot render an invoice");
                return unavailable();
            }
        },
    };
    let audited = async {
        let mut conn = state.pool.acquire().await?;
        gd_accounts::record(
            &mut conn,
            &AuditEvent::new("invoice.downloaded")
                .actor(Some(user.id))
                .subject(id)
                .details(serde_json::json!({
                    "number": invoice.number, "file": file, "as": reader,
                })),
        )
        .await
    };
    if let Err(e) = audited.await {
        // A download that cannot be recorded is not given out.
        tracing::error!(error = %e, "documents: cannot record the download");
        return unavailable();
    }
    let (content_type, ext) = match file.as_str() {
        "xml" => ("application/xml", "xml"),
        _ => ("application/pdf", "pdf"),
    };
    let mut res = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        bytes,
    )
        .into_response();
    // Invoice numbers are plain ASCII (letters, digits, dashes).
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}.{ext}\"",
        invoice.number
    )) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    res
}

/// A stored file's bytes; None when the storage has lost it.
async fn read(state: &AppState, key: &str) -> Result<Option<Vec<u8>>, Response> {
    let Ok(key) = gd_storage::Key::parse(key) else {
        return Ok(None);
    };
    match state.storage.get(&key).await {
        Ok(Some(object)) => Ok(Some(object.bytes)),
        Ok(None) => {
            tracing::warn!(%key, "an invoice file is recorded but missing: rendered again");
            Ok(None)
        }
        Err(e) => {
            tracing::error!(error = %e, %key, "cannot read an invoice file");
            Err(unavailable())
        }
    }
}

/// Renders `file` of `invoice` now. The PDF (and a business buyer's XML) is stored, and
/// recorded when it was not; a consumer's XML is only given out.
async fn regenerate(
    state: &AppState,
    invoice: &gd_invoices::Invoice,
    file: &str,
    recorded: bool,
) -> Result<Vec<u8>, gd_invoices::InvoiceError> {
    use gd_invoices::InvoiceError;
    if file == "xml" && !invoice.business {
        return Ok(gd_invoices::cii::xml(invoice).into_bytes());
    }
    // The letterhead's logo is read only when a PDF is rendered here.
    let logo = match &state.config.agency.logo {
        Some(path) => tokio::fs::read(path).await.ok(),
        None => None,
    };
    let storage = |e: gd_storage::StorageError| InvoiceError::Storage(e.to_string());
    let key =
        gd_storage::Key::parse(&gd_invoices::render::key_of(invoice, file)).map_err(storage)?;
    if !recorded {
        // The worker's own path: renders, stores and records what is missing.
        gd_invoices::render::render_and_store(
            &state.pool,
            state.storage.as_ref(),
            invoice.id,
            logo.clone(),
        )
        .await?;
        if let Some(object) = state.storage.get(&key).await.map_err(storage)? {
            return Ok(object.bytes);
        }
    }
    // Recorded but lost from the storage: rendered again and put back.
    let again = invoice.clone();
    let (pdf, xml) = tokio::task::spawn_blocking(move || {
        gd_invoices::render::documents(&again, logo.as_deref())
    })
    .await
    .map_err(|e| InvoiceError::Render(e.to_string()))??;
    let bytes = match file {
        "xml" => xml.unwrap_or_default().into_bytes(),
        _ => pdf,
    };
    state
        .storage
        .put(&key, bytes.clone())
        .await
        .map_err(storage)?;
    Ok(bytes)
}
