//! Storage: one code path for SQLite and PostgreSQL.
//!
//! The backend is chosen from the database URL (`sqlite:` or `postgres://`). Queries go
//! through sqlx's `Any` driver with `$n` placeholders, which both backends accept, and
//! use only portable SQL (`RETURNING`, `ON CONFLICT`). Times are stored as UTC
//! milliseconds since the Unix epoch, ids as 64-bit integers.
//!
//! SQLite has one writer at a time, so it gets two pools: a single-connection write pool
//! (every write queues there in order, instead of spinning on `SQLITE_BUSY`) and a read
//! pool; WAL lets the readers run beside the writer. The chat's message batches are the
//! one exception to sqlx: they run on a rusqlite connection of their own
//! ([`sqlite_writer`]), taken while holding the write pool's connection, so writes still
//! go one at a time. PostgreSQL uses one pool for both.

pub mod attachments;
pub mod awards;
pub mod backup;
pub mod batch;
pub mod batch_create;
pub mod boards;
pub mod bot;
pub mod channels;
pub mod contacts;
pub mod conversations;
pub mod error;
pub mod events;
pub mod hiring;
pub mod incidents;
pub mod jobs;
pub mod kb;
pub mod kpi;
pub mod learning;
pub mod media_calls;
pub mod messages;
pub mod outbox;
pub mod privacy;
pub mod qa;
pub mod routing;
pub mod search;
pub mod secrets;
pub mod sessions;
pub mod shifts;
pub mod sops;
pub mod sqlite_writer;
pub mod surveys;
pub mod training;
pub mod users;
pub mod wall;

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    Executor,
    any::{AnyConnectOptions, AnyPoolOptions},
};

pub use sqlx::AnyPool;

/// A caller's rule for a write, checked inside the write's transaction on the locked row
/// (e.g. "still within this agent's access"). The rule speaks the caller's error type: its
/// refusal is handed back as it is, storage failures as `E::from(StoreError)`.
pub struct Guard<F, E> {
    rule: Option<F>,
    refusal: Option<E>,
}

impl<F: FnOnce(&conversations::Conversation) -> Result<(), E>, E: From<error::StoreError>> Guard<F, E> {
    pub fn new(rule: F) -> Self {
        Guard { rule: Some(rule), refusal: None }
    }

    /// Whether the rule lets the write go on (it is asked once; its refusal is kept).
    pub fn allows(&mut self, current: &conversations::Conversation) -> bool {
        match self.rule.take().map(|rule| rule(current)) {
            Some(Err(refusal)) => {
                self.refusal = Some(refusal);
                false
            }
            _ => true,
        }
    }

    /// The write's outcome in the caller's terms.
    pub fn finish<T>(self, outcome: error::StoreResult<T>) -> Result<T, E> {
        match self.refusal {
            Some(refusal) => Err(refusal),
            None => outcome.map_err(E::from),
        }
    }
}

/// Which database server is behind the pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("the database URL must start with sqlite: or postgres:// (got a URL with another scheme)")
        }
    }
}

/// The connection pools of one node.
#[derive(Clone, Debug)]
pub struct Store {
    pub backend: Backend,
    /// Seals channel secrets at rest ([`secrets`]).
    pub secrets: std::sync::Arc<secrets::SecretCipher>,
    /// Staff display names by user id, for messages published live (see `user_display_name`).
    names: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, String>>>,
    /// The SOPs in force, parsed, and when they were read ([`sops`]).
    sops: std::sync::Arc<std::sync::Mutex<Option<sops::CachedSops>>>,
    /// For reads. On PostgreSQL also for writes.
    pub read: AnyPool,
    /// For writes. On SQLite a single connection.
    pub write: AnyPool,
    /// SQLite only: the message writer's own connection ([`sqlite_writer`]), used while
    /// holding `write`'s connection.
    pub sqlite_writer: Option<sqlite_writer::SqliteWriter>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The embedded migrations of `backend`.
fn migrator(backend: Backend) -> &'static sqlx::migrate::Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// The newest schema version this program carries for `backend`.
fn newest_migration(backend: Backend) -> i64 {
    migrator(backend).iter().map(|m| m.version).max().unwrap_or(0)
}

/// Current time as stored: UTC milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Converts a stored time to a UTC date-time for the API.
pub fn to_utc(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl Store {
    /// A staff member's display name, cached (names change rarely; [`Store::forget_user_name`]
    /// drops one when it does). `None` when unknown or unreadable.
    pub async fn user_display_name(&self, user_id: i64) -> Option<String> {
        if let Some(name) = self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&user_id) {
            return Some(name.clone());
        }
        let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1").bind(user_id).fetch_optional(&self.read).await.ok().flatten()?;
        self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(user_id, name.clone());
        Some(name)
    }

    pub fn forget_user_name(&self, user_id: i64) {
        self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&user_id);
    }

