//! `drain-bench`: how many no-op jobs one worker drains per second, next to a raw
//! `SELECT … FOR UPDATE SKIP LOCKED` loop on the same database (`scripts/job-bench.sh`,
//! docs/BENCHMARKS.md).
//!
//! The worker side is the production path: a `Monitor` with [`worker::register`] (the queue
//! settings of `worker/src/jobs.rs`, `WORKER_CONCURRENCY`, panic catching, the wrapper that
//! counts and logs every job), draining a queue of its own, `growthdesk::bench_noop`, that the
//! bench fills through `apalis.push_job` beforehand. The raw side is what a minimal worker
//! does: as many tasks as the worker's concurrency, each taking one row of a plain table per
//! transaction. Both sides time until their queue is empty.
//!
//! It is a measuring tool, not part of the app. The worker's own settings come through
//! `gd_config::Config` as in production (`DATABASE_URL`: a database it may fill and empty,
//! `WORKER_CONCURRENCY`, `DATABASE_MAX_CONNECTIONS`, `RUST_LOG`, `LOG_FORMAT`; logs go to
//! stderr, the report to stdout); its own few are read here:
//! - `BENCH_JOBS`: jobs per side (default 100,000);
//! - `BENCH_MAX_SECS`: the longest a side may drain (default 180); a side still busy then is
//!   stopped and reported at the rate it managed;
//! - `BENCH_APALIS_BUFFER`, `BENCH_APALIS_POLL_MS`: a what-if for other queue settings. With
//!   either set, the worker is built here the way `register` builds it, with these storage
//!   settings instead of production's (for deciding what production should use).
//!
//! It removes what it made (its queue's jobs and workers, its table), also what an interrupted
//! earlier run left. Its SQL is unchecked (`sqlx::query`): the tables it uses are its own and
//! exist only while it runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use apalis::prelude::*;
use apalis_sql::context::SqlContext;
use apalis_sql::postgres::PostgresStorage;
use gd_config::{Config, LogFormat};
use gd_jobs::Job;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};
use worker::JobContext;

/// A job that does nothing: what is left to measure is the queue.
#[derive(Debug, Serialize, Deserialize)]
struct Noop {
    n: i64,
}

impl Job for Noop {
    const QUEUE: &'static str = "growthdesk::bench_noop";
}

async fn noop(job: Noop, _ctx: JobContext) -> Result<(), std::convert::Infallible> {
    std::hint::black_box(job.n);
    Ok(())
}

/// The raw loop's table.
const RAW_TABLE: &str = "bench_raw_jobs";
/// Jobs per enqueue statement (and transaction).
const ENQUEUE_BATCH: i64 = 1_000;
/// How often the drain checks whether the queue is empty: the end is known to within this.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// The bench's own settings.
struct Settings {
    jobs: i64,
    max: Duration,
    what_if: Option<QueueSettings>,
}

/// Queue settings to try instead of production's.
#[derive(Clone, Copy)]
struct QueueSettings {
    buffer: usize,
    poll: Duration,
}

impl Settings {
    fn from_env() -> anyhow::Result<Self> {
        fn var<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>>
        where
            T::Err: std::fmt::Display,
        {
            match std::env::var(name) {
                Ok(v) => v
                    .parse()
                    .map(Some)
                    .map_err(|e| anyhow::anyhow!("{name}=`{v}`: {e}")),
                Err(_) => Ok(None),
            }
        }
        let jobs: i64 = var("BENCH_JOBS")?.unwrap_or(100_000);
        if jobs < 1 {
            bail!("BENCH_JOBS must be at least 1");
        }
        let buffer: Option<usize> = var("BENCH_APALIS_BUFFER")?;
        let poll_ms: Option<u64> = var("BENCH_APALIS_POLL_MS")?;
        let what_if = (buffer.is_some() || poll_ms.is_some()).then(|| QueueSettings {
            buffer: buffer.unwrap_or(8).max(1),
            poll: Duration::from_millis(poll_ms.unwrap_or(500).max(1)),
        });
        Ok(Self {
            jobs,
            max: Duration::from_secs(var("BENCH_MAX_SECS")?.unwrap_or(180)),
            what_if,
        })
    }
}

