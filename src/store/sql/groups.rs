//! [`GroupStore`]: groups and their members. Creating a group with members and every
//! membership change are each one transaction that fails as a whole when an identity does
//! not exist, and moves the group's version on.

use async_trait::async_trait;
use sqlx::AnyConnection;

use super::audit::insert as insert_audit;
use super::identities::{ensure_all_exist, stale_or_missing};
use super::query::{bind_all, list, placeholders, Bind, Listing};
use super::rows::{group, identity, GROUP_COLUMNS, IDENTITY_COLUMNS};
use super::SqlStore;
use crate::idm::types::Resource;
use crate::store::{
    AuditRecord, GroupRecord, GroupStore, IdentityRecord, MemberChange, Page, PageRequest,
    StoreError,
};

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

/// Removes `ids` from the group (all other members when `keep` is set: `ids` are kept).
async fn remove_members(
    conn: &mut AnyConnection,
    group_id: &str,
    ids: &[String],
    keep: bool,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        if keep {
            sqlx::query("DELETE FROM group_members WHERE group_id = $1")
                .bind(group_id)
                .execute(&mut *conn)
                .await?;
        }
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM group_members WHERE group_id = $1 AND identity_id {} ({})",
        if keep { "NOT IN" } else { "IN" },
        placeholders(2, ids.len())
    );
    let mut binds = vec![Bind::Text(group_id.to_string())];
    binds.extend(ids.iter().map(|i| Bind::Text(i.clone())));
    bind_all(sqlx::query(&sql), &binds)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait]
impl GroupStore for SqlStore {
    async fn create_group(
        &self,
        g: &GroupRecord,
        members: &[String],
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        sqlx::query(
            "INSERT INTO user_groups (id, tenant_id, realm_id, display_name, description, \
             version, create_us, update_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&g.id)
        .bind(&g.tenant_id)
        .bind(&g.realm_id)
        .bind(&g.display_name)
        .bind(&g.description)
        .bind(g.version)
        .bind(g.create_us)
        .bind(g.update_us)
        .execute(&mut *tx)
        .await?;
        insert_members(&mut tx, g, members, g.create_us).await?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_group(
        &self,
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
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound(Resource::Group))?;
        Ok(group(&row)?)
    }

    async fn list_groups(
        &self,
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
        list(&self.pool, listing, page, group).await
    }

    async fn update_group(
        &self,
        g: &GroupRecord,
        expected: i64,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        // The same write as a rewrite that leaves the members alone.
        self.rewrite_group(g, expected, None, a).await
    }

    async fn rewrite_group(
        &self,
        g: &GroupRecord,
        expected: i64,
        members: Option<&[String]>,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE user_groups SET display_name = $4, description = $5, version = $6, \
             update_us = $7 WHERE tenant_id = $1 AND realm_id = $2 AND id = $3 AND version = $8",
        )
        .bind(&g.tenant_id)
        .bind(&g.realm_id)
        .bind(&g.id)
        .bind(&g.display_name)
        .bind(&g.description)
        .bind(g.version)
        .bind(g.update_us)
        .bind(expected)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let (t, r) = (&g.tenant_id, &g.realm_id);
            return Err(
                stale_or_missing(&mut tx, "user_groups", t, r, &g.id, Resource::Group).await,
            );
        }
        if let Some(ids) = members {
            ensure_all_exist(&mut tx, &g.tenant_id, &g.realm_id, ids).await?;
            remove_members(&mut tx, &g.id, ids, true).await?;
            insert_members(&mut tx, g, ids, g.update_us).await?;
        }
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_group(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        expected: Option<i64>,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        // Locks the row (PostgreSQL) and checks the version before anything goes.
        let held = sqlx::query(
            "UPDATE user_groups SET version = version WHERE tenant_id = $1 AND realm_id = $2 \
             AND id = $3 AND ($4 < 0 OR version = $4)",
        )
        .bind(tenant)
        .bind(realm)
        .bind(id)
        .bind(expected.unwrap_or(-1))
        .execute(&mut *tx)
        .await?;
        if held.rows_affected() == 0 {
            return Err(stale_or_missing(
                &mut tx,
                "user_groups",
                tenant,
                realm,
                id,
                Resource::Group,
            )
            .await);
        }
        sqlx::query("DELETE FROM group_members WHERE group_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM user_groups WHERE tenant_id = $1 AND realm_id = $2 AND id = $3")
            .bind(tenant)
            .bind(realm)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn change_members(
        &self,
        g: &GroupRecord,
        expected: i64,
        change: MemberChange<'_>,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        // The version check comes first: it also takes the group's row lock.
        let moved = sqlx::query(
            "UPDATE user_groups SET version = $4, update_us = $5 \
             WHERE tenant_id = $1 AND realm_id = $2 AND id = $3 AND version = $6",
        )
        .bind(&g.tenant_id)
        .bind(&g.realm_id)
        .bind(&g.id)
        .bind(g.version)
        .bind(g.update_us)
        .bind(expected)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            let (t, r) = (&g.tenant_id, &g.realm_id);
            return Err(
                stale_or_missing(&mut tx, "user_groups", t, r, &g.id, Resource::Group).await,
            );
        }
        match change {
            MemberChange::Add(ids) => insert_members(&mut tx, g, ids, g.update_us).await?,
            MemberChange::Remove(ids) => remove_members(&mut tx, &g.id, ids, false).await?,
            MemberChange::Replace(ids) => {
                ensure_all_exist(&mut tx, &g.tenant_id, &g.realm_id, ids).await?;
                remove_members(&mut tx, &g.id, ids, true).await?;
                insert_members(&mut tx, g, ids, g.update_us).await?;
            }
        }
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_members(
        &self,
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
        list(&self.pool, listing, page, identity).await
    }

    async fn list_identity_groups(
        &self,
        identity_id: &str,
        page: PageRequest,
    ) -> Result<Page<GroupRecord>, StoreError> {
        let listing = Listing {
            from: "user_groups g JOIN group_members m ON m.group_id = g.id",
            columns: GROUP_COLUMNS,
            seq: "g.seq",
            condition: "m.identity_id = $1".into(),
            binds: vec![Bind::Text(identity_id.to_string())],
        };
        list(&self.pool, listing, page, group).await
    }
}
