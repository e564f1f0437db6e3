//! The store's one error type; the domain layer maps it (see `idm::IdmError`).

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing (`identity`, `realm`, …) does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The named thing exists but can no longer be used (a completed, revoked or expired
    /// binding job).
    #[error("{0} is no longer valid")]
    Gone(&'static str),
    /// A uniqueness rule was broken (e.g. a username taken in the realm).
    #[error("{0}")]
    Conflict(String),
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

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound("row"),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_string())
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
