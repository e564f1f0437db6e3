//! Persistence: one trait per aggregate ([`traits`]) summed up as [`Store`], and its two
//! `sqlx` backends, SQLite (`sqlite.rs`, the embedded default) and PostgreSQL
//! (`postgres.rs`). Both run the same SQL (`sql/<family>.rs`) on their own migrations
//! (`migrations/<backend>/`), applied by [`open`]. Writes that belong together, including
//! their audit record, are one transaction. Rows are typed (`records`); the domain's enums
//! are spelt out only here, when a row is written or read.

pub mod error;
mod metered;
pub mod oidc_records;
mod postgres;
pub mod records;
pub mod search;
pub mod session_records;
mod sql;
mod sqlite;
pub mod traits;

use std::sync::Arc;
use std::time::Duration;

pub use error::{Duplicate, StoreError};
pub use oidc_records::*;
pub use records::*;
pub use session_records::*;
pub use traits::*;

/// How to reach the database (from `[store]` in the config).
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
    pub connect_timeout: Duration,
    /// Longest a statement may run (PostgreSQL `statement_timeout`).
    pub timeout: Duration,
}

impl From<&crate::config::StoreSettings> for StoreOptions {
    fn from(s: &crate::config::StoreSettings) -> Self {
        StoreOptions {
            url: s.url.clone(),
            max_connections: s.max_connections,
            connect_timeout: s.connect_timeout,
            timeout: s.timeout,
        }
    }
}

/// Opens (creating a SQLite file if needed) and migrates the store named by `options.url`,
/// wrapped so every operation is bounded in time and measured (`metered.rs`).
pub async fn open(options: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    sqlx::any::install_default_drivers();
    let store: Arc<dyn Store> = if options.url.starts_with("sqlite:") {
        Arc::new(sqlite::open(options).await?)
    } else if options.url.starts_with("postgres://") || options.url.starts_with("postgresql://") {
        Arc::new(postgres::open(options).await?)
    } else {
        return Err(StoreError::InvalidUrl(
            "use sqlite://PATH or postgres://USER@HOST/DB".into(),
        ));
    };
    // Every call bounded in time and measured (`metered.rs`).
    let limit = options.connect_timeout.saturating_add(options.timeout);
    Ok(Arc::new(metered::Metered::new(store, limit)))
}
