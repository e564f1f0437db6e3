//! The PostgreSQL backend (for more than one instance): the URL as given (a `search_path`
//! can be chosen with `?options=-c%20search_path%3Dname`), the PostgreSQL migrations.

use sqlx::migrate::Migrator;

use super::sql::{self, SqlStore};
use super::{StoreError, StoreOptions};

static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/postgres");

pub(super) async fn open(options: &StoreOptions) -> Result<SqlStore, StoreError> {
    let pool = sql::connect(
        options,
        &options.url,
        "connecting to PostgreSQL",
        sql::Commits::Durable,
    )
    .await?;
    MIGRATOR.run(&pool).await?;
    Ok(SqlStore::new(pool, "postgres"))
}
