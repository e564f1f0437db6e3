//! [`LimitStore`]: rate-limit windows, one row per (key, window start), counted with one
//! upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, the same on SQLite and PostgreSQL),
//! written as short-lived state (no flush to disk of its own on SQLite).

use async_trait::async_trait;
use sqlx::Row;

use super::SqlStore;
use crate::store::{LimitStore, StoreError};

#[async_trait]
impl LimitStore for SqlStore {
    async fn add_to_window(
        &self,
        key: &str,
        window_start: i64,
        expire_at: i64,
        add: i64,
    ) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query(
            "INSERT INTO rate_limits (limit_key, window_start, hits, expire_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (limit_key, window_start) \
             DO UPDATE SET hits = rate_limits.hits + excluded.hits \
             RETURNING hits",
        )
        .bind(key)
        .bind(window_start)
        .bind(add)
        .bind(expire_at)
        .fetch_one(&self.short_lived)
        .await?
        .try_get(0)?;
        Ok(n)
    }

    async fn window_count(&self, key: &str, window_start: i64) -> Result<i64, StoreError> {
        let row =
            sqlx::query("SELECT hits FROM rate_limits WHERE limit_key = $1 AND window_start = $2")
                .bind(key)
                .bind(window_start)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => r.try_get(0)?,
            None => 0,
        })
    }

    async fn sweep_windows(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM rate_limits WHERE expire_at < $1")
            .bind(now)
            .execute(&self.short_lived)
            .await?;
        Ok(done.rows_affected())
    }
}
