//! Rendering an invoice's files and keeping them: the PDF (a Factur-X PDF/A-3 for a business
//! buyer) and, for a business buyer, the XML alone, in the object storage under
//! `invoices/<year>/`. Rendering is deterministic, so a retried job or a lost file gives the
//! same bytes; each file is recorded once with its SHA-256.

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::document::Invoice;
use crate::{cii, pdf, store, InvoiceError};

/// What rendering came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendered {
    /// Files were written now.
    Stored { pdf_bytes: usize },
    /// Every file was there already.
    Present,
}

/// Where a file of `inv` lives: `invoices/2026/re-2026-00001.pdf`.
pub fn key_of(inv: &Invoice, ext: &str) -> String {
    format!(
        "invoices/{}/{}.{ext}",
        chrono::Datelike::year(&inv.issued_on),
        inv.number.to_ascii_lowercase()
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The XML of `inv` when it gets one (business buyers), and its PDF.
pub fn documents(
    inv: &Invoice,
    logo: Option<&[u8]>,
) -> Result<(Vec<u8>, Option<String>), InvoiceError> {
    let xml = inv.business.then(|| cii::xml(inv));
    let pdf = pdf::render(inv, logo, xml.as_deref())?;
    Ok((pdf, xml))
}

/// Renders invoice `id`'s files and stores those that are missing.
pub async fn render_and_store(
    pool: &PgPool,
    storage: &dyn gd_storage::ObjectStore,
    id: Uuid,
    logo: Option<Vec<u8>>,
) -> Result<Rendered, InvoiceError> {
    let mut conn = pool.acquire().await?;
    let inv = store::load(&mut conn, id)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    let have = store::files(&mut conn, id).await?;
    drop(conn);
    let has = |kind: &str| have.iter().any(|f| f.kind == kind);
    if has("pdf") && (!inv.business || has("xml")) {
        return Ok(Rendered::Present);
    }
    // Laying out and compressing takes a few milliseconds of CPU: not on the async threads.
    let for_render = inv.clone();
    let (pdf, xml) = tokio::task::spawn_blocking(move || documents(&for_render, logo.as_deref()))
        .await
        .map_err(|e| InvoiceError::Render(format!("the renderer stopped: {e}")))??;
    let pdf_bytes = pdf.len();
    let mut files = vec![("pdf", key_of(&inv, "pdf"), pdf)];
    if let Some(xml) = xml {
        files.push(("xml", key_of(&inv, "xml"), xml.into_bytes()));
    }
    for (kind, key, bytes) in files {
        if has(kind) {
            continue;
        }
        let parsed =
            gd_storage::Key::parse(&key).map_err(|e| InvoiceError::Storage(e.to_string()))?;
        let digest = sha256_hex(&bytes);
        let len = bytes.len();
        storage
            .put(&parsed, bytes)
            .await
            .map_err(|e| InvoiceError::Storage(e.to_string()))?;
        let mut conn = pool.acquire().await?;
        store::add_file(&mut conn, id, kind, &key, len, &digest).await?;
    }
    Ok(Rendered::Stored { pdf_bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
