//! [`SessionStore`]: server-side sessions and the revocation feed (written in the same
//! transaction as the revocation, also by identity suspension, deletion and realm deletion).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::rows::spelled;
use super::{audit, SqlStore};
use crate::idm::types::{Resource, RevocationKind};
use crate::store::{
    AuditRecord, RevocationRecord, RevokeTarget, SessionRecord, SessionStore, StoreError,
};

const SESSION_COLUMNS: &str = "id, tenant_id, realm_id, identity_id, create_us, expire_us, \
     revoke_us, auth_us, last_seen_us, amr, credential_id";

fn session(row: &AnyRow) -> Result<SessionRecord, sqlx::Error> {
    Ok(SessionRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        identity_id: row.try_get("identity_id")?,
        create_us: row.try_get("create_us")?,
        expire_us: row.try_get("expire_us")?,
        revoke_us: row.try_get("revoke_us")?,
        auth_us: row.try_get("auth_us")?,
        last_seen_us: row.try_get("last_seen_us")?,
        amr: row.try_get("amr")?,
        credential_id: row.try_get("credential_id")?,
    })
}

async fn feed(
    conn: &mut AnyConnection,
    kind: RevocationKind,
    id: &str,
    now_us: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO revocations (kind, target_id, create_us) VALUES ($1, $2, $3)")
        .bind(kind.as_str())
        .bind(id)
        .bind(now_us)
        .execute(conn)
        .await?;
    Ok(())
}

/// The statement that inserts `s` (alone, or inside a sign-in's transaction).
pub(super) fn session_insert(
    s: &SessionRecord,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(
        "INSERT INTO sessions (id, tenant_id, realm_id, identity_id, create_us, expire_us, \
         revoke_us, auth_us, last_seen_us, amr, credential_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&s.id)
    .bind(&s.tenant_id)
    .bind(&s.realm_id)
    .bind(&s.identity_id)
    .bind(s.create_us)
    .bind(s.expire_us)
    .bind(s.revoke_us)
    .bind(s.auth_us)
    .bind(s.last_seen_us)
    .bind(&s.amr)
    .bind(&s.credential_id)
}

/// Revokes inside an open transaction (also used by identity suspension and deletion).
pub(super) async fn revoke_in(
    conn: &mut AnyConnection,
    target: &RevokeTarget,
    now_us: i64,
) -> Result<Vec<String>, StoreError> {
    let (column, value) = match target {
        RevokeTarget::Session(id) => ("id", id),
        RevokeTarget::Identity(id) => ("identity_id", id),
        RevokeTarget::Credential(id) => ("credential_id", id),
    };
    let select = format!(
        "SELECT id FROM sessions WHERE {column} = $1 AND revoke_us IS NULL AND expire_us > $2 \
         ORDER BY seq"
    );
    let ids: Vec<String> = sqlx::query(&select)
        .bind(value)
        .bind(now_us)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    let update =
        format!("UPDATE sessions SET revoke_us = $2 WHERE {column} = $1 AND revoke_us IS NULL");
    sqlx::query(&update)
        .bind(value)
        .bind(now_us)
        .execute(&mut *conn)
        .await?;
    match target {
        RevokeTarget::Identity(id) => feed(conn, RevocationKind::Identity, id, now_us).await?,
        _ => {
            for id in &ids {
                feed(conn, RevocationKind::Session, id, now_us).await?;
            }
        }
    }
    Ok(ids)
}

/// Feed entries for every identity of a realm (before the realm is deleted).
pub(super) async fn revoke_realm_in(
    conn: &mut AnyConnection,
    tenant: &str,
    realm: &str,
    now_us: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO revocations (kind, target_id, create_us) SELECT $4, id, $3 \
         FROM identities WHERE tenant_id = $1 AND realm_id = $2",
    )
    .bind(tenant)
    .bind(realm)
    .bind(now_us)
    .bind(RevocationKind::Identity.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn create_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        session_insert(s).execute(&self.pool).await?;
        Ok(())
    }

    async fn get_session(&self, id: &str) -> Result<SessionRecord, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound(Resource::Session))?;
        Ok(session(&row)?)
    }

    async fn touch_session(&self, id: &str, now_us: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_us = $2 WHERE id = $1 AND last_seen_us < $2")
            .bind(id)
            .bind(now_us)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn count_live_sessions(&self, now_us: i64) -> Result<i64, StoreError> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) FROM sessions WHERE revoke_us IS NULL AND expire_us > $1")
                .bind(now_us)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
        Ok(n)
    }

    async fn list_live_sessions(
        &self,
        identity_id: &str,
        now_us: i64,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE identity_id = $1 \
             AND revoke_us IS NULL AND expire_us > $2 ORDER BY seq"
        );
        let rows = sqlx::query(&sql)
            .bind(identity_id)
            .bind(now_us)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(session).collect::<Result<_, _>>()?)
    }

    async fn revoke_sessions(
        &self,
        target: &RevokeTarget,
        now_us: i64,
        a: Option<&AuditRecord>,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        let ids = revoke_in(&mut tx, target, now_us).await?;
        if let Some(a) = a {
            audit::insert(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn revocations_since(
        &self,
        after_seq: i64,
        since_us: i64,
    ) -> Result<Vec<RevocationRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, target_id, create_us FROM revocations \
             WHERE seq > $1 OR create_us >= $2 ORDER BY seq",
        )
        .bind(after_seq)
        .bind(since_us)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RevocationRecord {
                    seq: r.try_get("seq")?,
                    kind: spelled(r, "kind", RevocationKind::parse)?,
                    target_id: r.try_get("target_id")?,
                    create_us: r.try_get("create_us")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn prune_sessions(&self, before_us: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM revocations WHERE create_us < $1")
            .bind(before_us)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE expire_us < $1 OR revoke_us < $1")
            .bind(before_us)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
