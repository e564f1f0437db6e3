//! [`IdentityStore`]: CRUD with versions, lookups on trait keys (username and email compared
//! case-insensitively through lower-cased key columns), and the transactional delete with
//! everything attached.

use std::collections::BTreeSet;

use async_trait::async_trait;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Row};

use super::audit::{audited, insert as insert_audit};
use super::query::{bind_all, list, placeholders, Bind, Listing};
use super::rows::{identity, to_json, IDENTITY_COLUMNS};
use super::{sessions, SqlStore};
use crate::idm::types::Resource;
use crate::store::{
    AuditRecord, Duplicate, IdentityFilter, IdentityRecord, IdentityStore, Page, PageRequest,
    RevokeTarget, StoreError,
};

/// The comparison key of a case-insensitive trait.
pub(super) fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Binds `$1…$15`: id, tenant, realm, then every stored field of `i` (create and update
/// use the same numbering).
fn bind_identity<'q>(
    q: Query<'q, Any, AnyArguments<'q>>,
    i: &'q IdentityRecord,
) -> Query<'q, Any, AnyArguments<'q>> {
    let t = &i.traits;
    q.bind(&i.id)
        .bind(&i.tenant_id)
        .bind(&i.realm_id)
        .bind(&i.display_name)
        .bind(i.status.as_str())
        .bind(i.enrollment_status.as_str())
        .bind(&t.username)
        .bind(fold(&t.username))
        .bind(&t.primary_email_address)
        .bind(t.primary_email_address.as_deref().map(fold))
        .bind(&t.external_id)
        .bind(&t.given_name)
        .bind(&t.family_name)
        .bind(to_json(&t.extra))
        .bind(i.version)
}

/// The ids of `ids` that name no identity of the realm (sorted, without repeats).
pub(super) async fn missing_ids(
    conn: &mut AnyConnection,
    tenant: &str,
    realm: &str,
    ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let wanted: BTreeSet<&String> = ids.iter().collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM identities WHERE tenant_id = $1 AND realm_id = $2 AND id IN ({})",
        placeholders(3, wanted.len())
    );
    let mut q = sqlx::query(&sql).bind(tenant).bind(realm);
    for id in &wanted {
        q = q.bind(id.as_str());
    }
    let found: BTreeSet<String> = q
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    Ok(wanted
        .into_iter()
        .filter(|id| !found.contains(*id))
        .cloned()
        .collect())
}

/// Fails with `NotFoundMany` (naming them) unless every id names an identity of the realm.
pub(super) async fn ensure_all_exist(
    conn: &mut AnyConnection,
    tenant: &str,
    realm: &str,
    ids: &[String],
) -> Result<(), StoreError> {
    let missing = missing_ids(conn, tenant, realm, ids).await?;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StoreError::NotFoundMany {
            resource: Resource::Identity,
            ids: missing,
        })
    }
}

/// Why a versioned write changed no row: the row is gone, or its version moved on.
pub(super) async fn stale_or_missing(
    conn: &mut AnyConnection,
    table: &str,
    tenant: &str,
    realm: &str,
    id: &str,
    resource: Resource,
) -> StoreError {
    let sql =
        format!("SELECT version FROM {table} WHERE tenant_id = $1 AND realm_id = $2 AND id = $3");
    match sqlx::query(&sql)
        .bind(tenant)
        .bind(realm)
        .bind(id)
        .fetch_optional(conn)
        .await
    {
        Ok(Some(row)) => match row.try_get::<i64, _>(0) {
            Ok(current) => StoreError::Stale { current },
            Err(e) => e.into(),
        },
        Ok(None) => StoreError::NotFound(resource),
        Err(e) => e.into(),
    }
}

impl SqlStore {
    async fn identity_where(
        &self,
        condition: &str,
        binds: &[Bind],
    ) -> Result<IdentityRecord, StoreError> {
        let sql = format!("SELECT {IDENTITY_COLUMNS} FROM identities i WHERE {condition}");
        let row = bind_all(sqlx::query(&sql), binds)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound(Resource::Identity))?;
        Ok(identity(&row)?)
    }
}

