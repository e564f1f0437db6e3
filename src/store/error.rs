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
            sqlx::Error::Database(db) => match db.code().as_deref().and_then(unavailable_code) {
                Some(why) => StoreError::Unavailable(format!("{why}: {}", db.message())),
                None => StoreError::Database(db.to_string()),
            },
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

/// Whether a database error code says the database cannot serve now (rather than that the
/// request was wrong): the one list, for both backends. PostgreSQL SQLSTATEs: class 08
/// (connection exception), 57P01/57P02/57P03 (administrator, crash or start-up shutdown),
/// 57014 (cancelled: `statement_timeout`, set from `store.timeout`), 53xxx (out of
/// resources: disk full, out of memory, too many connections), 58030 (I/O error), 25006
/// (read-only transaction: a standby). SQLite result codes (primary, extended codes carry
/// them in the low byte): 5/6 busy/locked past `busy_timeout`, 8 read-only, 10 I/O error,
/// 13 disk full, 14 cannot open. Answers a short reason, `None` for other codes.
pub(crate) fn unavailable_code(code: &str) -> Option<&'static str> {
    // A SQLSTATE is always five characters; SQLite's (extended) codes are below 10000.
    if code.len() < 5 {
        let Ok(n) = code.parse::<i64>() else {
            return None;
        };
        return match n & 0xff {
            5 | 6 => Some("the database is busy"),
            8 => Some("the database is read-only"),
            10 => Some("disk I/O error"),
            13 => Some("the database or disk is full"),
            14 => Some("the database file cannot be opened"),
            _ => None,
        };
    }
    match code {
        "57P01" | "57P02" => Some("the database server is shutting down"),
        "57P03" => Some("the database server is starting up or shutting down"),
        "57014" => Some("the query did not finish within store.timeout"),
        "58030" => Some("disk I/O error"),
        "25006" => Some("the database is read-only"),
        c if c.starts_with("08") => Some("connection to the database failed"),
        c if c.starts_with("53") => Some("the database server is out of resources"),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::unavailable_code;

    #[test]
    fn connection_level_codes_are_unavailable_and_others_are_not() {
        for code in [
            "57P01", "57P02", "57P03", "08006", "08001", "08P01", "53300", "53100", "57014",
            "25006", "5", "517", "8", "1032", "13", "10", "14",
        ] {
            assert!(unavailable_code(code).is_some(), "{code}");
        }
        // Constraint violations, syntax errors, serialization failures, SQLite's
        // constraint (19) and generic error (1): the request's fault or a bug, not an outage.
        for code in [
            "23505", "23503", "42601", "40001", "22001", "19", "2067", "1",
        ] {
            assert!(unavailable_code(code).is_none(), "{code}");
        }
    }
}
