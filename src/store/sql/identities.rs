//! Identities: CRUD, lookups on trait keys (username and email compared case-insensitively
//! through lower-cased key columns), and the transactional delete with everything attached.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool, Row};

use super::query::{bind_all, list, placeholders, Bind, Listing};
use super::rows::{identity, IDENTITY_COLUMNS};
use super::{audit, sessions};
use crate::store::{
    AuditRecord, IdentityFilter, IdentityRecord, Page, PageRequest, RevokeTarget, StoreError,
};

/// The comparison key of a case-insensitive trait.
pub(super) fn fold(s: &str) -> String {
    s.to_lowercase()
}

fn taken(e: sqlx::Error, username: &str) -> StoreError {
    match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "username \"{username}\" is already taken in this realm"
        )),
        other => other,
    }
}

/// Binds `$1…$14`: id, tenant, realm, then every stored field of `i` (create and update
/// use the same numbering).
fn bind_identity<'q>(
    q: Query<'q, Any, AnyArguments<'q>>,
    i: &'q IdentityRecord,
) -> Query<'q, Any, AnyArguments<'q>> {
    q.bind(&i.id)
        .bind(&i.tenant_id)
        .bind(&i.realm_id)
        .bind(&i.display_name)
        .bind(&i.status)
        .bind(&i.enrollment_status)
        .bind(&i.username)
        .bind(fold(&i.username))
        .bind(&i.primary_email_address)
        .bind(i.primary_email_address.as_deref().map(fold))
        .bind(&i.external_id)
        .bind(&i.given_name)
        .bind(&i.family_name)
        .bind(&i.extra_traits)
}

pub(super) async fn create(
    pool: &AnyPool,
    i: &IdentityRecord,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let insert = sqlx::query(
        "INSERT INTO identities (id, tenant_id, realm_id, display_name, status, \
         enrollment_status, username, username_key, primary_email_address, email_key, \
         external_id, given_name, family_name, extra_traits, create_us, update_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    );
    let insert = bind_identity(insert, i).bind(i.create_us).bind(i.update_us);
    audit::audited(pool, insert, None, |e| taken(e, &i.username), a).await
}

async fn fetch_one_where(
    pool: &AnyPool,
    condition: &str,
    binds: &[Bind],
) -> Result<IdentityRecord, StoreError> {
    let sql = format!("SELECT {IDENTITY_COLUMNS} FROM identities i WHERE {condition}");
    let row = bind_all(sqlx::query(&sql), binds)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound("identity"))?;
    Ok(identity(&row)?)
}

pub(super) async fn get(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    id: &str,
) -> Result<IdentityRecord, StoreError> {
    let binds = [
        Bind::Text(tenant.into()),
        Bind::Text(realm.into()),
        Bind::Text(id.into()),
    ];
    fetch_one_where(
        pool,
        "i.tenant_id = $1 AND i.realm_id = $2 AND i.id = $3",
        &binds,
    )
    .await
}

pub(super) async fn by_username(
    pool: &AnyPool,
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
    fetch_one_where(pool, cond, &binds).await
}

pub(super) async fn list_identities(
    pool: &AnyPool,
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
    list(pool, listing, page, identity).await
}

pub(super) async fn update(
    pool: &AnyPool,
    i: &IdentityRecord,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let update = sqlx::query(
        "UPDATE identities SET display_name = $4, status = $5, enrollment_status = $6, \
         username = $7, username_key = $8, primary_email_address = $9, email_key = $10, \
         external_id = $11, given_name = $12, family_name = $13, extra_traits = $14, \
         update_us = $15 WHERE id = $1 AND tenant_id = $2 AND realm_id = $3",
    );
    let update = bind_identity(update, i).bind(i.update_us);
    if i.status != "suspended" {
        return audit::audited(pool, update, Some("identity"), |e| taken(e, &i.username), a).await;
    }
    // Suspension ends every session of the identity, in the same transaction.
    let mut tx = super::begin(pool).await?;
    let done = update
        .execute(&mut *tx)
        .await
        .map_err(|e| taken(e, &i.username))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("identity"));
    }
    let target = RevokeTarget::Identity(i.id.clone());
    sessions::revoke_in(&mut tx, &target, i.update_us).await?;
    audit::insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(())
}

/// Fails with `NotFound` unless every id names an identity of the realm.
pub(super) async fn ensure_all_exist(
    conn: &mut AnyConnection,
    tenant: &str,
    realm: &str,
    ids: &[String],
) -> Result<(), StoreError> {
    let mut unique: Vec<&String> = ids.iter().collect();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT COUNT(*) FROM identities WHERE tenant_id = $1 AND realm_id = $2 AND id IN ({})",
        placeholders(3, unique.len())
    );
    let mut q = sqlx::query(&sql).bind(tenant).bind(realm);
    for id in &unique {
        q = q.bind(id.as_str());
    }
    let found: i64 = q.fetch_one(conn).await?.try_get(0)?;
    if found != unique.len() as i64 {
        return Err(StoreError::NotFound("identity"));
    }
    Ok(())
}

pub(super) async fn delete_many(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    ids: &[String],
    a: &AuditRecord,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut tx = super::begin(pool).await?;
    ensure_all_exist(&mut tx, tenant, realm, ids).await?;
    for id in ids {
        let target = RevokeTarget::Identity(id.clone());
        sessions::revoke_in(&mut tx, &target, a.create_us).await?;
    }
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
    audit::insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(())
}
