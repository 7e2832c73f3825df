//! The catalog in memory: every storefront request reads it without a query. A committed
//! change anywhere sends `NOTIFY catalog_changed`; each server process listens and loads the
//! catalog again. A lost listening connection also reloads (a notification may have been
//! missed while it was down).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};

use crate::{load, Catalog, CatalogError};

/// The channel catalog changes are announced on.
pub const CHANNEL: &str = "catalog_changed";

/// Announces a catalog change; delivered when the caller's transaction commits (and not at
/// all if it rolls back).
pub async fn notify_changed(conn: &mut PgConnection) -> Result<(), CatalogError> {
    sqlx::query!("SELECT pg_notify('catalog_changed', '')")
        .execute(conn)
        .await?;
    Ok(())
}

/// The current catalog, shared by every request of a process.
#[derive(Clone)]
pub struct Cache {
    current: Arc<RwLock<Arc<Catalog>>>,
    pool: PgPool,
}

impl Cache {
    /// Loads the catalog and starts listening for changes (a background task that lives as
    /// long as the runtime).
    pub async fn start(pool: PgPool) -> Result<Self, CatalogError> {
        // The listener keeps its connection for good: it gets a pool of its own, so that it
        // neither takes one of the requests' connections nor holds up closing their pool.
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(pool.connect_options().as_ref().clone())
            .await?;
        let mut listener = PgListener::connect_with(&own).await?;
        listener.listen(CHANNEL).await?;
        let cache = Self {
            current: Arc::new(RwLock::new(Arc::new(load(&pool).await?))),
            pool,
        };
        let watcher = cache.clone();
        tokio::spawn(async move { watcher.watch(listener).await });
        Ok(cache)
    }

    /// The catalog as of the last load.
    pub fn get(&self) -> Arc<Catalog> {
        match self.current.read() {
            Ok(current) => current.clone(),
            // A panic while swapping cannot leave a half-written Arc behind: the value is fine.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads the catalog from the database now.
    pub async fn reload(&self) -> Result<(), CatalogError> {
        let fresh = Arc::new(load(&self.pool).await?);
        match self.current.write() {
            Ok(mut current) => *current = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    /// Reloads on every notification until the requests' pool is closed (shutdown).
    async fn watch(self, mut listener: PgListener) {
        // Set when the listening connection failed: changes may have been announced while it
        // was down, so the catalog is loaded again as soon as the database answers.
        let mut missed = false;
        loop {
            if self.pool.is_closed() {
                return;
            }
            let Ok(received) =
                tokio::time::timeout(Duration::from_secs(2), listener.try_recv()).await
            else {
                if missed && self.reload().await.is_ok() {
                    missed = false;
                }
                continue;
            };
            match received {
                // A change, or a lost connection (re-established by the next call).
                Ok(_) => {
                    // Until it works: the change must not be lost to a passing failure.
                    while let Err(e) = self.reload().await {
                        tracing::error!(error = %e, "could not reload the catalog; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                Err(e) => {
                    missed = true;
                    tracing::warn!(error = %e, "catalog listener failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}
