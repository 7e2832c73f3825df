//! The real worker loop (as the `worker` binary runs it) seen from outside: its Prometheus
//! endpoint after it ran a job and its schedule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{lead_form, RunningWorker, TestApp};
use sqlx::PgPool;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value of the sample `name{labels}` in Prometheus text, if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[sqlx::test(migrations = false)]
async fn the_worker_serves_its_metrics_after_running_a_job(pool: PgPool) {
    let port = free_port().to_string();
    let metrics_addr = format!("127.0.0.1:{port}");
    let app = TestApp::spawn_with(
        pool.clone(),
        &[
            ("WORKER_METRICS_ADDR", &metrics_addr),
            ("METRICS_TOKEN", "scrape-me"),
        ],
    )
    .await;
    let res = app
        .post_form_fetch("/api/submit_lead", &lead_form("anna@example.de", "Hallo"))
        .await;
    assert_eq!(res.status(), 200);

    let worker = RunningWorker::start(&app);
    let ran = "SELECT count(*) FROM apalis.jobs WHERE status = 'Done'";
    // The schedule runs at start: each task once, recorded in this database.
    let swept = "SELECT count(*) FROM scheduled_runs
                 WHERE last_error IS NULL AND last_finished_at IS NOT NULL";
    let tasks = worker::schedule::TASKS.len() as i64;
    for _ in 0..100 {
        if app.count(ran).await == 1 && app.count(swept).await == tasks {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count(ran).await, 1, "the lead's job ran");
    assert_eq!(app.count(swept).await, tasks, "every scheduled task ran");

    let url = format!("http://{metrics_addr}/metrics");
    let client = reqwest::Client::new();
    let res = client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401, "METRICS_TOKEN applies to the worker too");
    let res = client
        .get(&url)
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();

    // Counters are per process (other tests' workers in this binary add to them): at least ours.
    let processed = sample(
        &text,
        r#"worker_jobs_processed_total{job_type="growthdesk::lead_received"}"#,
    );
    assert!(processed.is_some_and(|n| n >= 1.0), "{text}");
    assert!(
        text.contains("# TYPE worker_jobs_processed_total counter"),
        "{text}"
    );
    // The gauges are this database's queue, read at scrape time.
    assert_eq!(
        sample(
            &text,
            r#"worker_queue_jobs{job_type="growthdesk::lead_received",status="Done"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"worker_queue_jobs{job_type="growthdesk::lead_received",status="Pending"}"#
        ),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"worker_queue_oldest_pending_seconds{job_type="growthdesk::lead_received"}"#
        ),
        Some(0.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            r#"worker_scheduled_runs_total{task="delete_expired_sessions",outcome="ok"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );

    // The listener ends with the worker.
    worker.stop().await;
    assert!(client
        .get(&url)
        .bearer_auth("scrape-me")
        .send()
        .await
        .is_err());
}
