//! [`AuditStore`]: one insert inside each write's transaction, the insert on its own, and
//! the paged listing.

use async_trait::async_trait;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool};

use super::query::{list, Bind, Listing};
use super::rows::{audit, to_json, AUDIT_COLUMNS};
use super::SqlStore;
use crate::idm::types::Resource;
use crate::store::{AuditRecord, AuditStore, Page, PageRequest, StoreError};

pub(super) async fn insert(conn: &mut AnyConnection, a: &AuditRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (id, tenant_id, realm_id, actor, action, target_ids, \
         before_state, after_state, create_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&a.id)
    .bind(&a.tenant_id)
    .bind(&a.realm_id)
    .bind(&a.actor)
    .bind(&a.action)
    .bind(to_json(&a.target_ids))
    .bind(&a.before)
    .bind(&a.after)
    .bind(a.create_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// Runs one statement and the audit insert in one transaction. With `missing`, a statement
/// that changes no row fails with `NotFound(missing)`; `on_error` maps the statement's error.
pub(super) async fn audited<'q>(
    pool: &AnyPool,
    statement: Query<'q, Any, AnyArguments<'q>>,
    missing: Option<Resource>,
    on_error: impl FnOnce(sqlx::Error) -> StoreError,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    let done = statement.execute(&mut *tx).await.map_err(on_error)?;
    if let (Some(what), 0) = (missing, done.rows_affected()) {
        return Err(StoreError::NotFound(what));
    }
    insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(())
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn insert_audit(&self, a: &AuditRecord) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert(&mut conn, a).await
    }

    async fn list_events(
        &self,
        tenant: &str,
        realm: &str,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError> {
        let listing = Listing {
            from: "audit_events a",
            columns: AUDIT_COLUMNS,
            seq: "a.seq",
            condition: "a.tenant_id = $1 AND a.realm_id = $2".into(),
            binds: vec![Bind::Text(tenant.into()), Bind::Text(realm.into())],
        };
        list(&self.pool, listing, page, audit).await
    }
}
