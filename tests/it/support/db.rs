//! Test databases: a SQLite file in a temp dir (always) and, when
//! `PASSGATE_TEST_POSTGRES_URL` is set, a fresh PostgreSQL schema per test (dropped at the
//! end), so runs never collide. `sql` runs raw statements to look behind the API.

use std::time::Duration;

use sqlx::{Connection, Row};

pub const PG_ENV: &str = "PASSGATE_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub backend: Backend,
    /// The `store.url` to give passgate.
    pub url: String,
    pub dir: tempfile::TempDir,
    /// PostgreSQL: the server URL and the schema to drop.
    pg: Option<(String, String)>,
}

fn random_suffix() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}_{:x}_{n}", nanos, std::process::id())
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("passgate.db").display());
        TestDb {
            backend: Backend::Sqlite,
            url,
            dir,
            pg: None,
        }
    }

    /// `None` (and a note on stderr) when PostgreSQL is not configured for tests.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(base) = std::env::var(PG_ENV) else {
            eprintln!("PostgreSQL test skipped: {PG_ENV} is not set");
            return None;
        };
        let schema = format!("passgate_test_{}", random_suffix());
        let mut conn = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL is unreachable: {e}"));
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(TestDb {
            backend: Backend::Postgres,
            url,
            dir: tempfile::tempdir().unwrap(),
            pg: Some((base, schema)),
        })
    }

    /// A PostgreSQL database the test owns whole (a private server: nothing to drop).
    pub fn external(url: &str) -> TestDb {
        TestDb {
            backend: Backend::Postgres,
            url: url.to_string(),
            dir: tempfile::tempdir().unwrap(),
            pg: None,
        }
    }

    pub async fn of(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite()),
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    /// Every backend available to this run.
    pub async fn all() -> Vec<TestDb> {
        let mut out = vec![TestDb::sqlite()];
        out.extend(TestDb::postgres().await);
        out
    }

    /// Runs a raw query (bypassing passgate) and returns the first row's first column.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.url).await.unwrap();
        let row = sqlx::query(sql).fetch_one(&mut conn).await.unwrap();
        row.try_get::<i64, _>(0).unwrap()
    }

    /// Runs a raw statement (bypassing passgate).
    pub async fn exec(&self, sql: &str) {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.pg.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    let _ = tokio::time::timeout(
                        Duration::from_secs(10),
                        sqlx::query(&drop).execute(&mut conn),
                    )
                    .await;
                }
            });
        })
        .join();
    }
}
