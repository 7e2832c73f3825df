//! The local default: objects as files under one folder.

use std::io::ErrorKind;
use std::path::PathBuf;

use crate::{Key, Object, ObjectStore, StorageError, StoreFuture};

pub struct Folder {
    root: PathBuf,
}

impl Folder {
    /// Creates the folder when it is missing.
    pub fn new(root: PathBuf) -> Result<Self, StorageError> {
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    fn path(&self, key: &Key) -> PathBuf {
        // A key has no `..`, no leading `/` and no empty segment: it stays under the root.
        self.root.join(key.as_str())
    }
}

impl ObjectStore for Folder {
    fn put<'a>(&'a self, key: &'a Key, bytes: Vec<u8>) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(key);
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            // Written beside, then renamed: a reader never sees half a file.
            let partial = path.with_extension(format!("partial-{}", uuid::Uuid::new_v4()));
            tokio::fs::write(&partial, &bytes).await?;
            if let Err(e) = tokio::fs::rename(&partial, &path).await {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(e.into());
            }
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a Key) -> StoreFuture<'a, Option<Object>> {
        Box::pin(async move {
            match tokio::fs::read(self.path(key)).await {
                Ok(bytes) => Ok(Some(Object {
                    bytes,
                    content_type: key.content_type(),
                })),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a Key) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(key)).await {
                Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            }
        })
    }

    fn describe(&self) -> String {
        format!("folder {}", self.root.display())
    }

    fn is_local(&self) -> bool {
        true
    }

    fn prepare(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move { Ok(tokio::fs::create_dir_all(&self.root).await?) })
    }
}
