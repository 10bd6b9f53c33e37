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
            _ => StoreError::Internal(error.into()),
        }
    }
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
