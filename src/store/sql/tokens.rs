//! [`TokenStore`]: API tokens: insert, look up by id, list, revoke. Only the secret's hash
//! is stored; scopes are kept space-separated as given.

use async_trait::async_trait;

use super::audit::{audited, insert as insert_audit};
use super::query::exists;
use super::rows::{token, TOKEN_COLUMNS};
use super::SqlStore;
use crate::idm::types::Resource;
use crate::store::{ApiTokenRecord, AuditRecord, StoreError, TokenStore};

#[async_trait]
impl TokenStore for SqlStore {
    async fn create_token(&self, t: &ApiTokenRecord, a: &AuditRecord) -> Result<(), StoreError> {
        let insert = sqlx::query(
            "INSERT INTO api_tokens (id, tenant_id, realm_id, name, scopes, secret_hash, \
             create_us, expire_us, revoke_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&t.id)
        .bind(&t.tenant_id)
        .bind(&t.realm_id)
        .bind(&t.name)
        .bind(t.scopes.join(" "))
        .bind(&t.secret_hash)
        .bind(t.create_us)
        .bind(t.expire_us)
        .bind(t.revoke_us);
        audited(&self.pool, insert, None, StoreError::from, a).await
    }

    async fn get_token(&self, id: &str) -> Result<ApiTokenRecord, StoreError> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound(Resource::ApiToken))?;
        Ok(token(&row)?)
    }

    async fn list_tokens(&self, tenant: &str) -> Result<Vec<ApiTokenRecord>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.tenant_id = $1 ORDER BY t.seq"
        );
        let rows = sqlx::query(&sql).bind(tenant).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(token).collect::<Result<_, _>>()?)
    }

    async fn revoke_token(
        &self,
        tenant: &str,
        id: &str,
        now_us: i64,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        if !exists(&mut tx, "api_tokens", tenant, id).await? {
            return Err(StoreError::NotFound(Resource::ApiToken));
        }
        sqlx::query(
            "UPDATE api_tokens SET revoke_us = $3 \
             WHERE tenant_id = $1 AND id = $2 AND revoke_us IS NULL",
        )
        .bind(tenant)
        .bind(id)
        .bind(now_us)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }
}
