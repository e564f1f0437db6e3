//! The store's one error type; the domain layer maps it (see `idm::IdmError`). Constraint
//! violations become typed errors here, inside the store: a client never sees the
//! database's own message (it is logged at debug level).

use crate::idm::types::Resource;

/// Which uniqueness rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicate {
    /// A username taken in the realm (case-insensitively).
    Username,
    /// A WebAuthn credential id already bound.
    CredentialId,
    /// Any other unique key (an id collision).
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(Resource),
    /// Some of the named things do not exist (nothing was written).
    #[error("{resource}: {} not found", ids.join(", "))]
    NotFoundMany {
        resource: Resource,
        ids: Vec<String>,
    },
    /// The named thing exists but can no longer be used (a completed, revoked or expired
    /// binding job).
    #[error("{0} is no longer valid")]
    Gone(&'static str),
    /// A uniqueness rule was broken.
    #[error("duplicate: {0:?}")]
    Duplicate(Duplicate),
    /// A reference to a row that does not exist (a foreign key).
    #[error("reference to a missing {0}")]
    Reference(&'static str),
    /// The row's version is no longer the one the write expected.
    #[error("the row changed (now version {current})")]
    Stale { current: i64 },
    /// The database cannot be reached or answered too slowly.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The database was migrated by a newer passgate.
    #[error(
        "the database was migrated by a newer passgate (applied migration {version} is unknown to \
         this version); upgrade passgate or point store.url at another database"
    )]
    TooNew { version: i64 },
    #[error("migrating the database failed: {0}")]
    Migration(String),
    #[error("store.url: {0}")]
    InvalidUrl(String),
    /// A row could not be decoded or a query failed for another reason.
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    /// Maps a unique violation to `dup` (other errors as [`From`] does).
    pub(crate) fn duplicate(dup: Duplicate) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(dup),
            other => other,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::Database("a row was expected".into()),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                tracing::debug!(error = %db.message(), "unique constraint violated");
                StoreError::Duplicate(Duplicate::Other)
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                tracing::debug!(error = %db.message(), "foreign key violated");
                StoreError::Reference("row")
            }
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            other => StoreError::Database(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError as M;
        match e {
            M::VersionMissing(version) => StoreError::TooNew { version },
            M::Execute(inner) => match StoreError::from(inner) {
                StoreError::Unavailable(m) => StoreError::Unavailable(m),
                other => StoreError::Migration(other.to_string()),
            },
            other => StoreError::Migration(other.to_string()),
        }
    }
}
