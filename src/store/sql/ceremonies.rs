//! [`CeremonyStore`]: WebAuthn ceremony state, stored under a random id and taken (deleted
//! and returned) once, or used up by the transaction that writes a verified sign-in.

use std::sync::atomic::Ordering;

use async_trait::async_trait;

use super::rows::{ceremony, CEREMONY_COLUMNS};
use super::sessions::session_insert;
use super::SqlStore;
use crate::idm::types::{CredentialState, IdentityStatus, Resource};
use crate::store::{CeremonyRecord, CeremonyStore, SignInCompletion, StoreError};

/// Ceremonies nobody finished are swept this long after their expiry, as new ones begin.
const SWEEP_AFTER_US: i64 = 3600 * 1_000_000;
/// How often an instance sweeps them (by the clock of the ceremonies it stores).
const SWEEP_EVERY_US: i64 = 60 * 1_000_000;

#[async_trait]
impl CeremonyStore for SqlStore {
    /// Written as short-lived state (no flush to disk of its own on SQLite); sweeps ended
    /// ceremonies first, at most once a minute per instance.
    async fn put_ceremony(&self, c: &CeremonyRecord) -> Result<(), StoreError> {
        let last = self.ceremonies_swept_us.load(Ordering::Relaxed);
        if c.expire_us >= last.saturating_add(SWEEP_EVERY_US)
            && self
                .ceremonies_swept_us
                .compare_exchange(last, c.expire_us, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            sqlx::query("DELETE FROM ceremonies WHERE expire_us <= $1")
                .bind(c.expire_us - SWEEP_AFTER_US)
                .execute(&self.short_lived)
                .await?;
        }
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
        .execute(&self.short_lived)
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

    async fn peek_ceremony(&self, id: &str, now_us: i64) -> Result<CeremonyRecord, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CEREMONY_COLUMNS} FROM ceremonies WHERE id = $1 AND expire_us > $2"
        ))
        .bind(id)
        .bind(now_us)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound(Resource::Ceremony))?;
        Ok(ceremony(&row)?)
    }

    async fn complete_sign_in(&self, c: &SignInCompletion) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        // The ceremony goes first: it takes the write lock (SQLite) or the row lock
        // (PostgreSQL), so of two racing finishes the second finds it gone.
        let used = sqlx::query("DELETE FROM ceremonies WHERE id = $1 AND expire_us > $2")
            .bind(&c.ceremony_id)
            .bind(c.now_us)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if used != 1 {
            return Err(StoreError::NotFound(Resource::Ceremony));
        }
        let recorded = sqlx::query(
            "UPDATE credentials SET sign_count = $1, passkey = $2, last_used_us = $3, \
             update_us = $3 WHERE id = $4 AND state = $5 AND EXISTS (SELECT 1 FROM identities i \
             WHERE i.id = credentials.identity_id AND i.status = $6)",
        )
        .bind(c.sign_count)
        .bind(&c.passkey)
        .bind(c.now_us)
        .bind(&c.credential)
        .bind(CredentialState::Active.as_str())
        .bind(IdentityStatus::Active.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded != 1 {
            return Err(StoreError::NotFound(Resource::Credential));
        }
        session_insert(&c.session).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
