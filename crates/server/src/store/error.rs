//! The storage layer's own error: what went wrong, in terms of data — a row that is not
//! there, a clash with what exists, a write refused by a rule checked inside the
//! transaction, the database busy or down. Database errors are classified once, here, at
//! the storage edge ("row not found" is `NotFound`, a unique-constraint clash `Conflict`);
//! the layers above turn a `StoreError` into their own error (`AppError`, a 404 or 409...).

use edudesk_core::{StatusChangeError, input::InputError};

/// Every way a storage call can fail.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The write clashes with what is stored (a duplicate, an illegal state change).
    #[error("{0}")]
    Conflict(String),
    /// A rule checked inside the write refused it (access to a conversation).
    #[error("{0}")]
    Forbidden(String),
    /// The data itself is unacceptable (a reference to nothing, an empty team).
    #[error("{0}")]
    Unprocessable(String),
    /// The database is busy or unreachable; trying again later may work.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a broken database; the cause is for the log.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What storage calls return.
pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub fn not_found(what: &str) -> Self {
        StoreError::NotFound(format!("{what} not found"))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound("not found".to_owned()),
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict("that already exists".to_owned()),
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::Unprocessable("a referenced record does not exist".to_owned()),
            sqlx::Error::PoolTimedOut => StoreError::Unavailable("the database is busy; try again".to_owned()),
            // The server went away (restart, failover, network): nothing was written, and
            // the same request will work once it is back — a 503, not a 500.
            sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                StoreError::Unavailable("the database is unreachable; try again".to_owned())
            }
            sqlx::Error::Database(db) if db.code().is_some_and(|code| connection_lost(&code)) || closed_for_maintenance(db.as_ref()) => {
                StoreError::Unavailable("the database is restarting; try again".to_owned())
            }
            sqlx::Error::Database(db) if db.code().is_some_and(|code| sqlite_busy(&code)) => {
                StoreError::Unavailable("the database is busy; try again".to_owned())
            }
            _ => StoreError::Internal(error.into()),
        }
    }
}

/// The same classification for the SQLite message writer's own connection (rusqlite).
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match &error {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound("not found".to_owned()),
            rusqlite::Error::SqliteFailure(failure, _) => match failure.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => StoreError::Conflict("that already exists".to_owned()),
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StoreError::Unprocessable("a referenced record does not exist".to_owned()),
                code if sqlite_busy_code(code) => StoreError::Unavailable("the database is busy; try again".to_owned()),
                _ => StoreError::Internal(error.into()),
            },
            _ => StoreError::Internal(error.into()),
        }
    }
}

/// SQLSTATEs that mean the connection or the server is going away, not that the statement
/// is wrong: class 08 (connection exception) and 57P01–57P03 (admin shutdown, crash
/// shutdown, cannot connect now).
fn connection_lost(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
}

/// SQLite's "database is locked" (SQLITE_BUSY, SQLITE_LOCKED and their extended codes):
/// another connection held the lock past `busy_timeout` (a backup, a long checkpoint).
/// Nothing was written and the same request will work a moment later. SQLite's codes are
/// numbers of at most four digits; PostgreSQL's SQLSTATEs always have five characters.
fn sqlite_busy(code: &str) -> bool {
    code.len() <= 4 && code.parse::<i32>().is_ok_and(sqlite_busy_code)
}

/// SQLITE_BUSY or SQLITE_LOCKED, with any extended code (the low byte is the primary one).
fn sqlite_busy_code(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6)
}

/// An administrator closed the database to connections (`ALLOW_CONNECTIONS false`, used for
/// maintenance): SQLSTATE 55000, which otherwise names programming errors, so the message
/// decides.
fn closed_for_maintenance(db: &dyn sqlx::error::DatabaseError) -> bool {
    db.code().as_deref() == Some("55000") && db.message().contains("not currently accepting connections")
}

impl From<InputError> for StoreError {
    fn from(error: InputError) -> Self {
        StoreError::Unprocessable(error.to_string())
    }
}

impl From<StatusChangeError> for StoreError {
    fn from(error: StatusChangeError) -> Self {
        StoreError::Conflict(error.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_database_is_unavailable_not_a_bug() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(StoreError::from(refused), StoreError::Unavailable(_)));
        assert!(matches!(StoreError::from(sqlx::Error::PoolClosed), StoreError::Unavailable(_)));
        assert!(matches!(StoreError::from(sqlx::Error::RowNotFound), StoreError::NotFound(_)));
        assert!(matches!(StoreError::from(sqlx::Error::Protocol("garbled".to_owned())), StoreError::Internal(_)));
        assert!(connection_lost("08006") && connection_lost("57P01") && connection_lost("57P03"));
        assert!(!connection_lost("23505") && !connection_lost("57014"));
        assert!(sqlite_busy("5") && sqlite_busy("517") && sqlite_busy("6") && sqlite_busy("262"));
        assert!(!sqlite_busy("19") && !sqlite_busy("2067") && !sqlite_busy("23505") && !sqlite_busy("40001"));
    }

    #[test]
    fn rusqlite_errors_are_classified_like_sqlx_ones() {
        use rusqlite::ffi;
        let failure = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
        assert!(matches!(StoreError::from(failure(ffi::SQLITE_CONSTRAINT_UNIQUE)), StoreError::Conflict(_)));
        assert!(matches!(StoreError::from(failure(ffi::SQLITE_CONSTRAINT_PRIMARYKEY)), StoreError::Conflict(_)));
        assert!(matches!(StoreError::from(failure(ffi::SQLITE_CONSTRAINT_FOREIGNKEY)), StoreError::Unprocessable(_)));
        assert!(matches!(StoreError::from(failure(ffi::SQLITE_BUSY)), StoreError::Unavailable(_)));
        assert!(matches!(StoreError::from(failure(ffi::SQLITE_BUSY_SNAPSHOT)), StoreError::Unavailable(_)));
        assert!(matches!(StoreError::from(failure(ffi::SQLITE_LOCKED)), StoreError::Unavailable(_)));
        assert!(matches!(StoreError::from(failure(ffi::SQLITE_CONSTRAINT_CHECK)), StoreError::Internal(_)));
        assert!(matches!(StoreError::from(rusqlite::Error::QueryReturnedNoRows), StoreError::NotFound(_)));
    }

    #[tokio::test]
    async fn a_locked_sqlite_database_is_busy_not_a_bug() {
        use sqlx::Connection;
        let dir = std::env::temp_dir().join(format!("edudesk-busy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("busy.db").display());
        let mut holder = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)").execute(&mut holder).await.unwrap();
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut holder).await.unwrap();
        let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("PRAGMA busy_timeout = 0").execute(&mut other).await.unwrap();
        let locked = sqlx::query("INSERT INTO t VALUES (1)").execute(&mut other).await.unwrap_err();
        assert!(matches!(StoreError::from(locked), StoreError::Unavailable(_)));
        sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
