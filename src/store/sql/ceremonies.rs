//! [`CeremonyStore`]: WebAuthn ceremony state, stored under a random id and taken (deleted
//! and returned) once.

use async_trait::async_trait;

use super::rows::{ceremony, CEREMONY_COLUMNS};
use super::SqlStore;
use crate::idm::types::Resource;
use crate::store::{CeremonyRecord, CeremonyStore, StoreError};

/// Ceremonies nobody finished are swept this long after their expiry, as new ones begin.
const SWEEP_AFTER_US: i64 = 3600 * 1_000_000;

#[async_trait]
impl CeremonyStore for SqlStore {
    async fn put_ceremony(&self, c: &CeremonyRecord) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM ceremonies WHERE expire_us <= $1")
            .bind(c.expire_us - SWEEP_AFTER_US)
            .execute(&self.pool)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO ceremonies ({CEREMONY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&c.id)
        .bind(c.kind.as_str())
        .bind(&c.tenant_id)
        .bind(&c.realm_id)
        .bind(&c.subject)
        .bind(&c.state)
        .bind(c.expire_us)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// `DELETE … RETURNING` is one statement: of two concurrent takes, one gets the row (a
    /// take re-checks expiry itself).
    async fn take_ceremony(&self, id: &str, now_us: i64) -> Result<CeremonyRecord, StoreError> {
        let gone = || StoreError::NotFound(Resource::Ceremony);
        let row = sqlx::query(&format!(
            "DELETE FROM ceremonies WHERE id = $1 RETURNING {CEREMONY_COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(gone)?;
        let c = ceremony(&row)?;
        if c.expire_us <= now_us {
            return Err(gone());
        }
        Ok(c)
    }
}
