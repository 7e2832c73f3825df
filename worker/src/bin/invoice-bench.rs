//! `invoice-bench`: how fast invoices are finalized with their PDF, and how long one PDF
//! takes (`scripts/invoice-bench.sh`, docs/BENCHMARKS.md).
//!
//! 1. One PDF: the same invoice rendered `BENCH_PDF_RUNS` times (default 50), for a consumer
//!    (PDF/A-3) and for a business (Factur-X: the EN 16931 XML written and attached, the XMP
//!    patched): median and p95 milliseconds.
//! 2. Throughput: `BENCH_INVOICES` paid orders (default 1,000; every second one a business)
//!    finalized by `WORKER_CONCURRENCY` tasks at once (default 4), each as the worker does it:
//!    a transaction that numbers and writes the invoice, then the PDF rendered and stored in
//!    a folder. Invoices per second, and the check that the numbers came out 1 … n, each
//!    once.
//!
//! A measuring tool, not part of the app: `DATABASE_URL` is a database it may fill (the
//! script makes a fresh one and drops it). Its report goes to stdout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use gd_config::Config;
use gd_invoices::fixtures::{paid_order, CONSUMER, GERMAN_BUSINESS};
use gd_invoices::issue::{self, Settings};
use gd_invoices::render;
use sqlx::PgPool;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and 95th percentile of `samples`.
fn spread(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        millis(samples[i.min(samples.len() - 1)])
    };
    (at(0.5), at(0.95))
}

async fn one_pdf(
    pool: &PgPool,
    settings: &Settings,
    business: bool,
    runs: usize,
) -> anyhow::Result<(f64, f64, usize)> {
    let buyer = if business { GERMAN_BUSINESS } else { CONSUMER };
    let order = paid_order(pool, &buyer).await?;
    let mut tx = pool.begin().await?;
    let id = issue::for_order(&mut tx, order, settings)
        .await?
        .id()
        .context("no invoice")?;
    tx.commit().await?;
    let mut conn = pool.acquire().await?;
    let invoice = gd_invoices::store::load(&mut conn, id)
        .await?
        .context("invoice gone")?;
    let mut samples = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let (pdf, _) = render::documents(&invoice, None)?;
        samples.push(start.elapsed());
        size = pdf.len();
    }
    let (p50, p95) = spread(samples);
    Ok((p50, p95, size))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env().context("reading configuration")?;
    let invoices: usize = env_or("BENCH_INVOICES", 1_000);
    let runs: usize = env_or("BENCH_PDF_RUNS", 50);
    let concurrency = config.worker_concurrency.max(1);
    let pool = gd_db::connect(&config.database_url, (concurrency as u32 + 2).max(4)).await?;
    gd_db::migrate(&pool).await?;
    let settings = Settings::from_config(&config);

    let (p50, p95, size) = one_pdf(&pool, &settings, false, runs).await?;
    println!("One PDF, consumer (PDF/A-3b, {size} bytes): median {p50:.1} ms, p95 {p95:.1} ms over {runs} renders");
    let (b50, b95, bsize) = one_pdf(&pool, &settings, true, runs).await?;
    println!("One PDF, business (Factur-X with EN 16931 XML, {bsize} bytes): median {b50:.1} ms, p95 {b95:.1} ms over {runs} renders");
    // The two orders above took numbers 1 and 2.
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM invoices")
        .fetch_one(&pool)
        .await?;

    let mut orders = Vec::with_capacity(invoices);
    for i in 0..invoices {
        let buyer = if i % 2 == 0 {
            CONSUMER
        } else {
            GERMAN_BUSINESS
        };
        orders.push(paid_order(&pool, &buyer).await?);
    }
    let folder = std::env::temp_dir().join(format!("gd-invoice-bench-{}", uuid::Uuid::now_v7()));
    let storage: Arc<dyn gd_storage::ObjectStore> =
        Arc::new(gd_storage::Folder::new(folder.clone())?);
    let queue = Arc::new(tokio::sync::Mutex::new(orders));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (pool, settings, storage, queue) = (
            pool.clone(),
            settings.clone(),
            storage.clone(),
            queue.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(order) = queue.lock().await.pop() else {
                    return Ok::<(), anyhow::Error>(());
                };
                let mut tx = pool.begin().await?;
                let id = issue::for_order(&mut tx, order, &settings)
                    .await?
                    .id()
                    .context("no invoice")?;
                tx.commit().await?;
                render::render_and_store(&pool, storage.as_ref(), id, None).await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = start.elapsed();
    let _ = std::fs::remove_dir_all(&folder);
    let per_sec = invoices as f64 / elapsed.as_secs_f64();
    println!(
        "Finalized with PDF: {invoices} invoices (half Factur-X) by {concurrency} tasks in {:.1} s: {per_sec:.0} invoices/s",
        elapsed.as_secs_f64()
    );
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM invoices ORDER BY seq")
        .fetch_all(&pool)
        .await?;
    let expected: Vec<i64> = (1..=before + invoices as i64).collect();
    if seqs != expected {
        bail!("the numbers have gaps or repeats");
    }
    let files: i64 = sqlx::query_scalar("SELECT count(*) FROM invoice_files WHERE kind = 'pdf'")
        .fetch_one(&pool)
        .await?;
    if files != invoices as i64 {
        bail!("{files} PDFs stored for {invoices} invoices");
    }
    println!(
        "Numbers 1 … {} without gaps or repeats; {files} PDFs stored",
        seqs.len()
    );
    println!("RESULT pdf_ms={p50:.1} pdf_p95_ms={p95:.1} facturx_ms={b50:.1} facturx_p95_ms={b95:.1} invoices_per_s={per_sec:.0}");
    Ok(())
}
