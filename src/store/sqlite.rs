//! The SQLite backend: a file (created on first start, relative paths from the working
//! directory), WAL journal, the SQLite migrations.

use sqlx::migrate::Migrator;

use super::sql::{self, SqlStore};
use super::{StoreError, StoreOptions};

static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/sqlite");

pub(super) async fn open(options: &StoreOptions) -> Result<SqlStore, StoreError> {
    let url = with_create_mode(&options.url);
    let pool = sql::connect(options, &url, &format!("opening {}", options.url)).await?;
    // WAL is a property of the file: set once, kept by every later connection.
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
        .fetch_one(&pool)
        .await?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(journal_mode = %mode, "SQLite did not switch to WAL");
    }
    MIGRATOR.run(&pool).await?;
    Ok(SqlStore::new(pool, "sqlite"))
}

/// `mode=rwc` (create the file when missing) unless the URL chooses a mode itself.
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

#[cfg(test)]
mod tests {
    use super::with_create_mode;

    #[test]
    fn create_mode_is_added_once() {
        assert_eq!(with_create_mode("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            with_create_mode("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            with_create_mode("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }
}
