//! [`KeyStore`]: the Ed25519 keys session tokens are signed with (added, listed, pruned).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::audit::insert as insert_audit;
use super::query::placeholders;
use super::SqlStore;
use crate::store::{AuditRecord, KeyStore, SigningKeyRecord, StoreError};

/// Deletes the keys `kids` from `table` (`signing_keys`, or the OIDC provider's
/// `oidc_keys`).
pub(super) async fn delete_kids(
    pool: &sqlx::AnyPool,
    table: &'static str,
    kids: &[String],
) -> Result<(), StoreError> {
    if kids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM {table} WHERE kid IN ({})",
        placeholders(1, kids.len())
    );
    let mut q = sqlx::query(&sql);
    for k in kids {
        q = q.bind(k.as_str());
    }
    q.execute(pool).await?;
    Ok(())
}

fn signing_key(row: &AnyRow) -> Result<SigningKeyRecord, sqlx::Error> {
    Ok(SigningKeyRecord {
        kid: row.try_get("kid")?,
        private_pkcs8: row.try_get("private_pkcs8")?,
        public_key: row.try_get("public_key")?,
        create_us: row.try_get("create_us")?,
        activate_us: row.try_get("activate_us")?,
    })
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn list_signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, private_pkcs8, public_key, create_us, activate_us FROM signing_keys \
             ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(signing_key).collect::<Result<_, _>>()?)
    }

    async fn insert_signing_key(
        &self,
        k: &SigningKeyRecord,
        a: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        sqlx::query(
            "INSERT INTO signing_keys (kid, private_pkcs8, public_key, create_us, activate_us) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&k.kid)
        .bind(&k.private_pkcs8)
        .bind(&k.public_key)
        .bind(k.create_us)
        .bind(k.activate_us)
        .execute(&mut *tx)
        .await?;
        if let Some(a) = a {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_signing_keys(&self, kids: &[String]) -> Result<(), StoreError> {
        delete_kids(&self.pool, "signing_keys", kids).await
    }
}
