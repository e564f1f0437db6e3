//! Groups and their members; creating a group with members and changing membership are
//! each one transaction that fails as a whole when an identity does not exist.

use sqlx::{AnyConnection, AnyPool};

use super::audit;
use super::identities::ensure_all_exist;
use super::query::{bind_all, list, placeholders, Bind, Listing};
use super::rows::{group, identity, GROUP_COLUMNS, IDENTITY_COLUMNS};
use crate::store::{AuditRecord, GroupRecord, IdentityRecord, Page, PageRequest, StoreError};

async fn insert_members(
    conn: &mut AnyConnection,
    g: &GroupRecord,
    ids: &[String],
    now_us: i64,
) -> Result<(), StoreError> {
    ensure_all_exist(conn, &g.tenant_id, &g.realm_id, ids).await?;
    for id in ids {
        sqlx::query(
            "INSERT INTO group_members (group_id, identity_id, create_us) VALUES ($1, $2, $3) \
             ON CONFLICT (group_id, identity_id) DO NOTHING",
        )
        .bind(&g.id)
        .bind(id)
        .bind(now_us)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(super) async fn create(
    pool: &AnyPool,
    g: &GroupRecord,
    members: &[String],
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    sqlx::query(
        "INSERT INTO user_groups (id, tenant_id, realm_id, display_name, description, \
         create_us, update_us) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&g.id)
    .bind(&g.tenant_id)
    .bind(&g.realm_id)
    .bind(&g.display_name)
    .bind(&g.description)
    .bind(g.create_us)
    .bind(g.update_us)
    .execute(&mut *tx)
    .await?;
    insert_members(&mut tx, g, members, g.create_us).await?;
    audit::insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    id: &str,
) -> Result<GroupRecord, StoreError> {
    let sql = format!(
        "SELECT {GROUP_COLUMNS} FROM user_groups g \
         WHERE g.tenant_id = $1 AND g.realm_id = $2 AND g.id = $3"
    );
    let row = sqlx::query(&sql)
        .bind(tenant)
        .bind(realm)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound("group"))?;
    Ok(group(&row)?)
}

pub(super) async fn list_groups(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    page: PageRequest,
) -> Result<Page<GroupRecord>, StoreError> {
    let listing = Listing {
        from: "user_groups g",
        columns: GROUP_COLUMNS,
        seq: "g.seq",
        condition: "g.tenant_id = $1 AND g.realm_id = $2".into(),
        binds: vec![Bind::Text(tenant.into()), Bind::Text(realm.into())],
    };
    list(pool, listing, page, group).await
}

pub(super) async fn update(
    pool: &AnyPool,
    g: &GroupRecord,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let update = sqlx::query(
        "UPDATE user_groups SET display_name = $4, description = $5, update_us = $6 \
         WHERE tenant_id = $1 AND realm_id = $2 AND id = $3",
    )
    .bind(&g.tenant_id)
    .bind(&g.realm_id)
    .bind(&g.id)
    .bind(&g.display_name)
    .bind(&g.description)
    .bind(g.update_us);
    audit::audited(pool, update, Some("group"), StoreError::from, a).await
}

pub(super) async fn delete(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    id: &str,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    sqlx::query(
        "DELETE FROM group_members WHERE group_id IN \
         (SELECT id FROM user_groups WHERE tenant_id = $1 AND realm_id = $2 AND id = $3)",
    )
    .bind(tenant)
    .bind(realm)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let done =
        sqlx::query("DELETE FROM user_groups WHERE tenant_id = $1 AND realm_id = $2 AND id = $3")
            .bind(tenant)
            .bind(realm)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("group"));
    }
    audit::insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn add_members(
    pool: &AnyPool,
    g: &GroupRecord,
    ids: &[String],
    now_us: i64,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    insert_members(&mut tx, g, ids, now_us).await?;
    audit::insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn delete_members(
    pool: &AnyPool,
    g: &GroupRecord,
    ids: &[String],
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    if !ids.is_empty() {
        let sql = format!(
            "DELETE FROM group_members WHERE group_id = $1 AND identity_id IN ({})",
            placeholders(2, ids.len())
        );
        let mut binds = vec![Bind::Text(g.id.clone())];
        binds.extend(ids.iter().map(|i| Bind::Text(i.clone())));
        bind_all(sqlx::query(&sql), &binds)
            .execute(&mut *tx)
            .await?;
    }
    audit::insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn list_members(
    pool: &AnyPool,
    g: &GroupRecord,
    page: PageRequest,
) -> Result<Page<IdentityRecord>, StoreError> {
    let listing = Listing {
        from: "identities i JOIN group_members m ON m.identity_id = i.id",
        columns: IDENTITY_COLUMNS,
        seq: "i.seq",
        condition: "m.group_id = $1".into(),
        binds: vec![Bind::Text(g.id.clone())],
    };
    list(pool, listing, page, identity).await
}

pub(super) async fn list_identity_groups(
    pool: &AnyPool,
    i: &IdentityRecord,
    page: PageRequest,
) -> Result<Page<GroupRecord>, StoreError> {
    let listing = Listing {
        from: "user_groups g JOIN group_members m ON m.group_id = g.id",
        columns: GROUP_COLUMNS,
        seq: "g.seq",
        condition: "m.identity_id = $1".into(),
        binds: vec![Bind::Text(i.id.clone())],
    };
    list(pool, listing, page, group).await
}
