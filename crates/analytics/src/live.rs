//! Live dashboards: a stored sync sends `NOTIFY analytics_snapshot, '<account id>'` (at commit,
//! from whichever process ran it); every server process listens and hands the news to its
//! open dashboards ([`Live::subscribe`]), which then load the new numbers.

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};
use tokio::sync::broadcast;
use uuid::Uuid;

/// The channel a stored sync announces itself on.
pub const CHANNEL: &str = "analytics_snapshot";

/// Announces new numbers of `account` (delivered when the caller's transaction commits).
pub async fn notify(conn: &mut PgConnection, account: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_notify('analytics_snapshot', $1)",
        account.to_string()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One process's end of the channel: every announcement, to every subscriber.
#[derive(Clone)]
pub struct Live {
    sender: broadcast::Sender<Uuid>,
}

impl Live {
    /// Starts listening (a background task with a connection of its own, for as long as the
    /// runtime lives; it reconnects by itself when the database goes away).
    pub async fn start(pool: &PgPool) -> Result<Self, sqlx::Error> {
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(pool.connect_options().as_ref().clone())
            .await?;
        let mut listener = PgListener::connect_with(&own).await?;
        listener.listen(CHANNEL).await?;
        let (sender, _) = broadcast::channel(256);
        let live = Self { sender };
        let forward = live.sender.clone();
        let requests = pool.clone();
        tokio::spawn(async move {
            loop {
                if requests.is_closed() {
                    return;
                }
                match tokio::time::timeout(Duration::from_secs(2), listener.try_recv()).await {
                    Err(_) => {}
                    // A lost connection: `try_recv` reconnects on the next call.
                    Ok(Ok(None)) => {}
                    Ok(Ok(Some(n))) => {
                        if let Ok(account) = n.payload().parse::<Uuid>() {
                            // Nobody watching is fine.
                            let _ = forward.send(account);
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "analytics listener failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(live)
    }

    /// Every account with new numbers from now on (a slow reader skips what it missed and
    /// hears `Lagged`, after which it simply reloads).
    pub fn subscribe(&self) -> broadcast::Receiver<Uuid> {
        self.sender.subscribe()
    }
}
