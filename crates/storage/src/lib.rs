//! Where files live: product images now, invoice PDFs, exports and fulfilment proofs later.
//! One trait, [`ObjectStore`], with two implementations: [`Folder`], a folder on this machine
//! (the local default, fine for one server or a shared volume), and [`S3`], an S3 bucket
//! through `aws-sdk-s3` (AWS itself or any S3-compatible server, addressed path-style).
//!
//! Objects are addressed by a [`Key`] (`catalog/5f3a….jpg`); the content type follows from its
//! extension, so the two stores cannot disagree about it. Knows nothing of the web or the
//! database.

mod folder;
mod s3;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use folder::Folder;
pub use s3::S3;

use gd_config::StorageConfig;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not a storage key: {0:?}")]
    InvalidKey(String),
    #[error("storage I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("S3: {0}")]
    S3(String),
}

/// The longest key accepted (S3 allows 1,024 bytes).
pub const KEY_MAX: usize = 512;

/// An object's address: segments of lowercase letters, digits, `-`, `_` and `.` separated by
/// `/`, none empty or starting with a dot, ending in a known extension. Nothing else can
/// reach a store (no `..`, no absolute paths, no odd bytes in a URL).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    pub fn parse(s: &str) -> Result<Self, StorageError> {
        let invalid = || StorageError::InvalidKey(s.chars().take(80).collect());
        if s.is_empty() || s.len() > KEY_MAX {
            return Err(invalid());
        }
        let segments_ok = s.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
                })
        });
        if !segments_ok || content_type_of(s).is_none() {
            return Err(invalid());
        }
        Ok(Key(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The MIME type its extension stands for.
    pub fn content_type(&self) -> &'static str {
        // Checked in `parse`.
        content_type_of(&self.0).unwrap_or("application/octet-stream")
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The extensions a key may end in, and what they are.
const TYPES: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("png", "image/png"),
    ("webp", "image/webp"),
    ("pdf", "application/pdf"),
    ("xml", "application/xml"),
    ("csv", "text/csv; charset=utf-8"),
    ("json", "application/json"),
];

fn content_type_of(key: &str) -> Option<&'static str> {
    let (_, ext) = key.rsplit_once('.')?;
    TYPES.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t)
}

/// A stored object, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;

/// Somewhere objects can be put, read and deleted. Putting a key again replaces the object.
pub trait ObjectStore: Send + Sync {
    fn put<'a>(&'a self, key: &'a Key, bytes: Vec<u8>) -> StoreFuture<'a, ()>;
    /// `None` when there is no such object.
    fn get<'a>(&'a self, key: &'a Key) -> StoreFuture<'a, Option<Object>>;
    /// Deleting a missing object is not an error.
    fn delete<'a>(&'a self, key: &'a Key) -> StoreFuture<'a, ()>;
    /// A short description for logs and the admin pages ("folder var/storage",
    /// "S3 bucket media at http://127.0.0.1:9000").
    fn describe(&self) -> String;
    /// True for the local default (the admin pages say that files stay on this machine).
    fn is_local(&self) -> bool;
    /// Makes the store ready at start (an S3-compatible server's bucket is created when it is
    /// missing); an error is worth a warning, not a refusal to start.
    fn prepare(&self) -> StoreFuture<'_, ()>;
}

/// The store the configuration asks for.
pub fn from_config(config: &StorageConfig) -> Result<Arc<dyn ObjectStore>, StorageError> {
    Ok(match config {
        StorageConfig::Folder(path) => Arc::new(Folder::new(path.clone())?),
        StorageConfig::S3(s3) => Arc::new(S3::new(s3)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_plain_paths_with_a_known_extension() {
        for good in [
            "catalog/ab12-480.jpg",
            "a.png",
            "invoices/2026/re-2026-0001.pdf",
        ] {
            assert!(Key::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/abs.jpg",
            "../up.jpg",
            "a/../b.jpg",
            "a//b.jpg",
            ".hidden.jpg",
            "Upper.jpg",
            "space here.jpg",
            "no-extension",
            "script.js",
            "a\0b.jpg",
            "ä.jpg",
        ] {
            assert!(Key::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Key::parse(&format!("{}.jpg", "a".repeat(KEY_MAX))).is_err());
        assert_eq!(
            Key::parse("x/y.pdf").map(|k| k.content_type()).ok(),
            Some("application/pdf")
        );
    }
}
