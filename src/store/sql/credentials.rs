//! Credentials (passkeys): look up by id or WebAuthn credential id, list per identity,
//! record a use (counter, last used), revoke.

use sqlx::AnyPool;

use super::audit;
use super::query::{self, list, Bind, Listing};
use super::rows::{credential, CREDENTIAL_COLUMNS};
use crate::store::*;

async fn one(
    pool: &AnyPool,
    condition: &str,
    binds: &[&str],
) -> Result<CredentialRecord, StoreError> {
    let select = (CREDENTIAL_COLUMNS, "credentials c");
    query::one(pool, select, condition, binds, "credential", credential).await
}

pub(super) async fn get(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    id: &str,
) -> Result<CredentialRecord, StoreError> {
    one(
        pool,
        "c.tenant_id = $1 AND c.realm_id = $2 AND c.id = $3",
        &[tenant, realm, id],
    )
    .await
}

pub(super) async fn by_credential_id(
    pool: &AnyPool,
    credential_id: &str,
) -> Result<CredentialRecord, StoreError> {
    one(pool, "c.credential_id = $1", &[credential_id]).await
}

pub(super) async fn list_credentials(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    identity: &str,
    page: PageRequest,
) -> Result<Page<CredentialRecord>, StoreError> {
    let listing = Listing {
        from: "credentials c",
        columns: CREDENTIAL_COLUMNS,
        seq: "c.seq",
        condition: "c.tenant_id = $1 AND c.realm_id = $2 AND c.identity_id = $3".into(),
        binds: vec![
            Bind::Text(tenant.into()),
            Bind::Text(realm.into()),
            Bind::Text(identity.into()),
        ],
    };
    list(pool, listing, page, credential).await
}

pub(super) async fn record_use(
    pool: &AnyPool,
    id: &str,
    sign_count: i64,
    passkey: &str,
    now_us: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE credentials SET sign_count = $1, passkey = $2, last_used_us = $3, update_us = $3 \
         WHERE id = $4",
    )
    .bind(sign_count)
    .bind(passkey)
    .bind(now_us)
    .bind(id)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("credential"));
    }
    Ok(())
}

pub(super) async fn revoke(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    id: &str,
    now_us: i64,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let statement = sqlx::query(
        "UPDATE credentials SET state = 'REVOKED', update_us = $1 \
         WHERE tenant_id = $2 AND realm_id = $3 AND id = $4",
    )
    .bind(now_us)
    .bind(tenant)
    .bind(realm)
    .bind(id);
    audit::audited(pool, statement, Some("credential"), StoreError::from, a).await
}

/// Revokes `id` of `identity` unless it is the identity's only active passkey; `Ok(false)`
/// (nothing written) when it is. The identity's row is updated first, which holds its lock
/// for the transaction (PostgreSQL; SQLite has one writer at a time anyway): a concurrent
/// removal for the same identity waits, then counts what this one left.
pub(super) async fn revoke_unless_last(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    identity: &str,
    id: &str,
    now_us: i64,
    a: &AuditRecord,
) -> Result<bool, StoreError> {
    let mut tx = super::begin(pool).await?;
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
        return Err(StoreError::NotFound("identity"));
    }
    let done = sqlx::query(
        "UPDATE credentials SET state = 'REVOKED', update_us = $1 \
         WHERE tenant_id = $2 AND realm_id = $3 AND identity_id = $4 AND id = $5 \
         AND state = 'ACTIVE' AND (SELECT COUNT(*) FROM credentials \
           WHERE tenant_id = $6 AND realm_id = $7 AND identity_id = $8 AND state = 'ACTIVE') > 1",
    )
    .bind(now_us)
    .bind(tenant)
    .bind(realm)
    .bind(identity)
    .bind(id)
    .bind(tenant)
    .bind(realm)
    .bind(identity)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    audit::insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(true)
}
