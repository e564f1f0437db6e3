//! [`RealmStore`]: config sync, CRUD, and the cascading delete of everything a realm holds.

use async_trait::async_trait;

use super::audit::{audited, insert as insert_audit};
use super::query::{exists, list, Bind, Listing};
use super::rows::{realm, REALM_COLUMNS};
use super::SqlStore;
use crate::idm::types::Resource;
use crate::store::{AuditRecord, Page, PageRequest, RealmRecord, RealmStore, StoreError};

#[async_trait]
impl RealmStore for SqlStore {
    async fn sync_config_realms(
        &self,
        tenant: &str,
        realms: &[RealmRecord],
        now_us: i64,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        sqlx::query("UPDATE realms SET from_config = 0 WHERE tenant_id = $1")
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
        for r in realms {
            sqlx::query(
                "INSERT INTO realms (tenant_id, id, display_name, rp_id, rp_name, from_config, \
                 create_us, update_us) VALUES ($1, $2, $3, $4, $5, 1, $6, $6) \
                 ON CONFLICT (tenant_id, id) DO UPDATE SET from_config = 1, \
                 display_name = excluded.display_name, rp_id = excluded.rp_id, \
                 rp_name = excluded.rp_name, update_us = CASE WHEN \
                 realms.display_name <> excluded.display_name OR realms.rp_id <> excluded.rp_id \
                 OR realms.rp_name <> excluded.rp_name THEN excluded.update_us \
                 ELSE realms.update_us END",
            )
            .bind(tenant)
            .bind(&r.id)
            .bind(&r.display_name)
            .bind(&r.rp_id)
            .bind(&r.rp_name)
            .bind(now_us)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_realm(&self, r: &RealmRecord, a: &AuditRecord) -> Result<(), StoreError> {
        let insert = sqlx::query(
            "INSERT INTO realms (tenant_id, id, display_name, rp_id, rp_name, from_config, \
             create_us, update_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&r.tenant_id)
        .bind(&r.id)
        .bind(&r.display_name)
        .bind(&r.rp_id)
        .bind(&r.rp_name)
        .bind(i64::from(r.from_config))
        .bind(r.create_us)
        .bind(r.update_us);
        audited(&self.pool, insert, None, StoreError::from, a).await
    }

    async fn get_realm(&self, tenant: &str, id: &str) -> Result<RealmRecord, StoreError> {
        let sql =
            format!("SELECT {REALM_COLUMNS} FROM realms r WHERE r.tenant_id = $1 AND r.id = $2");
        let row = sqlx::query(&sql)
            .bind(tenant)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound(Resource::Realm))?;
        Ok(realm(&row)?)
    }

    async fn list_realms(
        &self,
        tenant: &str,
        page: PageRequest,
    ) -> Result<Page<RealmRecord>, StoreError> {
        let listing = Listing {
            from: "realms r",
            columns: REALM_COLUMNS,
            seq: "r.seq",
            condition: "r.tenant_id = $1".into(),
            binds: vec![Bind::Text(tenant.into())],
        };
        list(&self.pool, listing, page, realm).await
    }

    async fn update_realm(&self, r: &RealmRecord, a: &AuditRecord) -> Result<(), StoreError> {
        let update = sqlx::query(
            "UPDATE realms SET display_name = $3, rp_id = $4, rp_name = $5, update_us = $6 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(&r.tenant_id)
        .bind(&r.id)
        .bind(&r.display_name)
        .bind(&r.rp_id)
        .bind(&r.rp_name)
        .bind(r.update_us);
        audited(
            &self.pool,
            update,
            Some(Resource::Realm),
            StoreError::from,
            a,
        )
        .await
    }

    async fn delete_realm(
        &self,
        tenant: &str,
        id: &str,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        if !exists(&mut tx, "realms", tenant, id).await? {
            return Err(StoreError::NotFound(Resource::Realm));
        }
        super::sessions::revoke_realm_in(&mut tx, tenant, id, a.create_us).await?;
        for sql in [
            "DELETE FROM group_members WHERE group_id IN \
             (SELECT id FROM user_groups WHERE tenant_id = $1 AND realm_id = $2)",
            "DELETE FROM group_members WHERE identity_id IN \
             (SELECT id FROM identities WHERE tenant_id = $1 AND realm_id = $2)",
            "DELETE FROM credentials WHERE tenant_id = $1 AND realm_id = $2",
            "DELETE FROM binding_jobs WHERE tenant_id = $1 AND realm_id = $2",
            "DELETE FROM binding_batches WHERE tenant_id = $1 AND realm_id = $2",
            "DELETE FROM ceremonies WHERE tenant_id = $1 AND realm_id = $2",
            "DELETE FROM sessions WHERE tenant_id = $1 AND realm_id = $2",
            "DELETE FROM identities WHERE tenant_id = $1 AND realm_id = $2",
            "DELETE FROM user_groups WHERE tenant_id = $1 AND realm_id = $2",
            "DELETE FROM realms WHERE tenant_id = $1 AND id = $2",
        ] {
            sqlx::query(sql)
                .bind(tenant)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }
}
