//! The SQLite message writer's own connection: a thread that owns a rusqlite connection to
//! the database file and runs a whole batch commit ([`super::batch::commit`]) in one call.
//!
//! Why a second way to reach SQLite beside sqlx: sqlx's SQLite driver runs each connection on
//! a thread of its own and sends it every statement (`BEGIN`, each query, `COMMIT`) as a
//! separate command, so a batch of the chat's messages cost four round trips between a tokio
//! worker and that thread. At 5,000 messages/s on two cores shared with the load, those hops
//! — not SQLite, which was busy a quarter of the time — kept the writer waiting 97 % of the
//! time and made the chat's latency tail. Here the batch goes to the thread once and its
//! answer comes back once.
//!
//! Only one connection may write at a time, and the other writes of the node go through
//! sqlx's single-connection write pool: a caller holds that pool's connection while its
//! work runs here ([`SqliteWriter::run`] takes it as proof), so the two never overlap and a
//! deferred sqlx transaction never finds its snapshot overtaken by a commit made here.
//! Both connections share the same setup (WAL, synchronous level, foreign keys, no automatic
//! checkpoints, busy timeout), built by `sqlite_setup` in the parent module.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    path::Path,
    sync::{Arc, mpsc},
};

use anyhow::Context;

use super::error::{StoreError, StoreResult};

type Job = Box<dyn FnOnce(&mut rusqlite::Connection) + Send>;

/// Handle to the writer thread; cheap to clone. The thread ends when every handle is gone.
#[derive(Clone)]
pub struct SqliteWriter {
    jobs: mpsc::Sender<Job>,
    database: Arc<Path>,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteWriter").field("database", &self.database).finish_non_exhaustive()
    }
}

impl SqliteWriter {
    /// Opens `database` (which must exist: sqlx's pools create it) with `setup` (PRAGMAs)
    /// and starts the thread.
    pub fn open(database: &Path, setup: &str) -> anyhow::Result<SqliteWriter> {
        use rusqlite::OpenFlags;
        let mut connection = rusqlite::Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_context(|| format!("opening {} for the message writer", database.display()))?;
        connection.execute_batch(setup).context("setting up the message writer's SQLite connection")?;
        let (jobs, receiver) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("edudesk-sqlite-writer".to_owned())
            .spawn(move || {
                for job in receiver {
                    // A bug in one batch must not stop every later message: the batch's
                    // transaction is rolled back as the panic unwinds, its caller gets an
                    // internal error instead of an answer, and the thread goes on.
                    if catch_unwind(AssertUnwindSafe(|| job(&mut connection))).is_err() {
                        tracing::error!("a batch panicked on the SQLite writer thread; it was rolled back");
                    }
                }
            })
            .context("starting the SQLite writer thread")?;
        Ok(SqliteWriter { jobs, database: database.into() })
    }

    /// The database file.
    pub fn database(&self) -> &Path {
        &self.database
    }

    /// Runs `work` on the writer's connection and returns what it returns. `_exclusive` is the
    /// write pool's connection, held by the caller for the duration, so no other write of
    /// this node runs meanwhile.
    pub async fn run<T: Send + 'static>(
        &self,
        _exclusive: &mut sqlx::pool::PoolConnection<sqlx::Any>,
        work: impl FnOnce(&mut rusqlite::Connection) -> T + Send + 'static,
    ) -> StoreResult<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |connection| {
                let _ = reply.send(work(connection));
            }))
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".to_owned()))?;
        // No answer: the work panicked (a bug, logged by the thread, which goes on).
        answer.await.map_err(|_| StoreError::Internal(anyhow::anyhow!("the SQLite writer failed on this work (it panicked)")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A panic inside one job is contained: later jobs still run on the same connection.
    #[tokio::test]
    async fn the_thread_survives_a_panicking_job() {
        let dir = std::env::temp_dir().join(format!("edudesk-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.db");
        let store = super::super::Store::connect(&format!("sqlite://{}", path.display()), 2).await.unwrap();
        let writer = store.sqlite_writer.clone().unwrap();
        let mut exclusive = store.write.acquire().await.unwrap();
        let panicked = writer.run(&mut exclusive, |_| -> i64 { panic!("a bug") }).await;
        assert!(matches!(panicked, Err(StoreError::Internal(_))), "{panicked:?}");
        let answer = writer.run(&mut exclusive, |connection| connection.query_row("SELECT 6 * 7", [], |row| row.get::<_, i64>(0)).unwrap()).await.unwrap();
        assert_eq!(answer, 42);
        drop(exclusive);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
