//! API tokens: insert, look up by id, list, revoke. Only the secret's hash is stored.

use sqlx::AnyPool;

use super::audit;
use super::query::exists;
use super::rows::{token, TOKEN_COLUMNS};
use crate::store::{ApiTokenRecord, AuditRecord, StoreError};

pub(super) async fn create(
    pool: &AnyPool,
    t: &ApiTokenRecord,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let insert = sqlx::query(
        "INSERT INTO api_tokens (id, tenant_id, realm_id, name, scopes, secret_hash, create_us, \
         expire_us, revoke_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&t.id)
    .bind(&t.tenant_id)
    .bind(&t.realm_id)
    .bind(&t.name)
    .bind(&t.scopes)
    .bind(&t.secret_hash)
    .bind(t.create_us)
    .bind(t.expire_us)
    .bind(t.revoke_us);
    audit::audited(pool, insert, None, StoreError::from, a).await
}

pub(super) async fn get(pool: &AnyPool, id: &str) -> Result<ApiTokenRecord, StoreError> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound("api token"))?;
    Ok(token(&row)?)
}

pub(super) async fn list_tokens(
    pool: &AnyPool,
    tenant: &str,
) -> Result<Vec<ApiTokenRecord>, StoreError> {
    let sql =
        format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.tenant_id = $1 ORDER BY t.seq");
    let rows = sqlx::query(&sql).bind(tenant).fetch_all(pool).await?;
    Ok(rows.iter().map(token).collect::<Result<_, _>>()?)
}

pub(super) async fn revoke(
    pool: &AnyPool,
    tenant: &str,
    id: &str,
    now_us: i64,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    if !exists(&mut tx, "api_tokens", tenant, id).await? {
        return Err(StoreError::NotFound("api token"));
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
    audit::insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(())
}
