//! The job mechanism, and nothing about any particular job.
//!
//! A job type is a payload that implements [`Job`]; it lives in the domain crate beside the
//! function that handles it (`gd_leads::LeadReceived`, `gd_accounts::AccountMail`). This crate
//! owns what every job type shares: [`enqueue`] on the caller's own connection, so the row a job
//! follows and the job itself commit or roll back together, and every SQL statement that reads
//! or changes apalis's queue table ([`queue`]). The worker consumes the same queues through
//! apalis's `PostgresStorage` configured with the same names.
//!
//! [`schedule`] claims the runs of the worker's scheduled tasks, so that each runs once per
//! interval across all worker processes.
//!
//! It knows nothing of apalis's Rust API: only its table and its `push_job` function.

pub mod queue;
pub mod schedule;

pub use queue::{enqueue, EnqueueError};

use serde::{de::DeserializeOwned, Serialize};

/// A payload that travels through one named queue.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    /// The queue (apalis namespace, the `job_type` column) this job type lives in. Never rename
    /// one that has shipped: jobs already waiting under the old name would never run.
    const QUEUE: &'static str;
    /// How many times the worker tries before the job counts as failed.
    const MAX_ATTEMPTS: i32 = 10;
}