#[async_trait]
impl IdentityStore for SqlStore {
    async fn create_identity(&self, i: &IdentityRecord, a: &AuditRecord) -> Result<(), StoreError> {
        let insert = sqlx::query(
            "INSERT INTO identities (id, tenant_id, realm_id, display_name, status, \
             enrollment_status, username, username_key, primary_email_address, email_key, \
             external_id, given_name, family_name, extra_traits, version, create_us, update_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        );
        let insert = bind_identity(insert, i).bind(i.create_us).bind(i.update_us);
        let taken = StoreError::duplicate(Duplicate::Username);
        audited(&self.pool, insert, None, taken, a).await
    }

    async fn get_identity(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<IdentityRecord, StoreError> {
        let binds = [
            Bind::Text(tenant.into()),
            Bind::Text(realm.into()),
            Bind::Text(id.into()),
        ];
        self.identity_where("i.tenant_id = $1 AND i.realm_id = $2 AND i.id = $3", &binds)
            .await
    }

    async fn find_identity_by_username(
        &self,
        tenant: &str,
        realm: &str,
        username: &str,
    ) -> Result<IdentityRecord, StoreError> {
        let binds = [
            Bind::Text(tenant.into()),
            Bind::Text(realm.into()),
            Bind::Text(fold(username)),
        ];
        let cond = "i.tenant_id = $1 AND i.realm_id = $2 AND i.username_key = $3";
        self.identity_where(cond, &binds).await
    }

    async fn list_identities(
        &self,
        tenant: &str,
        realm: &str,
        filter: Option<&IdentityFilter>,
        page: PageRequest,
    ) -> Result<Page<IdentityRecord>, StoreError> {
        let mut condition = "i.tenant_id = $1 AND i.realm_id = $2".to_string();
        let mut binds = vec![Bind::Text(tenant.into()), Bind::Text(realm.into())];
        if let Some(f) = filter {
            let (column, value) = match f {
                IdentityFilter::Username(v) => ("i.username_key", fold(v)),
                IdentityFilter::Email(v) => ("i.email_key", fold(v)),
                IdentityFilter::ExternalId(v) => ("i.external_id", v.clone()),
            };
            condition.push_str(&format!(" AND {column} = $3"));
            binds.push(Bind::Text(value));
        }
        let listing = Listing {
            from: "identities i",
            columns: IDENTITY_COLUMNS,
            seq: "i.seq",
            condition,
            binds,
        };
        list(&self.pool, listing, page, identity).await
    }

    async fn update_identity(
        &self,
        i: &IdentityRecord,
        expected: i64,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let update = sqlx::query(
            "UPDATE identities SET display_name = $4, status = $5, enrollment_status = $6, \
             username = $7, username_key = $8, primary_email_address = $9, email_key = $10, \
             external_id = $11, given_name = $12, family_name = $13, extra_traits = $14, \
             version = $15, update_us = $16 \
             WHERE id = $1 AND tenant_id = $2 AND realm_id = $3 AND version = $17",
        );
        let update = bind_identity(update, i).bind(i.update_us).bind(expected);
        let mut tx = super::begin(&self.pool).await?;
        let done = update
            .execute(&mut *tx)
            .await
            .map_err(StoreError::duplicate(Duplicate::Username))?;
        if done.rows_affected() == 0 {
            let (t, r) = (&i.tenant_id, &i.realm_id);
            return Err(
                stale_or_missing(&mut tx, "identities", t, r, &i.id, Resource::Identity).await,
            );
        }
        if !i.status.is_active() {
            // Suspension ends every session of the identity, in the same transaction.
            let target = RevokeTarget::Identity(i.id.clone());
            sessions::revoke_in(&mut tx, &target, i.update_us).await?;
        }
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_identities(
        &self,
        tenant: &str,
        realm: &str,
        ids: &[String],
        expected: Option<i64>,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = super::begin(&self.pool).await?;
        ensure_all_exist(&mut tx, tenant, realm, ids).await?;
        if let (Some(version), [id]) = (expected, ids) {
            // Takes the row's lock (PostgreSQL) while checking its version.
            let held = sqlx::query(
                "UPDATE identities SET version = version \
                 WHERE tenant_id = $1 AND realm_id = $2 AND id = $3 AND version = $4",
            )
            .bind(tenant)
            .bind(realm)
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            if held.rows_affected() == 0 {
                let e =
                    stale_or_missing(&mut tx, "identities", tenant, realm, id, Resource::Identity);
                return Err(e.await);
            }
        }
        for id in ids {
            let target = RevokeTarget::Identity(id.clone());
            sessions::revoke_in(&mut tx, &target, a.create_us).await?;
        }
        let list = placeholders(2, ids.len());
        // The groups they were in change: their versions move on.
        let sql = format!(
            "UPDATE user_groups SET version = version + 1, update_us = $1 WHERE id IN \
             (SELECT group_id FROM group_members WHERE identity_id IN ({list}))"
        );
        let mut q = sqlx::query(&sql).bind(a.create_us);
        for id in ids {
            q = q.bind(id.as_str());
        }
        q.execute(&mut *tx).await?;
        let list = placeholders(1, ids.len());
        for table in ["group_members", "credentials", "binding_jobs", "sessions"] {
            let sql = format!("DELETE FROM {table} WHERE identity_id IN ({list})");
            let mut q = sqlx::query(&sql);
            for id in ids {
                q = q.bind(id.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        let sql = format!(
            "DELETE FROM identities WHERE tenant_id = ${} AND realm_id = ${} AND id IN ({list})",
            ids.len() + 1,
            ids.len() + 2
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id.as_str());
        }
        q.bind(tenant).bind(realm).execute(&mut *tx).await?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }
}
