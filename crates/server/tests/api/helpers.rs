//! The `TestApp` builder and request helpers shared by every test.

use std::{path::PathBuf, sync::Arc};

use edudesk::{App, Config, config::Secret, crypto::learner_signature, demo, store::Store};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

/// Runs each named `async fn name(backend: TestBackend)` on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::TestBackend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::helpers::TestBackend::postgres() {
                    Some(backend) => super::$name(backend).await,
                    None => eprintln!("skipped: set EDUDESK_TEST_POSTGRES_URL to run this test on PostgreSQL"),
                }
            }
        }
    )* };
}

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum TestBackend {
    Sqlite,
    /// The admin URL of a PostgreSQL server where test databases are created.
    Postgres(String),
}

impl TestBackend {
    pub fn postgres() -> Option<TestBackend> {
        std::env::var("EDUDESK_TEST_POSTGRES_URL").ok().filter(|url| !url.is_empty()).map(TestBackend::Postgres)
    }
}

fn unique_name() -> String {
    format!("edudesk_test_{}_{}", std::process::id(), &edudesk::crypto::new_token()[..12])
}

/// A database of its own for one test, removed when dropped.
pub struct TestDatabase {
    pub url: String,
    pub data_dir: PathBuf,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(backend: &TestBackend) -> TestDatabase {
        let data_dir = std::env::temp_dir().join(unique_name());
        std::fs::create_dir_all(&data_dir).unwrap();
        match backend {
            TestBackend::Sqlite => TestDatabase { url: format!("sqlite://{}/edudesk.db", data_dir.display()), data_dir, postgres: None },
            TestBackend::Postgres(admin_url) => {
                sqlx::any::install_default_drivers();
                let name = unique_name();
                let mut admin = sqlx::AnyConnection::connect(admin_url).await.expect("connect to EDUDESK_TEST_POSTGRES_URL");
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
                admin.close().await.unwrap();
                let (base, _) = admin_url.rsplit_once('/').expect("a PostgreSQL URL ending in /database");
                TestDatabase { url: format!("{base}/{name}"), data_dir, postgres: Some((admin_url.clone(), name)) }
            }
        }
    }
}

impl TestDatabase {
    /// On PostgreSQL, refuses (`false`) or allows new connections to this test's database and,
    /// when refusing, ends the ones open — the database as the app sees it during an outage.
    pub async fn set_reachable(&self, reachable: bool) {
        let (admin_url, name) = self.postgres.as_ref().expect("a PostgreSQL test database");
        let mut admin = sqlx::AnyConnection::connect(admin_url).await.unwrap();
        sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {reachable}")).execute(&mut admin).await.unwrap();
        if !reachable {
            sqlx::query(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")).execute(&mut admin).await.unwrap();
        }
        admin.close().await.unwrap();
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some((admin_url, name)) = self.postgres.take() {
            // Drop runs inside the test's runtime; use a thread with a runtime of its own.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async {
                    let mut admin = sqlx::AnyConnection::connect(&admin_url).await?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await?;
                    admin.close().await
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("could not drop test database {}", self.url);
            }
        }
    }
}

/// Builds a [`TestApp`].
pub struct TestAppBuilder {
    backend: TestBackend,
    config: Config,
}

impl TestAppBuilder {
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.config.body_limit_bytes = bytes;
        self
    }

    /// Changes any configuration value before the server starts.
    pub fn configure(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self
    }

    /// Lets the bot answer learners' widget conversations first (off by default in tests,
    /// whose conversations go straight to the queues as they did before the bot).
    pub fn with_bot(mut self) -> Self {
        self.config.bot_enabled = true;
        self
    }

    pub fn heartbeat_ms(mut self, ms: u64) -> Self {
        self.config.ws_heartbeat_ms = ms;
        self
    }

    pub fn without_platform_secret(mut self) -> Self {
        self.config.platform_secret = None;
        self
    }

    pub async fn spawn(mut self) -> TestApp {
        let database = TestDatabase::create(&self.backend).await;
        self.config.database_url = Some(Secret::new(database.url.clone()));
        self.config.data_dir = database.data_dir.clone();
        let app = App::build(self.config).await.expect("build the app");
        let store = app.state.store.clone();
        // Every test starts from the demo's staff, learners and conversations.
        assert!(demo::seed(&store).await.unwrap(), "a fresh database takes the demo");
        app.state.knowledge.changed(&store).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        TestApp { base, client: reqwest::Client::new(), store, _stop: stop, database: Arc::new(database) }
    }
}

