//! The PostgreSQL backend (for more than one instance): the URL as given (a `search_path`
//! can be chosen with `?options=-c%20search_path%3Dname`), the PostgreSQL migrations.

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;

use super::sql::SqlStore;
use super::{StoreError, StoreOptions};

static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/postgres");

pub(super) async fn open(options: &StoreOptions) -> Result<SqlStore, StoreError> {
    let connect: AnyConnectOptions = options
        .url
        .parse()
        .map_err(|e: sqlx::Error| StoreError::InvalidUrl(e.to_string()))?;
    let pool = AnyPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.connect_timeout)
        .connect_with(connect)
        .await
        .map_err(|e| StoreError::Unavailable(format!("connecting to PostgreSQL: {e}")))?;
    MIGRATOR.run(&pool).await?;
    Ok(SqlStore::new(pool, "postgres"))
}