/// One side's drain: how many jobs were done in how long, and whether that was all of them.
struct Drain {
    done: i64,
    elapsed: Duration,
    finished: bool,
}

impl Drain {
    fn per_sec(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn describe(&self, of: i64) -> String {
        let end = if self.finished {
            String::new()
        } else {
            format!(
                " (stopped after {:.0} s, {of} queued)",
                self.elapsed.as_secs_f64()
            )
        };
        format!(
            "{} jobs in {:.2} s = {:.0} jobs/s{end}",
            self.done,
            self.elapsed.as_secs_f64(),
            self.per_sec()
        )
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bench = Settings::from_env()?;
    let config = Config::from_env().context("reading configuration")?;
    init_logging(&config);
    // Counters are recorded as in a worker that serves metrics; the report reads one back.
    let metrics = gd_process::metrics_handle();
    let concurrency = config.worker_concurrency.max(1);
    let pool = gd_db::connect(&config.database_url, config.database_max_connections).await?;
    let queue_table: Option<String> = sqlx::query_scalar("SELECT to_regclass('apalis.jobs')::text")
        .fetch_one(&pool)
        .await?;
    if queue_table.is_none() {
        gd_db::migrate(&pool).await?;
    }
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&pool)
        .await?;
    let ctx = JobContext {
        pool: pool.clone(),
        mailer: gd_mail::from_config(&config)?,
        storage: gd_storage::from_config(&config.storage)?,
        networks: gd_analytics::sync::Networks::from_config(&config)?,
        config: Arc::new(config),
    };

    clean_up(&pool).await?;
    let outcome = run(&bench, &ctx, concurrency).await;
    let cleaned = clean_up(&pool).await;
    let (enqueue, worker, raw) = outcome?;
    cleaned?;
    pool.close().await;

    let processed = counted(&metrics.render());
    let ratio = worker.per_sec() / raw.per_sec().max(1e-9);
    let settings = match bench.what_if {
        None => "production queue settings (worker/src/jobs.rs)".to_owned(),
        Some(s) => format!(
            "WHAT-IF queue settings: buffer {}, poll every {} ms",
            s.buffer,
            s.poll.as_millis()
        ),
    };
    let met = |yes: bool| if yes { "met" } else { "NOT met" };
    println!(
        "Job drain: {} no-op jobs per side, one worker, concurrency {concurrency}",
        bench.jobs
    );
    println!("  PostgreSQL {version}");
    println!(
        "  enqueue (apalis.push_job, {ENQUEUE_BATCH} per transaction): {} jobs in {:.2} s",
        bench.jobs,
        enqueue.as_secs_f64()
    );
    println!("  worker ({settings}):");
    println!("    {}", worker.describe(bench.jobs));
    println!("  raw loop ({concurrency} tasks, SKIP LOCKED, one job per transaction):");
    println!("    {}", raw.describe(bench.jobs));
    println!("  worker / raw: {:.0} %", ratio * 100.0);
    println!(
        "  targets: >= 1,000 jobs/s {}; >= 50 % of the raw loop {}",
        met(worker.finished && worker.per_sec() >= 1_000.0),
        met(worker.finished && ratio >= 0.5)
    );
    println!("  the worker's wrapper counted {processed} jobs (worker_jobs_processed_total)");
    println!(
        "RESULT worker_jobs_per_s={:.0} raw_jobs_per_s={:.0} ratio_pct={:.0} enqueue_s={:.2} \
         worker_finished={} raw_finished={}",
        worker.per_sec(),
        raw.per_sec(),
        ratio * 100.0,
        enqueue.as_secs_f64(),
        worker.finished,
        raw.finished
    );
    Ok(())
}

/// Enqueues and drains both sides: (enqueue time, worker, raw loop).
async fn run(
    bench: &Settings,
    ctx: &JobContext,
    concurrency: usize,
) -> anyhow::Result<(Duration, Drain, Drain)> {
    let pool = &ctx.pool;
    let enqueue = enqueue(pool, bench.jobs).await.context("enqueueing")?;
    let worker = drain_worker(ctx, bench).await.context("worker drain")?;
    // The raw side starts from as clean a database as the worker side did.
    clean_up(pool).await?;

    sqlx::raw_sql(&format!(
        "CREATE TABLE {RAW_TABLE} (id bigserial PRIMARY KEY, payload jsonb NOT NULL,
                                   status text NOT NULL DEFAULT 'pending');
         CREATE INDEX {RAW_TABLE}_pending ON {RAW_TABLE} (id) WHERE status = 'pending';"
    ))
    .execute(pool)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO {RAW_TABLE} (payload)
         SELECT jsonb_build_object('n', i) FROM generate_series(1, $1::bigint) AS i"
    ))
    .bind(bench.jobs)
    .execute(pool)
    .await?;
    sqlx::raw_sql(&format!("ANALYZE {RAW_TABLE}"))
        .execute(pool)
        .await?;
    // One connection per task, as the worker's pool would give them.
    let raw_pool = gd_db::connect(
        &ctx.config.database_url,
        u32::try_from(concurrency).unwrap_or(u32::MAX),
    )
    .await?;
    let raw = drain_raw(&raw_pool, concurrency, bench).await;
    raw_pool.close().await;
    Ok((enqueue, worker, raw.context("raw drain")?))
}

