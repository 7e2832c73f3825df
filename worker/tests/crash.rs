//! Real `worker` processes against a real PostgreSQL and a stand-in SMM panel on loopback: a
//! worker killed (SIGKILL) in the middle of a provider request leaves its job to another
//! worker, and the provider still gets that order once; two workers on one queue run each job
//! once between them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json, Router};
use gd_fulfilment::SubmitFulfilment;
use gd_jobs::Job;
use sqlx::PgPool;
use uuid::Uuid;

/// What the panel has been asked to add, in arrival order (the links).
type Adds = Arc<Mutex<Vec<String>>>;

/// A stand-in SMM panel (API v2: one POST endpoint, form in, JSON out) that records every
/// `add` the moment it arrives and answers it `delay` later. Other actions (the schedule's
/// status poll) get a 503: nothing in these tests is about them.
struct Panel {
    url: String,
    adds: Adds,
}

impl Panel {
    async fn start(delay: Duration) -> Self {
        let adds = Adds::default();
        let app = Router::new()
            .route("/api/v2", axum::routing::post(panel_api))
            .with_state((adds.clone(), delay));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/v2", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, adds }
    }

    fn adds(&self) -> Vec<String> {
        self.adds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

async fn panel_api(
    State((adds, delay)): State<(Adds, Duration)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("action").map(String::as_str) != Some("add") {
        return (StatusCode::SERVICE_UNAVAILABLE, "not in this test").into_response();
    }
    let order = {
        let mut adds = adds.lock().unwrap_or_else(PoisonError::into_inner);
        adds.push(form.get("link").cloned().unwrap_or_default());
        adds.len()
    };
    tokio::time::sleep(delay).await;
    Json(serde_json::json!({ "order": 7000 + order })).into_response()
}

/// One `worker` process; its stdout and stderr go to `log`.
struct Proc {
    child: Child,
    log: PathBuf,
    /// Stopped by the test on purpose (killed or terminated).
    stopped: bool,
    /// Its apalis worker on the submit queue, once it listens.
    name: Option<String>,
}

/// The worker processes a test started. Dropping it kills those still running, so a failed
/// assertion leaves none behind; when the test is failing it prints the tail of each log.
struct Workers {
    dir: PathBuf,
    env: Vec<(String, String)>,
    procs: Vec<Proc>,
}

impl Workers {
    /// Workers on `pool`'s database (the test's own), with `vars` on top of a local setup.
    async fn new(pool: &PgPool, vars: &[(&str, &str)]) -> Self {
        let database: String = sqlx::query_scalar("SELECT current_database()")
            .fetch_one(pool)
            .await
            .unwrap();
        let options = pool.connect_options();
        let database_url = format!(
            "postgres://{}@{}:{}/{database}",
            options.get_username(),
            options.get_host(),
            options.get_port()
        );
        let dir = std::env::temp_dir().join(format!("gd-crash-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut env: Vec<(String, String)> = [
            ("DATABASE_URL", database_url.as_str()),
            // Already migrated by the test, as the same role.
            ("MIGRATION_DATABASE_URL", ""),
            ("PUBLIC_URL", "http://127.0.0.1:3000"),
            ("MAIL_OUTBOX_DIR", &dir.join("outbox").display().to_string()),
            ("STORAGE_DIR", &dir.join("storage").display().to_string()),
            ("LOG_FORMAT", "json"),
            ("RUST_LOG", "info,sqlx=warn"),
            ("SHUTDOWN_GRACE_SECS", "10"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Self {
            dir,
            env,
            procs: Vec::new(),
        }
    }

    /// Starts one more worker process; answers its index.
    fn start(&mut self) -> usize {
        let i = self.procs.len();
        let log = self.dir.join(format!("worker-{i}.log"));
        let out = std::fs::File::create(&log).unwrap();
        // Only the variables above (no `.env` in the temporary folder, none of ours leaking).
        let child = Command::new(env!("CARGO_BIN_EXE_worker"))
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        self.procs.push(Proc {
            child,
            log,
            stopped: false,
            name: None,
        });
        i
    }

    fn pid(&self, i: usize) -> u32 {
        self.procs[i].child.id()
    }

    /// The worker whose apalis worker on the submit queue is `name`.
    fn by_name(&self, name: &str) -> usize {
        (0..self.procs.len())
            .find(|&i| self.procs[i].name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no worker of ours is called {name}"))
    }

    /// SIGKILL: no shutdown, no goodbye, the open connections just drop.
    fn kill(&mut self, i: usize) {
        let p = &mut self.procs[i];
        p.stopped = true;
        p.child.kill().unwrap();
        p.child.wait().unwrap();
    }

    /// SIGTERM, then waits for a clean exit (in-flight jobs finish within the grace period).
    async fn terminate(&mut self, i: usize) {
        self.procs[i].stopped = true;
        let status = Command::new("kill")
            .args(["-TERM", &self.pid(i).to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM {}", self.pid(i));
        let deadline = Instant::now() + Duration::from_secs(60);
        let exit = loop {
            if let Some(exit) = self.procs[i].child.try_wait().unwrap() {
                break exit;
            }
            assert!(
                Instant::now() < deadline,
                "worker {i} still runs a minute after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(exit.success(), "worker {i} ended with {exit}");
    }

    /// Fails when a worker the test did not stop has exited.
    fn check_running(&mut self) {
        for (i, p) in self.procs.iter_mut().enumerate() {
            if !p.stopped {
                if let Some(exit) = p.child.try_wait().unwrap() {
                    panic!("worker {i} exited by itself: {exit}");
                }
            }
        }
    }

    /// Polls `probe` until it answers, for at most `within`, failing early if a worker died.
    async fn wait_for<T, F, Fut>(&mut self, what: &str, within: Duration, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + within;
        loop {
            if let Some(answer) = probe().await {
                return answer;
            }
            self.check_running();
            assert!(Instant::now() < deadline, "waited {within:?} for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until worker `i` runs the submit queue: its apalis worker (named
    /// `<job type>@<pid>-<random>`) has beaten once, which it does right after handing back
    /// the running jobs of workers it thinks dead. Answers that worker's name.
    async fn wait_until_listening(&mut self, pool: &PgPool, i: usize) -> String {
        let pattern = format!("%@{}-%", self.pid(i));
        // A pid may come again; a name never does.
        let known: Vec<String> = self.procs.iter().filter_map(|p| p.name.clone()).collect();
        let name: String = self
            .wait_for(
                &format!("worker {i} to take submit jobs"),
                Duration::from_secs(90),
                || async {
                    sqlx::query_scalar(
                        "SELECT id FROM apalis.workers
                         WHERE worker_type = $1 AND id LIKE $2 AND id <> ALL($3)",
                    )
                    .bind(SubmitFulfilment::QUEUE)
                    .bind(&pattern)
                    .bind(&known)
                    .fetch_optional(pool)
                    .await
                    .unwrap()
                },
            )
            .await;
        self.procs[i].name = Some(name.clone());
        name
    }

    /// The JSON log lines of every worker whose `message` is `message`.
    fn logged(&self, message: &str) -> Vec<serde_json::Value> {
        self.procs
            .iter()
            .flat_map(|p| {
                std::fs::read_to_string(&p.log)
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                    .filter(|event| event["message"] == message)
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for p in &mut self.procs {
            if let Ok(None) = p.child.try_wait() {
                let _ = p.child.kill();
                let _ = p.child.wait();
            }
        }
        if std::thread::panicking() {
            for (i, p) in self.procs.iter().enumerate() {
                let log = std::fs::read_to_string(&p.log).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(60)..].join("\n");
                eprintln!("--- worker {i} (pid {}), log tail:\n{tail}", p.child.id());
            }
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A provider pointed at `panel`, and one paid order with a line for the fulfilments.
async fn provider_and_order(pool: &PgPool, panel: &Panel) -> (Uuid, Uuid, Uuid) {
    gd_db::migrate(pool).await.unwrap();
    let provider = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO fulfilment_providers (id, name, api_url, api_key)
         VALUES ($1, 'Stand-in panel', $2, 'crash-key')",
    )
    .bind(provider)
    .bind(&panel.url)
    .execute(pool)
    .await
    .unwrap();
    let user = Uuid::now_v7();
    sqlx::query("INSERT INTO users (id, email) VALUES ($1, 'kunde@example.de')")
        .bind(user)
        .execute(pool)
        .await
        .unwrap();
    let order = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO orders (id, user_id, status, lang, mode, treatment, email, buyer_name,
             street, postal_code, city, country, terms_accepted_at, terms_version, net, vat,
             total, rates, gateway)
         VALUES ($1, $2, 'paid', 'de', 'payment', 'standard', 'kunde@example.de', 'Kunde',
             'Weg 1', '10115', 'Berlin', 'DE', now(), '1', 1000, 190, 1190, '{}', 'test')",
    )
    .bind(order)
    .bind(user)
    .execute(pool)
    .await
    .unwrap();
    let line = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO order_lines (id, order_id, position, product_slug, product_name, billing,
             tier_key, description, quantity, unit_gross, vat_rate_bp, net, vat, total)
         VALUES ($1, $2, 1, 'instagram-likes', 'Instagram Likes', 'one_off', '100',
             'Instagram Likes · 100', 1, 1190, 1900, 1000, 190, 1190)",
    )
    .bind(line)
    .bind(order)
    .execute(pool)
    .await
    .unwrap();
    (provider, order, line)
}

/// A queued provider fulfilment of 100 likes on `link` (part `part` of the line), with its
/// submit job enqueued in the same transaction, as the planner does it.
async fn queued(pool: &PgPool, ids: (Uuid, Uuid, Uuid), part: i32, link: &str) -> Uuid {
    let (provider, order, line) = ids;
    let id = Uuid::now_v7();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO fulfilments (id, order_id, order_line_id, part, title, target, quantity,
             paid_net, paid_total, method, provider_id, service, status)
         VALUES ($1, $2, $3, $4, 'Instagram Likes · 100', $5, 100, 1000, 1190, 'provider', $6,
             '1', 'queued')",
    )
    .bind(id)
    .bind(order)
    .bind(line)
    .bind(part)
    .bind(link)
    .bind(provider)
    .execute(&mut *tx)
    .await
    .unwrap();
    gd_jobs::enqueue(&mut tx, &SubmitFulfilment { fulfilment_id: id })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// The status and hold reason of fulfilment `id`.
async fn fulfilment(pool: &PgPool, id: Uuid) -> (String, Option<String>, Option<String>) {
    sqlx::query_as("SELECT status, hold_reason, error FROM fulfilments WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The submit job of fulfilment `id`: its status and the apalis worker that has it.
async fn job(pool: &PgPool, id: Uuid) -> (String, Option<String>) {
    sqlx::query_as(
        "SELECT status, lock_by FROM apalis.jobs WHERE job_type = $1 AND job->>'fulfilment_id' = $2",
    )
    .bind(SubmitFulfilment::QUEUE)
    .bind(id.to_string())
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Waits until fulfilment `id` is being sent and the panel has its add; answers which worker
/// has the job.
async fn in_flight(workers: &mut Workers, pool: &PgPool, panel: &Panel, id: Uuid) -> usize {
    let link = panel_link(pool, id).await;
    let name = workers
        .wait_for(
            "the add to reach the panel",
            Duration::from_secs(90),
            || async {
                let (status, _, _) = fulfilment(pool, id).await;
                let (_, lock_by) = job(pool, id).await;
                (status == "submitting" && panel.adds().contains(&link))
                    .then_some(lock_by)
                    .flatten()
            },
        )
        .await;
    workers.by_name(&name)
}

async fn panel_link(pool: &PgPool, id: Uuid) -> String {
    sqlx::query_scalar("SELECT target FROM fulfilments WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Waits until the job of fulfilment `id` is done; answers which worker finished it.
async fn done(workers: &mut Workers, pool: &PgPool, id: Uuid) -> usize {
    let name = workers
        .wait_for(
            "the job to be handed back and finished",
            Duration::from_secs(90),
            || async {
                let (status, lock_by) = job(pool, id).await;
                (status == "Done").then_some(lock_by).flatten()
            },
        )
        .await;
    workers.by_name(&name)
}

/// The panel's answers never come in time: whoever sends is killed while it waits.
const NEVER_IN_TIME: Duration = Duration::from_secs(25);

#[sqlx::test(migrations = false)]
async fn a_worker_killed_mid_job_leaves_it_to_another_and_the_side_effect_happens_once(
    pool: PgPool,
) {
    let panel = Panel::start(NEVER_IN_TIME).await;
    let ids = provider_and_order(&pool, &panel).await;
    // Short, so that the heartbeat's verdict comes within the test's patience.
    let mut workers = Workers::new(&pool, &[("WORKER_ORPHAN_AFTER_SECS", "8")]).await;

    // Two workers running; the one that takes the job dies mid-request; the other one notices
    // the silence of its heartbeat and takes the job over.
    let (a, b) = (workers.start(), workers.start());
    workers.wait_until_listening(&pool, a).await;
    workers.wait_until_listening(&pool, b).await;
    let first = queued(&pool, ids, 1, "https://www.instagram.com/p/First1/").await;
    let holder = in_flight(&mut workers, &pool, &panel, first).await;
    let survivor = if holder == a { b } else { a };
    workers.kill(holder);
    assert_eq!(done(&mut workers, &pool, first).await, survivor);
    let (status, reason, error) = fulfilment(&pool, first).await;
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("held", Some("uncertain"))
    );
    // Held by the second run, which found it half sent (not by the request timing out).
    assert!(
        error
            .as_deref()
            .unwrap_or_default()
            .contains("worker stopped"),
        "{error:?}"
    );
    assert_eq!(panel.adds().len(), 1, "{:?}", panel.adds());

    // The only worker dies mid-request; its replacement takes the job over as it starts.
    let second = queued(&pool, ids, 2, "https://www.instagram.com/p/Second2/").await;
    assert_eq!(
        in_flight(&mut workers, &pool, &panel, second).await,
        survivor
    );
    workers.kill(survivor);
    let replacement = workers.start();
    workers.wait_until_listening(&pool, replacement).await;
    assert_eq!(done(&mut workers, &pool, second).await, replacement);
    let (status, reason, error) = fulfilment(&pool, second).await;
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("held", Some("uncertain"))
    );
    assert!(
        error
            .as_deref()
            .unwrap_or_default()
            .contains("worker stopped"),
        "{error:?}"
    );

    // One add per fulfilment, whatever the crashes.
    assert_eq!(
        panel.adds(),
        [
            "https://www.instagram.com/p/First1/",
            "https://www.instagram.com/p/Second2/"
        ]
    );
    workers.terminate(replacement).await;
}

#[sqlx::test(migrations = false)]
async fn two_workers_share_a_queue_without_running_a_job_twice(pool: PgPool) {
    const N: usize = 60;
    let panel = Panel::start(Duration::from_millis(50)).await;
    let ids = provider_and_order(&pool, &panel).await;
    let mut workers = Workers::new(&pool, &[]).await;

    // Both listen before the jobs arrive. As it starts, an apalis 0.7 worker hands back to
    // the queue every job its queue's other workers are running, dead or alive (its first
    // orphan sweep counts a worker dead when its last beat is older than now, which every
    // beat is); a worker starting next to a busy one would run some jobs a second time.
    let (a, b) = (workers.start(), workers.start());
    let name_a = workers.wait_until_listening(&pool, a).await;
    let name_b = workers.wait_until_listening(&pool, b).await;
    let mut links = Vec::new();
    let mut fulfilments = Vec::new();
    for part in 1..=N {
        let link = format!("https://www.instagram.com/p/Post{part:03}/");
        fulfilments.push(queued(&pool, ids, i32::try_from(part).unwrap(), &link).await);
        links.push(link);
    }

    let db = &pool;
    workers
        .wait_for(
            "every fulfilment to be sent and every job done",
            Duration::from_secs(180),
            || async {
                let (sent, done): (i64, i64) = sqlx::query_as(
                    "SELECT (SELECT count(*) FROM fulfilments WHERE status = 'submitted'),
                            (SELECT count(*) FROM apalis.jobs
                             WHERE job_type = $1 AND status = 'Done')",
                )
                .bind(SubmitFulfilment::QUEUE)
                .fetch_one(db)
                .await
                .unwrap();
                (sent == N as i64 && done == N as i64).then_some(())
            },
        )
        .await;
    workers.terminate(a).await;
    workers.terminate(b).await;

    // The panel got each link once.
    let mut adds = panel.adds();
    adds.sort();
    assert_eq!(adds, links);
    // Each job ran once: one "fulfilment submitted" per fulfilment, across both workers.
    let mut runs: BTreeMap<String, usize> =
        fulfilments.iter().map(|id| (id.to_string(), 0)).collect();
    for event in workers.logged("fulfilment submitted") {
        let id = event["fulfilment"].as_str().unwrap_or_default().to_owned();
        *runs.entry(id).or_default() += 1;
    }
    let not_once: Vec<_> = runs.iter().filter(|(_, &n)| n != 1).collect();
    assert!(not_once.is_empty(), "runs per fulfilment: {not_once:?}");

    // Who did the work (apalis records the worker that finished a job in `lock_by`).
    let by_worker: Vec<(String, i64)> = sqlx::query_as(
        "SELECT lock_by, count(*) FROM apalis.jobs WHERE job_type = $1 GROUP BY lock_by",
    )
    .bind(SubmitFulfilment::QUEUE)
    .fetch_all(&pool)
    .await
    .unwrap();
    let count = |name: &str| {
        by_worker
            .iter()
            .find(|(w, _)| w == name)
            .map_or(0, |(_, n)| *n)
    };
    eprintln!(
        "jobs done: worker a {}, worker b {}",
        count(&name_a),
        count(&name_b)
    );
    if count(&name_a) == 0 || count(&name_b) == 0 {
        eprintln!("note: one worker did every job this time (allowed, but unusual)");
    }
}
