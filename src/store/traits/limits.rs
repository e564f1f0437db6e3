//! Rate-limit counters shared by every instance: fixed windows keyed by limit and client.

use async_trait::async_trait;

use crate::store::StoreError;

#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Adds `add` to the count of `key` in the window that starts at `window_start`
    /// (seconds since the epoch) and returns the count after it. The row may be swept once
    /// `expire_at` has passed. One statement: concurrent callers on any instance each see
    /// their own increment.
    async fn add_to_window(
        &self,
        key: &str,
        window_start: i64,
        expire_at: i64,
        add: i64,
    ) -> Result<i64, StoreError>;
    /// The count of `key` in the window starting at `window_start` (0 without a row).
    async fn window_count(&self, key: &str, window_start: i64) -> Result<i64, StoreError>;
    /// Deletes the windows whose `expire_at` is before `now` (seconds); how many.
    async fn sweep_windows(&self, now: i64) -> Result<u64, StoreError>;
}