/// Puts `jobs` no-op jobs on the bench queue through apalis's own `push_job`, in batches.
async fn enqueue(pool: &PgPool, jobs: i64) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut first = 1;
    while first <= jobs {
        let last = (first + ENQUEUE_BATCH - 1).min(jobs);
        sqlx::query(
            "SELECT count(*) FROM (
                 SELECT apalis.push_job($1, json_build_object('n', i), 'Pending', now(), $2)
                 FROM generate_series($3::bigint, $4::bigint) AS i) AS pushed",
        )
        .bind(Noop::QUEUE)
        .bind(Noop::MAX_ATTEMPTS)
        .bind(first)
        .bind(last)
        .execute(pool)
        .await?;
        first = last + 1;
    }
    let took = started.elapsed();
    // As autovacuum would soon after a burst: the planner knows the queue's size.
    sqlx::raw_sql("ANALYZE apalis.jobs").execute(pool).await?;
    Ok(took)
}

/// Runs one worker on the bench queue until the queue is empty (or `bench.max` has passed),
/// then stops it.
async fn drain_worker(ctx: &JobContext, bench: &Settings) -> anyhow::Result<Drain> {
    let monitor = match bench.what_if {
        None => worker::register(Monitor::new(), ctx, noop),
        Some(settings) => register_what_if(Monitor::new(), ctx, settings),
    };
    let grace = Duration::from_secs(ctx.config.shutdown_grace_secs);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let running = tokio::spawn(
        monitor
            .with_terminator(tokio::time::sleep(grace))
            .run_with_signal(async move {
                let _ = stopped.await;
                Ok(())
            }),
    );
    // EXISTS rather than count(*): the same condition, but it stops at the first row, so
    // watching costs the database next to nothing while the queue is long.
    let finished = loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let busy: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM apalis.jobs
                            WHERE job_type = $1 AND status IN ('Pending', 'Running'))",
        )
        .bind(Noop::QUEUE)
        .fetch_one(&ctx.pool)
        .await?;
        if !busy {
            break true;
        }
        if started.elapsed() >= bench.max {
            break false;
        }
        if running.is_finished() {
            bail!("the worker stopped before the queue was empty");
        }
    };
    let elapsed = started.elapsed();
    let _ = stop.send(());
    running.await??;
    let done: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM apalis.jobs WHERE job_type = $1 AND status = 'Done'",
    )
    .bind(Noop::QUEUE)
    .fetch_one(&ctx.pool)
    .await?;
    if finished && done != bench.jobs {
        bail!(
            "the queue is empty but {done} of {} jobs are done",
            bench.jobs
        );
    }
    Ok(Drain {
        done,
        elapsed,
        finished,
    })
}

