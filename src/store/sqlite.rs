//! The SQLite backend: a file (created on first start, relative paths from the working
//! directory), WAL journal, the SQLite migrations; durable commits for everything but
//! short-lived state (see `SqlStore::short_lived`).

use sqlx::migrate::Migrator;

use super::sql::{self, Commits, SqlStore};
use super::{StoreError, StoreOptions};

/// Connections of the pool that writes short-lived state (SQLite has one writer at a time).
const SHORT_LIVED_CONNECTIONS: u32 = 2;

static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/sqlite");

pub(super) async fn open(options: &StoreOptions) -> Result<SqlStore, StoreError> {
    let url = with_create_mode(&options.url);
    let what = format!("opening {}", options.url);
    let pool = sql::connect(options, &url, &what, Commits::Durable).await?;
    // WAL is a property of the file: set once, kept by every later connection.
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
        .fetch_one(&pool)
        .await?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(journal_mode = %mode, "SQLite did not switch to WAL");
    }
    MIGRATOR.run(&pool).await?;
    // Short-lived state (ceremonies, rate-limit windows) is written without a flush to
    // disk of its own: a sign-in then syncs the log once, at its finish.
    let short = StoreOptions {
        max_connections: options.max_connections.min(SHORT_LIVED_CONNECTIONS),
        ..options.clone()
    };
    let short_lived = sql::connect(&short, &url, &what, Commits::Unflushed).await?;
    Ok(SqlStore::new(pool, "sqlite").with_short_lived(short_lived))
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
    use std::time::Duration;

    use super::{open, with_create_mode};
    use crate::idm::types::CeremonyKind;
    use crate::store::{CeremonyRecord, CeremonyStore, StoreOptions};

    /// `PRAGMA synchronous` of a connection of `pool` (2 = FULL, 1 = NORMAL).
    async fn synchronous(pool: &sqlx::AnyPool) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn only_short_lived_state_commits_without_a_flush() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            url: format!("sqlite://{}", dir.path().join("s.db").display()),
            max_connections: 4,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(5),
        };
        let store = open(&options).await.unwrap();
        let (durable, short_lived) = store.pools();
        // Every connection of each pool, not just the first one handed out.
        let mut held = Vec::new();
        for _ in 0..4 {
            let mut c = durable.acquire().await.unwrap();
            let n: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *c)
                .await
                .unwrap();
            assert_eq!(n, 2, "a durable connection that does not flush");
            held.push(c);
        }
        drop(held);
        assert_eq!(synchronous(durable).await, 2);
        assert_eq!(synchronous(short_lived).await, 1);
        assert_eq!(short_lived.options().get_max_connections(), 2);

        // What one pool writes, the other reads at once.
        let c = CeremonyRecord {
            id: "k".into(),
            kind: CeremonyKind::SignIn,
            tenant_id: "default".into(),
            realm_id: "default".into(),
            subject: String::new(),
            state: "{}".into(),
            expire_us: 2_000,
        };
        store.put_ceremony(&c).await.unwrap();
        let on_durable: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ceremonies")
            .fetch_one(durable)
            .await
            .unwrap();
        assert_eq!(on_durable, 1);
        assert_eq!(store.peek_ceremony("k", 1_000).await.unwrap(), c);
    }

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
