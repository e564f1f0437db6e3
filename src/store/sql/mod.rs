//! The SQL both backends run (the same statements on SQLite and PostgreSQL through sqlx's
//! `Any` driver, `$n` placeholders): [`SqlStore`], and one file per aggregate implementing
//! its store trait (`realms.rs` → `RealmStore`, `identities.rs` → `IdentityStore`, …).

mod audit;
mod binding;
mod ceremonies;
mod credentials;
mod enrollment;
mod groups;
mod identities;
mod keys;
mod limits;
mod oidc;
mod query;
mod realms;
mod rows;
mod search;
mod sessions;
mod tokens;

use std::sync::atomic::AtomicI64;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection};

use crate::store::{StoreError, StoreInfo, StoreOptions};

/// How a SQLite connection commits: with a flush to disk (SQLite's default, every store
/// write) or without (the writes of short-lived state, [`SqlStore::short_lived`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Commits {
    Durable,
    Unflushed,
}

/// The connection pool for `url` (sized and timed by `options`); `what` names the database
/// in the error when it cannot be reached.
pub(super) async fn connect(
    options: &StoreOptions,
    url: &str,
    what: &str,
    commits: Commits,
) -> Result<AnyPool, StoreError> {
    let connect: AnyConnectOptions = url
        .parse()
        .map_err(|e: sqlx::Error| StoreError::InvalidUrl(e.to_string()))?;
    let statement_timeout = format!(
        "SET statement_timeout = {}",
        options.timeout.as_millis().max(1)
    );
    // A connection is pinged when it goes back to the pool (sqlx always does, and a pending
    // rollback is applied then); PostgreSQL's are pinged again when taken out, since the
    // server may have closed an idle one meanwhile. An idle SQLite connection cannot be
    // lost that way, and the second ping would cost every statement a round trip to its
    // worker thread.
    let sqlite = url.starts_with("sqlite:");
    AnyPoolOptions::new()
        .test_before_acquire(!sqlite)
        .max_connections(options.max_connections)
        .acquire_timeout(options.connect_timeout)
        .after_connect(move |conn, _| {
            let set = statement_timeout.clone();
            Box::pin(async move {
                // `store.timeout`: PostgreSQL cancels a statement running longer (57014,
                // answered as unavailable). SQLite waits for locks up to sqlx's 5 s.
                if conn.backend_name() == "PostgreSQL" {
                    sqlx::query(&set).execute(&mut *conn).await?;
                } else if commits == Commits::Unflushed {
                    // WAL mode: a commit appends to the log without syncing it; the next
                    // durable commit (any connection) syncs the log, these frames with it.
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .before_acquire(|conn, _| {
            Box::pin(async move {
                // A COMMIT that failed on a full disk or an I/O error leaves sqlx counting a
                // transaction SQLite has already rolled back; such a connection would refuse
                // every later `BEGIN` ("non-zero transaction depth"). The pool's ping (on
                // release, and on PostgreSQL again before this) has applied any pending
                // rollback, so a depth left now is that case: close the connection instead of
                // handing it out.
                Ok(!conn.is_in_transaction())
            })
        })
        .connect_with(connect)
        .await
        .map_err(|e| StoreError::Unavailable(format!("{what}: {e}")))
}

/// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), so a transaction waits for another writer instead of failing: a deferred
/// one that has begun reading when another writer commits cannot write any more ("database
/// is locked", WAL snapshot rules). PostgreSQL's plain `BEGIN` waits on row locks by itself.
pub(super) async fn begin(
    pool: &AnyPool,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if pool.connect_options().database_url.scheme() == "sqlite" {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
    }
}

/// The store over its connection pool; its trait implementations live in the family files.
pub(super) struct SqlStore {
    pool: AnyPool,
    /// Where short-lived state is written: WebAuthn ceremony state (five minutes) and
    /// rate-limit windows. On SQLite a small pool whose commits are not flushed to disk
    /// (a power loss may lose the last of them: a sign-in started then is started again,
    /// a window's last hits are not counted); on PostgreSQL the same pool as the rest.
    short_lived: AnyPool,
    backend: &'static str,
    /// When this instance last swept unfinished ceremonies (their `expire_us` clock).
    ceremonies_swept_us: AtomicI64,
}

impl SqlStore {
    pub(super) fn new(pool: AnyPool, backend: &'static str) -> Self {
        SqlStore {
            short_lived: pool.clone(),
            pool,
            backend,
            ceremonies_swept_us: AtomicI64::new(i64::MIN),
        }
    }

    /// Writes short-lived state through `pool` (see [`SqlStore::short_lived`]).
    pub(super) fn with_short_lived(mut self, pool: AnyPool) -> Self {
        self.short_lived = pool;
        self
    }

    /// The pool for everything, and the one for short-lived state.
    #[cfg(test)]
    pub(super) fn pools(&self) -> (&AnyPool, &AnyPool) {
        (&self.pool, &self.short_lived)
    }
}

#[async_trait]
impl StoreInfo for SqlStore {
    fn backend(&self) -> &'static str {
        self.backend
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT COUNT(*) FROM realms WHERE 1 = 0")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }
}