    /// Connects to `url`, creating a SQLite file (and its directory) when missing.
    /// Does not migrate; call [`Store::migrate`].
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Store> {
        Store::connect_with(url, max_connections, true).await
    }

    /// [`Store::connect`], choosing whether SQLite fsyncs at every commit (the
    /// `sqlite_sync_every_commit` setting; PostgreSQL ignores it and keeps its own).
    pub async fn connect_with(url: &str, max_connections: u32, sqlite_sync_every_commit: bool) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        match backend {
            Backend::Sqlite => {
                // Every pool's connection opens a database of its own in memory: the readers
                // would never see what the writer wrote.
                let database = backup::sqlite_path(url).context("the SQLite URL must name a database file (an in-memory database is not supported)")?;
                let url = sqlite_url_with_create(url)?;
                let options = AnyConnectOptions::from_str(&url).context("parsing the SQLite URL")?;
                let setup = sqlite_setup(sqlite_sync_every_commit);
                let write = sqlite_pool_options(1, &setup).connect_with(options.clone()).await.context("opening the SQLite database")?;
                let read = sqlite_pool_options(max_connections, &setup).connect_with(options).await.context("opening the SQLite database")?;
                let writer = sqlite_writer::SqliteWriter::open(&database, &setup)?;
                Ok(Store {
                    backend,
                    read,
                    write,
                    sqlite_writer: Some(writer),
                    secrets: std::sync::Arc::new(secrets::SecretCipher::without_key()),
                    names: Default::default(),
                    sops: Default::default(),
                })
            }
            Backend::Postgres => {
                let options = AnyConnectOptions::from_str(url).context("parsing the PostgreSQL URL")?;
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .context("connecting to PostgreSQL")?;
                Ok(Store {
                    backend,
                    read: pool.clone(),
                    write: pool,
                    sqlite_writer: None,
                    secrets: std::sync::Arc::new(secrets::SecretCipher::without_key()),
                    names: Default::default(),
                    sops: Default::default(),
                })
            }
        }
    }

    /// Runs the embedded migrations of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrator(self.backend).run(&self.write).await.context("running database migrations")?;
        Ok(())
    }

    /// The newest migration applied to the database and the newest this program carries.
    pub async fn schema_versions(&self) -> error::StoreResult<(i64, i64)> {
        let expected = newest_migration(self.backend);
        let applied: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = TRUE").fetch_one(&self.write).await?;
        Ok((applied, expected))
    }

    /// Copies committed WAL pages back into the SQLite database file and starts the WAL
    /// over from its beginning. No-op on PostgreSQL.
    ///
    /// Three steps, because under steady writes a checkpoint beside the writer never catches
    /// up with it: the WAL could only restart at a moment with every frame copied back, and
    /// the writer appends new frames all the time, so the file grew without end (1 GB in
    /// 30 s of chat load) and every commit's fsync had to extend it.
    /// 1. A `PASSIVE` checkpoint on a read connection copies the bulk while the writer goes on.
    /// 2. The database file is flushed to disk from a blocking thread, still beside the writer.
    ///    (The copy in step 1 never ends caught up, so SQLite leaves that flush to step 3:
    ///    under chat load it was ~10 ms of the writer's time every second, the chat's p99.)
    /// 3. A `RESTART` on the message writer's connection, holding the write pool (between two
    ///    batches, so no write waits on a lock), copies the few frames written meanwhile,
    ///    flushes them and rewinds the WAL. Its wait for readers is cut short: a long report
    ///    holding an old snapshot makes it give up until the next round instead of holding up
    ///    every write.
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        let Some(writer) = &self.sqlite_writer else { return Ok(()) };
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&self.read).await.context("checkpointing the SQLite WAL")?;
        let database = writer.database().to_owned();
        tokio::task::spawn_blocking(move || std::fs::File::open(&database).and_then(|file| file.sync_data()))
            .await
            .context("flushing the SQLite database file")?
            .context("flushing the SQLite database file")?;
        let mut exclusive = self.write.acquire().await.context("acquiring the SQLite writer to restart the WAL")?;
        let (busy, frames, copied) = writer
            .run(&mut exclusive, |connection| -> rusqlite::Result<(i64, i64, i64)> {
                connection.busy_timeout(Duration::from_millis(20))?;
                let restarted = connection.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)));
                connection.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
                restarted
            })
            .await?
            .context("restarting the SQLite WAL")?;
        if busy != 0 {
            tracing::debug!(frames, copied, "a reader held the WAL; it is rewound at the next round");
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Makes sure the SQLite file can be created: adds `mode=rwc` and creates the directory.
fn sqlite_url_with_create(url: &str) -> anyhow::Result<String> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if !path.is_empty()
        && path != ":memory:"
        && let Some(dir) = std::path::Path::new(path).parent().filter(|dir| !dir.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating the data directory {}", dir.display()))?;
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// How long a connection waits for another's lock before "database is locked" (the
/// checkpoint shortens it on the writer for its `RESTART` and sets it back with this).
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite set up deliberately on every connection:
/// - WAL, so readers never block the writer and a commit is one append;
/// - `synchronous=FULL` (the default): the WAL is fsynced at every commit, so an acknowledged
///   write survives a process crash and a power cut (the writer batches commits to pay this
///   once per batch, not once per message). With `sync_every_commit` off, `NORMAL`: a commit
///   is an append to the OS's cache, which survives a crash of the process but not of the
///   machine; the WAL is fsynced at each checkpoint;
/// - a busy timeout, for the rare write outside the write pool (another process, a CLI);
/// - foreign keys, which SQLite leaves off by default;
/// - no ping before each use: a connection to a file in this process cannot have gone away,
///   and the ping is a round trip to the connection's thread (it was one in seven of the
///   message writer's round trips per batch);
/// - no automatic checkpoints: a commit that crosses the WAL threshold would copy pages
///   back into the database while the writer waits; [`Store::checkpoint`] does it from a
///   background task, mostly on a read connection beside the writer.
///
/// The message writer's own connection ([`sqlite_writer`]) gets the same PRAGMAs.
fn sqlite_pool_options(max_connections: u32, setup: &str) -> AnyPoolOptions {
    let setup: std::sync::Arc<str> = setup.into();
    AnyPoolOptions::new().max_connections(max_connections).min_connections(1).acquire_timeout(Duration::from_secs(10)).test_before_acquire(false).after_connect(
        move |connection, _meta| {
            let setup = std::sync::Arc::clone(&setup);
            Box::pin(async move {
                connection.execute(&*setup).await?;
                Ok(())
            })
        },
    )
}

/// The PRAGMAs every SQLite connection starts with (see [`sqlite_pool_options`]).
fn sqlite_setup(sync_every_commit: bool) -> String {
    let synchronous = if sync_every_commit { "FULL" } else { "NORMAL" };
    format!(
        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
         PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;",
        SQLITE_BUSY_TIMEOUT.as_millis()
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every SQLite connection fsyncs at each commit (`FULL`, 2) unless the setting says
    /// otherwise (`NORMAL`, 1); both pools, since a write may run on either, and the message
    /// writer's own connection, which also enforces foreign keys.
    #[tokio::test]
    async fn sqlite_fsyncs_every_commit_unless_configured_not_to() {
        for (sync_every_commit, expected) in [(true, 2), (false, 1)] {
            let dir = std::env::temp_dir().join(format!("edudesk-sync-{}-{sync_every_commit}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let url = format!("sqlite://{}", dir.join("sync.db").display());
            let store = Store::connect_with(&url, 2, sync_every_commit).await.unwrap();
            for pool in [&store.write, &store.read] {
                let level: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(pool).await.unwrap();
                assert_eq!(level, expected, "sync_every_commit = {sync_every_commit}");
            }
            let mut exclusive = store.write.acquire().await.unwrap();
            let writer = store.sqlite_writer.as_ref().unwrap();
            let (level, foreign_keys) = writer
                .run(&mut exclusive, |connection| {
                    let pragma = |name: &str| connection.pragma_query_value(None, name, |row| row.get::<_, i64>(0)).unwrap();
                    (pragma("synchronous"), pragma("foreign_keys"))
                })
                .await
                .unwrap();
            assert_eq!((level, foreign_keys), (expected, 1), "the message writer's connection, sync_every_commit = {sync_every_commit}");
            drop(exclusive);
            store.close().await;
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    /// Under steady writes with readers always active, the checkpoint keeps the WAL small:
    /// a checkpoint beside the writer alone never caught up, and the file grew with every
    /// commit (1 GB in 30 s of chat load).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_stays_small_under_steady_writes_and_reads() {
        let dir = std::env::temp_dir().join(format!("edudesk-wal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("wal.db");
        let store = Store::connect(&format!("sqlite://{}", path.display()), 4).await.unwrap();
        sqlx::query("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").execute(&store.write).await.unwrap();
        let until = std::time::Instant::now() + Duration::from_millis(2000);
        let writer = {
            let pool = store.write.clone();
            tokio::spawn(async move {
                let mut written = 0u64;
                while std::time::Instant::now() < until {
                    sqlx::query("INSERT INTO filler (body) VALUES ($1)").bind("x".repeat(4000)).execute(&pool).await.unwrap();
                    written += 4000;
                }
                written
            })
        };
        let reader = {
            let pool = store.read.clone();
            tokio::spawn(async move {
                while std::time::Instant::now() < until {
                    // Short reads, one after another, as the chat's are. (A `COUNT(*)` over the
                    // growing table held its snapshot longer and longer, and the restart gives
                    // up on a reader after 20 ms by design: on a fast disk the test failed.)
                    let _: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM filler").fetch_one(&pool).await.unwrap();
                }
            })
        };
        while std::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
            store.checkpoint().await.unwrap();
        }
        let written = writer.await.unwrap();
        reader.await.unwrap();
        let wal = std::fs::metadata(dir.join("wal.db-wal")).map(|m| m.len()).unwrap_or(0);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        assert!(written > 4_000_000, "the writer wrote too little to tell ({written} bytes)");
        // Every row costs about two WAL frames: without the restarts the file ends at about
        // twice what was written, with them at the most written between two checkpoints.
        assert!(wal < written / 2, "the WAL holds {wal} bytes after {written} bytes were written");
    }

    /// Each connection to `sqlite::memory:` would open a database of its own: refused, with why.
    #[tokio::test]
    async fn an_in_memory_sqlite_database_is_refused_with_a_reason() {
        let error = Store::connect("sqlite::memory:", 2).await.unwrap_err();
        assert!(format!("{error:#}").contains("in-memory database is not supported"), "{error:#}");
    }

    #[test]
    fn backend_comes_from_the_url() {
        assert_eq!(Backend::from_url("sqlite://data/x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::from_url("postgres://postgres@127.0.0.1/db").ok(), Some(Backend::Postgres));
        assert!(Backend::from_url("mysql://x").is_err());
    }

    #[test]
    fn sqlite_urls_gain_create_mode() {
        let dir = std::env::temp_dir().join(format!("edudesk-url-{}", std::process::id()));
        let url = format!("sqlite://{}/e.db", dir.display());
        assert_eq!(sqlite_url_with_create(&url).ok(), Some(format!("{url}?mode=rwc")));
        assert!(dir.is_dir());
        let _ = std::fs::remove_dir_all(dir);
    }
}
