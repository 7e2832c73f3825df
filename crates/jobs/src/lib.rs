//! Job payloads and their queues.
//!
//! Each job type has a payload struct and a queue name (apalis's "namespace"). Jobs are enqueued
//! with [`enqueue`] on the caller's own connection, so the row a job follows and the job itself
//! commit or roll back together. The worker consumes the same queues through apalis's
//! `PostgresStorage` configured with the same names.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

/// A payload that travels through one named queue.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    /// The queue (apalis namespace) this job type lives in.
    const QUEUE: &'static str;
    /// How many times the worker tries before the job counts as failed.
    const MAX_ATTEMPTS: i32 = 10;
}

/// A lead was stored: send the confirmation to the lead and the notification to the agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadReceived {
    pub lead_id: Uuid,
}

impl Job for LeadReceived {
    const QUEUE: &'static str = "growthdesk::lead_received";
}

/// A mail about an account. Links are made when the mail is sent, so no usable token ever sits
/// in the job table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMail {
    pub user_id: Uuid,
    pub kind: AccountMailKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountMailKind {
    /// "Please confirm your address", with a verification link.
    VerifyEmail,
    /// Someone tried to sign up with an address that already has an account.
    AlreadyRegistered,
    /// "Set a new password", with a reset link.
    ResetPassword,
    /// To the new address of an email change: "confirm this is your new address".
    ConfirmEmailChange { new_email: String },
}

impl Job for AccountMail {
    const QUEUE: &'static str = "growthdesk::account_mail";
}

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("cannot encode job payload: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cannot enqueue job: {0}")]
    Database(#[from] sqlx::Error),
}

/// Puts `job` on its queue using the caller's connection (usually inside a transaction).
/// Returns the job id apalis will use.
pub async fn enqueue<J: Job>(conn: &mut PgConnection, job: &J) -> Result<String, EnqueueError> {
    let payload = serde_json::to_value(job)?;
    // apalis.push_job is apalis's own SQL entry point: it generates the id and wakes the workers
    // (NOTIFY) once the transaction commits.
    let id: String =
        sqlx::query_scalar("SELECT id FROM apalis.push_job($1, $2::json, 'Pending', now(), $3)")
            .bind(J::QUEUE)
            .bind(payload)
            .bind(J::MAX_ATTEMPTS)
            .fetch_one(conn)
            .await?;
    Ok(id)
}