/// A running server on its own database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    _stop: tokio::sync::oneshot::Sender<()>,
    pub database: Arc<TestDatabase>,
}

/// A parsed answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.body);
        self.body
    }

    /// Asserts an `application/problem+json` answer with this status and returns its detail.
    #[track_caller]
    pub fn problem(self, status: u16) -> String {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.body);
        let content_type = self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(content_type, "application/problem+json", "errors are problem documents");
        assert_eq!(self.body["status"], status);
        let detail = self.body["detail"].as_str().unwrap_or_default().to_owned();
        assert!(!detail.is_empty(), "a problem has a detail");
        detail
    }
}

impl TestApp {
    pub fn builder(backend: TestBackend) -> TestAppBuilder {
        // Tests sign in and open sessions far more often than people do: the rate limits
        // are tested on their own (auth.rs), with low values.
        let config = Config {
            platform_secret: Some(Secret::new(demo::DEMO_PLATFORM_SECRET)),
            bot_enabled: false,
            login_attempts_per_ip: 100_000,
            public_writes_per_ip: 100_000,
            // A test may pause longer than the production 10 s between two requests on one
            // pooled connection; the deadline is tested on its own (bad_input.rs).
            header_read_timeout_seconds: 120,
            // Channel tests check exactly what reaches the learner; the wait notice has its own
            // test (channels.rs).
            channel_wait_notice: false,
            ..Config::default()
        };
        TestAppBuilder { backend, config }
    }

    pub async fn spawn(backend: TestBackend) -> TestApp {
        Self::builder(backend).spawn().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::answer(request.send().await.unwrap()).await
    }

    pub async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    /// Signs in a demo staff account and returns its token.
    pub async fn login(&self, email: &str) -> String {
        let body = self.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": email, "password": demo::DEMO_PASSWORD}))).await.expect(200);
        body["token"].as_str().unwrap().to_owned()
    }

    /// Opens a signed widget session for a learner; returns (token, contact id).
    pub async fn learner(&self, learner_id: &str) -> (String, i64) {
        let signature = learner_signature(demo::DEMO_PLATFORM_SECRET, learner_id);
        let body = self.call(Method::POST, "/api/v1/widget/sessions", None, Some(json!({"learner_id": learner_id, "signature": signature}))).await.expect(200);
        (body["token"].as_str().unwrap().to_owned(), body["contact_id"].as_i64().unwrap())
    }

    /// A learner opens a widget conversation; returns its id.
    pub async fn open_conversation(&self, learner_token: &str, body: &str) -> i64 {
        let created = self
            .post(
                "/api/v1/conversations",
                learner_token,
                json!({"channel": "widget", "message": {"body": body, "client_id": edudesk::crypto::new_token()[..16].to_owned()}}),
            )
            .await;
        created.expect(201)["id"].as_i64().unwrap()
    }

    /// Staff open a conversation for a contact at a tier; returns its id.
    pub async fn open_conversation_at_tier(&self, staff_token: &str, contact_id: i64, tier: i64) -> i64 {
        let body = json!({"channel": "phone", "contact_id": contact_id, "tier": tier, "message": {"body": "logged call", "client_id": edudesk::crypto::new_token()[..16].to_owned()}});
        self.post("/api/v1/conversations", staff_token, body).await.expect(201)["id"].as_i64().unwrap()
    }
}

/// Polls `check` until it gives a value, for up to 20 s: the one way the suite waits for
/// background work (a sweep, a job, a delivery). Fails naming `what` on time-out.
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
