//! [`CredentialStore`]: passkeys: look up by id or WebAuthn credential id, list per identity
//! or realm, record a use (counter, last used), rename, revoke (also "unless the last"; a
//! revocation that takes an identity's last passkey makes it no longer enrolled).

use async_trait::async_trait;

use super::audit::{audited, insert as insert_audit};
use super::enrollment::{self, Whose};
use super::query::{self, list, Bind, Listing};
use super::rows::{credential, CREDENTIAL_COLUMNS};
use super::SqlStore;
use crate::idm::types::{CredentialState, Resource};
use crate::store::*;

impl SqlStore {
    async fn credential_where(
        &self,
        condition: &str,
        binds: &[&str],
    ) -> Result<CredentialRecord, StoreError> {
        let select = (CREDENTIAL_COLUMNS, "credentials c");
        let missing = Resource::Credential;
        query::one(&self.pool, select, condition, binds, missing, credential).await
    }
}

#[async_trait]
impl CredentialStore for SqlStore {
    async fn get_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<CredentialRecord, StoreError> {
        let condition = "c.tenant_id = $1 AND c.realm_id = $2 AND c.id = $3";
        self.credential_where(condition, &[tenant, realm, id]).await
    }

    async fn find_credential(&self, credential_id: &str) -> Result<CredentialRecord, StoreError> {
        self.credential_where("c.credential_id = $1", &[credential_id])
            .await
    }

    async fn list_credentials(
        &self,
        tenant: &str,
        realm: &str,
        identity: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<CredentialRecord>, StoreError> {
        let mut condition = "c.tenant_id = $1 AND c.realm_id = $2".to_string();
        let mut binds = vec![Bind::Text(tenant.into()), Bind::Text(realm.into())];
        if let Some(id) = identity {
            condition.push_str(" AND c.identity_id = $3");
            binds.push(Bind::Text(id.into()));
        }
        let listing = Listing {
            from: "credentials c",
            columns: CREDENTIAL_COLUMNS,
            seq: "c.seq",
            condition,
            binds,
        };
        list(&self.pool, listing, page, credential).await
    }

    async fn revoke_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        now_us: i64,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        let revoked = sqlx::query(
            "UPDATE credentials SET state = $5, update_us = $1 \
             WHERE tenant_id = $2 AND realm_id = $3 AND id = $4",
        )
        .bind(now_us)
        .bind(tenant)
        .bind(realm)
        .bind(id)
        .bind(CredentialState::Revoked.as_str())
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() == 0 {
            return Err(StoreError::NotFound(Resource::Credential));
        }
        // The identity's last passkey gone: no longer enrolled.
        enrollment::refresh(&mut tx, Whose::Credential(id), now_us).await?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The identity's row is updated first, which holds its lock for the transaction
    /// (PostgreSQL; SQLite has one writer at a time anyway): a concurrent removal for the
    /// same identity waits, then counts what this one left.
    async fn revoke_credential_unless_last(
        &self,
        tenant: &str,
        realm: &str,
        identity: &str,
        id: &str,
        now_us: i64,
        a: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        let locked = sqlx::query(
            "UPDATE identities SET update_us = update_us \
             WHERE tenant_id = $1 AND realm_id = $2 AND id = $3",
        )
        .bind(tenant)
        .bind(realm)
        .bind(identity)
        .execute(&mut *tx)
        .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound(Resource::Identity));
        }
        let done = sqlx::query(
            "UPDATE credentials SET state = $9, update_us = $1 \
             WHERE tenant_id = $2 AND realm_id = $3 AND identity_id = $4 AND id = $5 \
             AND state = $10 AND (SELECT COUNT(*) FROM credentials \
               WHERE tenant_id = $6 AND realm_id = $7 AND identity_id = $8 AND state = $10) > 1",
        )
        .bind(now_us)
        .bind(tenant)
        .bind(realm)
        .bind(identity)
        .bind(id)
        .bind(tenant)
        .bind(realm)
        .bind(identity)
        .bind(CredentialState::Revoked.as_str())
        .bind(CredentialState::Active.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn rename_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        name: &str,
        now_us: i64,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let statement = sqlx::query(
            "UPDATE credentials SET name = $1, update_us = $2 \
             WHERE tenant_id = $3 AND realm_id = $4 AND id = $5",
        )
        .bind(name)
        .bind(now_us)
        .bind(tenant)
        .bind(realm)
        .bind(id);
        audited(
            &self.pool,
            statement,
            Some(Resource::Credential),
            StoreError::from,
            a,
        )
        .await
    }
}
