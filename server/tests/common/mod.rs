//! Test helpers: the real router on a loopback port, and a real SMTP server (maildev from npm).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gd_config::Config;
use server::{AppParts, AppState};
use sqlx::PgPool;

/// The password of accounts made by [`TestApp::signed_in`].
pub const PASSWORD: &str = "pferd batterie heftklammer richtig";

pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub outbox: PathBuf,
    /// Follows no redirects, so tests see them.
    pub client: reqwest::Client,
    /// The server's catalog in memory.
    pub catalog: gd_catalog::Cache,
}

impl TestApp {
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, &[]).await
    }

    /// Starts the app with extra configuration variables.
    pub async fn spawn_with(pool: PgPool, vars: &[(&str, &str)]) -> Self {
        Self::spawn_custom(pool, vars, |_| {}).await
    }

    /// Starts the app with extra configuration variables and adjusted Leptos options.
    pub async fn spawn_custom(
        pool: PgPool,
        vars: &[(&str, &str)],
        adjust: impl FnOnce(&mut leptos::config::LeptosOptions),
    ) -> Self {
        gd_db::migrate(&pool).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let outbox = std::env::temp_dir().join(format!("gd-test-outbox-{}", uuid::Uuid::new_v4()));
        let mut env: HashMap<String, String> = HashMap::from([
            ("PUBLIC_URL".to_owned(), format!("http://{addr}")),
            ("MAIL_OUTBOX_DIR".to_owned(), outbox.display().to_string()),
            (
                "STORAGE_DIR".to_owned(),
                outbox.join("storage").display().to_string(),
            ),
            (
                "AGENCY_EMAIL".to_owned(),
                "team@growthdesk.localhost".to_owned(),
            ),
        ]);
        for (k, v) in vars {
            env.insert(k.to_string(), v.to_string());
        }
        let config = Arc::new(Config::from_vars(env).unwrap());
        let mut leptos_options = leptos::config::get_configuration(Some("../Leptos.toml"))
            .unwrap()
            .leptos_options;
        leptos_options.hash_files = false;
        adjust(&mut leptos_options);
        let catalog = gd_catalog::Cache::start(pool.clone()).await.unwrap();
        let state = AppState::new(AppParts {
            leptos_options,
            pool: pool.clone(),
            config: config.clone(),
            outbox_dir: config.smtp.is_none().then(|| outbox.clone()),
            login_providers: std::sync::Arc::new(
                gd_oauth::LoginProviders::from_config(&config).unwrap(),
            ),
            catalog: catalog.clone(),
            storage: gd_storage::from_config(&config.storage).unwrap(),
            instagram: gd_instagram::from_config(&config).unwrap(),
            instagram_app: config.instagram_app.as_ref().map(|app| {
                std::sync::Arc::new(gd_analytics::instagram::Instagram::new(app).unwrap())
            }),
            live: gd_analytics::live::Live::start(&pool).await.unwrap(),
            pages: Default::default(),
            gateway: gd_payments::Gateway::from_config(&config.payments).unwrap(),
            vat_register: gd_vies::from_config(&config).unwrap(),
        });
        server::metrics_handle();
        let app = server::router(state);
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let mut app = Self {
            base: format!("http://{addr}"),
            pool,
            config,
            outbox,
            client: reqwest::Client::new(),
            catalog,
        };
        // The app's own browser; `post_form_html` overrides its Accept header.
        app.client = app.browser();
        app
    }

    /// Loads the demo data (catalog included) and waits until the server's catalog has it.
    pub async fn seed_demo(&self) {
        // The seed announces its catalog (`NOTIFY`); the server's listener loads it. Reloading
        // here as well would race that load, which swaps the catalog again a moment later.
        let before = self.catalog.get();
        gd_db::seed_demo_data(&self.pool).await.unwrap();
        for _ in 0..200 {
            if !std::sync::Arc::ptr_eq(&before, &self.catalog.get()) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the server did not load the seeded catalog within 10 s");
    }

    /// Runs `sql` in a transaction that announces a catalog change (`NOTIFY`), as an admin's
    /// edit does; the catalog in memory follows shortly after the commit.
    pub async fn change_catalog(&self, sql: &str) {
        let mut tx = self.pool.begin().await.unwrap();
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
        gd_catalog::notify_changed(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// Another browser on our own pages: its own cookies, our `Origin` on every request, JSON
    /// answers from server functions, redirects not followed.
    pub fn browser(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("origin", self.config.public_origin().parse().unwrap());
        headers.insert("accept", "application/json".parse().unwrap());
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// A browser signed in as `email`, an account with a password holding exactly `roles`
    /// (made directly in the database, then signed in over HTTP). Roles that need two-factor
    /// sign-in (admin, finance) get an authenticator set up, and the sign-in gives its code.
    pub async fn signed_in(&self, email: &str, roles: &[gd_accounts::Role]) -> reqwest::Client {
        self.signed_in_with_secret(email, roles).await.0
    }

    /// [`TestApp::signed_in`], also answering the authenticator's secret (base32) when one was
    /// set up: [`totp_now`] makes codes from it.
    pub async fn signed_in_with_secret(
        &self,
        email: &str,
        roles: &[gd_accounts::Role],
    ) -> (reqwest::Client, Option<String>) {
        let user_id: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO users (id, email, email_verified_at) VALUES ($1, $2, now()) RETURNING id",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(email)
        .fetch_one(&self.pool)
        .await
        .unwrap();
        for role in roles {
            gd_accounts::grant_role(
                &mut self.pool.acquire().await.unwrap(),
                None,
                user_id,
                *role,
            )
            .await
            .unwrap();
        }
        let mut conn = self.pool.acquire().await.unwrap();
        let token =
            gd_accounts::issue_token(&mut conn, user_id, gd_accounts::TokenPurpose::ResetPassword)
                .await
                .unwrap();
        let password = gd_accounts::Password::parse(PASSWORD, &[]).unwrap();
        gd_accounts::reset_password(
            &mut self.pool.acquire().await.unwrap(),
            token.expose(),
            &password,
        )
        .await
        .unwrap();
        let secret = if roles.iter().any(|r| r.needs_two_factor()) {
            Some(self.enrol_two_factor(user_id, email).await)
        } else {
            None
        };
        let client = self.browser();
        let res = client
            .post(self.url("/api/log_in"))
            .form(&[("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "sign-in of {email}");
        if let Some(secret) = &secret {
            let res = client
                .post(self.url("/api/verify_login_code"))
                .form(&[("code", totp_now(secret).as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "second factor of {email}");
        }
        (client, secret)
    }

    /// Sets up an authenticator for `user` directly (its first code from half a minute ago,
    /// so the current one is still fresh for signing in); answers the secret.
    pub async fn enrol_two_factor(&self, user: uuid::Uuid, email: &str) -> String {
        let key = gd_accounts::SecretKey::new(*self.config.two_factor_key.expose());
        let mut conn = self.pool.acquire().await.unwrap();
        let enrolment = gd_accounts::start_enrolment(&mut conn, &key, user, email)
            .await
            .unwrap();
        let earlier = unix_now() - 30;
        let code = gd_accounts::code_at(&enrolment.secret_base32, earlier).unwrap();
        gd_accounts::confirm_enrolment(&mut conn, &key, user, &code, earlier)
            .await
            .unwrap();
        enrolment.secret_base32
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// A browser's form post without JavaScript: accepts HTML, names the page it came from.
    pub async fn post_form_html(
        &self,
        path: &str,
        form: &[(&str, &str)],
        referer: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", self.url(referer))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// The hydrated page calling a server function with fetch.
    pub async fn post_form_fetch(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Waits until no job is waiting or running (or fails after 20 s): after that, whatever
    /// the worker was going to do has happened.
    pub async fn wait_for_idle_queue(&self) {
        for _ in 0..200 {
            let busy = self
                .count("SELECT count(*) FROM apalis.jobs WHERE status IN ('Pending', 'Running')")
                .await;
            if busy == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the job queue did not become idle");
    }

    /// Runs the real worker until nothing is left to do, then stops it.
    pub async fn run_worker_until_idle(&self) {
        let worker = RunningWorker::start(self);
        self.wait_for_idle_queue().await;
        worker.stop().await;
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.outbox);
    }
}

/// The real worker loop (as the `worker` binary runs it) on the app's database and config.
pub struct RunningWorker {
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningWorker {
    pub fn start(app: &TestApp) -> Self {
        let mailer = gd_mail::from_config(&app.config).unwrap();
        let ctx = worker::JobContext {
            pool: app.pool.clone(),
            mailer,
            storage: gd_storage::from_config(&app.config.storage).unwrap(),
            networks: gd_analytics::sync::Networks::from_config(&app.config).unwrap(),
            config: app.config.clone(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(worker::run(ctx, async move {
            let _ = stopped.await;
        }));
        Self { stop, handle }
    }

    /// Signals shutdown and waits (at most 15 s) for the worker to return.
    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(15), self.handle)
            .await
            .expect("worker stops in time")
            .unwrap()
            .unwrap();
    }
}

/// Posts `form` to `path` as `client` (a server function, as the pages call them): the status
/// and the JSON answer (`Null` when there is none).
pub async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let res = client.post(app.url(path)).form(form).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// Rate limits count in fixed windows aligned to multiples of their length (900 s: :00, :15,
/// :30, :45). A test that counts up to a limit waits, when the current window ends within
/// `needed` seconds, until the next one has begun, so its attempts all fall in one window.
pub async fn in_one_window(window_secs: u64, needed: u64) {
    let left = window_secs - unix_now() % window_secs;
    if left < needed {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The code an authenticator app shows now for `secret`.
pub fn totp_now(secret: &str) -> String {
    gd_accounts::code_at(secret, unix_now()).unwrap()
}

pub fn lead_form<'a>(email: &'a str, message: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("name", "Anna Schmidt"),
        ("email", email),
        ("instagram", "@anna.bakes"),
        ("message", message),
        ("consent", "on"),
        ("lang", "de"),
    ]
}

/// A real SMTP server on loopback (maildev from the project's npm packages), with its HTTP API
/// to read what arrived.
pub struct Maildev {
    child: tokio::process::Child,
    pub smtp_port: u16,
    pub web_port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Maildev {
    pub async fn start() -> Self {
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/maildev");
        assert!(
            bin.exists(),
            "{} missing: run `make setup` (npm install)",
            bin.display()
        );
        let (smtp_port, web_port) = (free_port(), free_port());
        let child = tokio::process::Command::new(bin)
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1"])
            .args(["-s", &smtp_port.to_string(), "-w", &web_port.to_string()])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let me = Self {
            child,
            smtp_port,
            web_port,
        };
        // Node starts slowly while the other test binaries load both cores: up to 30 s.
        for _ in 0..300 {
            if reqwest::get(format!("http://127.0.0.1:{web_port}/api/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return me;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("maildev did not start");
    }

    pub async fn emails(&self) -> Vec<serde_json::Value> {
        reqwest::get(format!("http://127.0.0.1:{}/api/email", self.web_port))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until `n` mails have arrived (or fails after 20 s).
    pub async fn wait_for(&self, n: usize) -> Vec<serde_json::Value> {
        for _ in 0..200 {
            let mails = self.emails().await;
            if mails.len() >= n {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} mails, got {:#?}", self.emails().await);
    }
}

impl Drop for Maildev {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// A local OpenID Connect provider (npm `oauth2-mock-server` through `scripts/oidc-mock.mjs`)
/// that signs in one fixed person, `userinfo`.
pub struct OidcMock {
    child: tokio::process::Child,
    pub port: u16,
}

impl OidcMock {
    pub const CLIENT_ID: &'static str = "growthdesk";
    pub const CLIENT_SECRET: &'static str = "growthdesk-secret";

    pub async fn start(userinfo: serde_json::Value) -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        assert!(
            root.join("node_modules/oauth2-mock-server").exists(),
            "oauth2-mock-server missing: run `make setup` (npm install)"
        );
        // A free port can be taken by another test before node binds it, and node starts
        // slowly while the other tests keep both cores busy: a few tries, 30 s each.
        for _attempt in 0..3 {
            let port = free_port();
            let mut child = tokio::process::Command::new("node")
                .arg(root.join("scripts/oidc-mock.mjs"))
                .current_dir(&root)
                .env("PORT", port.to_string())
                .env("OIDC_USERINFO", userinfo.to_string())
                .env("OIDC_CLIENT_ID", Self::CLIENT_ID)
                .env("OIDC_CLIENT_SECRET", Self::CLIENT_SECRET)
                .stdout(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            for _ in 0..300 {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                let ready = reqwest::get(format!(
                    "http://127.0.0.1:{port}/.well-known/openid-configuration"
                ))
                .await
                .is_ok_and(|r| r.status().is_success());
                if ready {
                    return Self { child, port };
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        panic!("oidc-mock did not start");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Configuration variables that point `provider` (`GOOGLE`, …) at this server.
    pub fn vars(&self, provider: &str) -> Vec<(String, String)> {
        [
            ("CLIENT_ID", Self::CLIENT_ID.to_owned()),
            ("CLIENT_SECRET", Self::CLIENT_SECRET.to_owned()),
            ("AUTH_URL", self.url("/authorize")),
            ("TOKEN_URL", self.url("/token")),
            ("USERINFO_URL", self.url("/userinfo")),
        ]
        .into_iter()
        .map(|(k, v)| (format!("OAUTH_{provider}_{k}"), v))
        .collect()
    }
}

impl Drop for OidcMock {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The nonce a response's Content-Security-Policy allows scripts to carry.
pub fn csp_nonce(res: &reqwest::Response) -> String {
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    let (_, rest) = csp.split_once("'nonce-").expect("a nonce in the CSP");
    rest.split('\'').next().unwrap().to_owned()
}

/// Billing details as a German consumer types them at checkout, with both consents.
pub const BILLING: &[(&str, &str)] = &[
    ("lang", "de"),
    ("name", "Erika Mustermann"),
    ("street", "Hauptstraße 1"),
    ("postal_code", "10115"),
    ("city", "Berlin"),
    ("country", "DE"),
    ("terms", "on"),
    ("early_start", "on"),
];

/// Unix seconds now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Posts `body` to the webhook as the gateway would, signed with `secret` at `t`; answers the
/// status.
pub async fn deliver_event(app: &TestApp, body: &str, secret: &str, t: i64) -> u16 {
    reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .header(
            "stripe-signature",
            gd_payments::signature::sign(secret, t, body.as_bytes()),
        )
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The test gateway's first `kind` event delivered to the webhook again, twice at the same
/// moment (signed with the test gateway's secret, as a retry crossing itself would come);
/// both statuses.
pub async fn deliver_again_twice_at_once(app: &TestApp, kind: &str) -> (u16, u16) {
    let payload: String = sqlx::query_scalar(
        "SELECT payload FROM test_gateway_events WHERE type = $1 ORDER BY created_at LIMIT 1",
    )
    .bind(kind)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let secret = gd_config::TEST_GATEWAY_WEBHOOK_SECRET;
    tokio::join!(
        deliver_event(app, &payload, secret, now()),
        deliver_event(app, &payload, secret, now())
    )
}

/// A signed-in client (a new account) with `quantity` × `product` at `tier` for
/// `@growth.desk` in the cart.
pub async fn client_with_cart(
    app: &TestApp,
    email: &str,
    product: &str,
    tier: &str,
    quantity: &str,
) -> reqwest::Client {
    let client = app.signed_in(email, &[]).await;
    let (status, cart) = post(
        &client,
        app,
        "/api/cart_add",
        &[
            ("lang", "de"),
            ("product", product),
            ("tier", tier),
            ("quantity", quantity),
            ("target", "@growth.desk"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{cart}");
    client
}

/// Checks out `client`'s cart with `billing` and pays on the test gateway's page; the worker
/// then runs until idle (the payment's event, the confirmation, fulfilment and invoice).
/// Returns the order's id.
pub async fn pay_cart(app: &TestApp, client: &reqwest::Client, billing: &[(&str, &str)]) -> String {
    let (status, started) = post(client, app, "/api/start_checkout", billing).await;
    assert_eq!(status, 200, "{started}");
    let res = client
        .post(started["payment_url"].as_str().unwrap())
        .form(&[("choice", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    app.run_worker_until_idle().await;
    started["order_id"].as_str().unwrap().to_owned()
}