/// The worker as [`worker::register`] builds it, with other storage settings: the what-if.
/// The handler does what `register`'s wrapper does for a job that succeeded.
fn register_what_if(monitor: Monitor, ctx: &JobContext, settings: QueueSettings) -> Monitor {
    let orphan_after = ctx.config.worker_orphan_after();
    let config = apalis_sql::Config::new(Noop::QUEUE)
        .set_poll_interval(settings.poll)
        .set_buffer_size(settings.buffer)
        .set_reenqueue_orphaned_after(orphan_after)
        .set_keep_alive((orphan_after / 5).min(Duration::from_secs(30)));
    let worker = WorkerBuilder::new(format!("bench-noop-what-if@{}", std::process::id()))
        .concurrency(ctx.config.worker_concurrency.max(1))
        .catch_panic()
        .data(ctx.clone())
        .backend(PostgresStorage::<Noop>::new_with_config(
            ctx.pool.clone(),
            config,
        ))
        .build_fn(
            |job: Noop, ctx: Data<JobContext>, task: TaskId, _: Attempt, _: SqlContext| async move {
                let outcome = noop(job, JobContext::clone(&ctx)).await;
                metrics::counter!(worker::metrics::JOBS_PROCESSED, "job_type" => Noop::QUEUE)
                    .increment(1);
                tracing::info!(queue = Noop::QUEUE, task_id = %task, "job done");
                outcome.map_err(|e| Error::Failed(Arc::new(Box::new(e))))
            },
        );
    monitor.register(worker)
}

/// `concurrency` tasks, each taking the next pending row in its own transaction until none is
/// left (or `bench.max` has passed).
async fn drain_raw(pool: &PgPool, concurrency: usize, bench: &Settings) -> anyhow::Result<Drain> {
    let started = Instant::now();
    let deadline = started + bench.max;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let pool = pool.clone();
        tasks.spawn(async move {
            let take = format!(
                "SELECT id, payload FROM {RAW_TABLE} WHERE status = 'pending'
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
            );
            let finish = format!("UPDATE {RAW_TABLE} SET status = 'done' WHERE id = $1");
            let mut done = 0_i64;
            while Instant::now() < deadline {
                let mut tx = pool.begin().await?;
                let row: Option<(i64, serde_json::Value)> =
                    sqlx::query_as(&take).fetch_optional(&mut *tx).await?;
                let Some((id, payload)) = row else {
                    tx.commit().await?;
                    return Ok(done);
                };
                // What the worker does with a job's payload before handing it over.
                let job: Noop = serde_json::from_value(payload)?;
                std::hint::black_box(job.n);
                sqlx::query(&finish).bind(id).execute(&mut *tx).await?;
                tx.commit().await?;
                done += 1;
            }
            Ok::<i64, anyhow::Error>(done)
        });
    }
    let mut done = 0;
    while let Some(task) = tasks.join_next().await {
        done += task??;
    }
    let elapsed = started.elapsed();
    Ok(Drain {
        done,
        elapsed,
        finished: done == bench.jobs,
    })
}

/// The worker's logging (`RUST_LOG`, `LOG_FORMAT`), on stderr: stdout is the report's. At
/// `info` the wrapper logs a line per job, as in production.
fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match config.log_format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(fmt::layer().with_target(false).with_writer(std::io::stderr))
            .try_init(),
    };
}

/// Removes the bench queue's jobs and workers and the raw table.
async fn clean_up(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM apalis.jobs WHERE job_type = $1")
        .bind(Noop::QUEUE)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM apalis.workers WHERE worker_type = $1")
        .bind(Noop::QUEUE)
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(&format!("DROP TABLE IF EXISTS {RAW_TABLE}"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The bench queue's `worker_jobs_processed_total` in a Prometheus rendering (0 when absent).
fn counted(rendered: &str) -> u64 {
    rendered
        .lines()
        .filter(|line| {
            line.starts_with(worker::metrics::JOBS_PROCESSED) && line.contains(Noop::QUEUE)
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}
