//! The worker's Prometheus metrics.

/// Counter: job runs that succeeded, by `job_type` (the queue).
pub const JOBS_PROCESSED: &str = "worker_jobs_processed_total";
/// Counter: job runs that failed and will be tried again after the back-off, by `job_type`.
pub const JOBS_RETRIED: &str = "worker_jobs_retried_total";
/// Counter: job runs that failed with no attempt left (apalis marks the job `Killed`), by
/// `job_type`. Together with the two above: every run counts exactly once.
pub const JOBS_FAILED: &str = "worker_jobs_failed_total";
/// Counter: scheduled task runs, by `task` and `outcome` (`ok`, `error`); only the process
/// that claimed a run counts it.
pub const SCHEDULED_RUNS: &str = "worker_scheduled_runs_total";
