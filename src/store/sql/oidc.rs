//! [`OidcStore`]: the OpenID Connect provider's keys, grants and tokens (by hash).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::audit::insert as insert_audit;
use super::SqlStore;
use crate::store::{
    AuditRecord, OidcGrantRecord, OidcKeyRecord, OidcStore, OidcTokenFound, OidcTokenKind,
    OidcTokenRecord, OidcUse, StoreError,
};

fn key(row: &AnyRow) -> Result<OidcKeyRecord, sqlx::Error> {
    Ok(OidcKeyRecord {
        kid: row.try_get("kid")?,
        alg: row.try_get("alg")?,
        private_pkcs8: row.try_get("private_pkcs8")?,
        public_key: row.try_get("public_key")?,
        create_us: row.try_get("create_us")?,
        activate_us: row.try_get("activate_us")?,
    })
}

const FOUND_COLUMNS: &str = "t.token_hash, t.grant_id, t.kind, t.create_us AS t_create_us, \
     t.expire_us, t.use_us, g.id, g.tenant_id, g.realm_id, g.client_id, g.identity_id, \
     g.session_id, g.scope, g.nonce, g.redirect_uri, g.code_challenge, g.auth_us, g.amr, \
     g.create_us, g.revoke_us";

fn found(row: &AnyRow) -> Result<OidcTokenFound, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let kind = OidcTokenKind::parse(&kind).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: "kind".into(),
        source: format!("unknown token kind {kind:?}").into(),
    })?;
    Ok(OidcTokenFound {
        token: OidcTokenRecord {
            token_hash: row.try_get("token_hash")?,
            grant_id: row.try_get("grant_id")?,
            kind,
            create_us: row.try_get("t_create_us")?,
            expire_us: row.try_get("expire_us")?,
            use_us: row.try_get("use_us")?,
        },
        grant: OidcGrantRecord {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            realm_id: row.try_get("realm_id")?,
            client_id: row.try_get("client_id")?,
            identity_id: row.try_get("identity_id")?,
            session_id: row.try_get("session_id")?,
            scope: row.try_get("scope")?,
            nonce: row.try_get("nonce")?,
            redirect_uri: row.try_get("redirect_uri")?,
            code_challenge: row.try_get("code_challenge")?,
            auth_us: row.try_get("auth_us")?,
            amr: row.try_get("amr")?,
            create_us: row.try_get("create_us")?,
            revoke_us: row.try_get("revoke_us")?,
        },
    })
}

async fn insert_token(
    conn: &mut sqlx::AnyConnection,
    t: &OidcTokenRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO oidc_tokens (token_hash, grant_id, kind, create_us, expire_us, use_us) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&t.token_hash)
    .bind(&t.grant_id)
    .bind(t.kind.as_str())
    .bind(t.create_us)
    .bind(t.expire_us)
    .bind(t.use_us)
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl OidcStore for SqlStore {
    async fn list_oidc_keys(&self) -> Result<Vec<OidcKeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_pkcs8, public_key, create_us, activate_us FROM oidc_keys \
             ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(key).collect::<Result<_, _>>()?)
    }

    async fn insert_oidc_key(
        &self,
        k: &OidcKeyRecord,
        a: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        sqlx::query(
            "INSERT INTO oidc_keys (kid, alg, private_pkcs8, public_key, create_us, activate_us) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&k.kid)
        .bind(&k.alg)
        .bind(&k.private_pkcs8)
        .bind(&k.public_key)
        .bind(k.create_us)
        .bind(k.activate_us)
        .execute(&mut *tx)
        .await?;
        if let Some(a) = a {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_oidc_keys(&self, kids: &[String]) -> Result<(), StoreError> {
        super::keys::delete_kids(&self.pool, "oidc_keys", kids).await
    }

    async fn create_oidc_grant(
        &self,
        g: &OidcGrantRecord,
        code: &OidcTokenRecord,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        sqlx::query(
            "INSERT INTO oidc_grants (id, tenant_id, realm_id, client_id, identity_id, session_id, \
             scope, nonce, redirect_uri, code_challenge, auth_us, amr, create_us, revoke_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&g.id)
        .bind(&g.tenant_id)
        .bind(&g.realm_id)
        .bind(&g.client_id)
        .bind(&g.identity_id)
        .bind(&g.session_id)
        .bind(&g.scope)
        .bind(g.nonce.as_deref())
        .bind(&g.redirect_uri)
        .bind(g.code_challenge.as_deref())
        .bind(g.auth_us)
        .bind(&g.amr)
        .bind(g.create_us)
        .bind(g.revoke_us)
        .execute(&mut *tx)
        .await?;
        insert_token(&mut tx, code).await?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_oidc_tokens(
        &self,
        tokens: &[OidcTokenRecord],
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        for t in tokens {
            insert_token(&mut tx, t).await?;
        }
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_oidc_token(
        &self,
        token_hash: &str,
        kind: OidcTokenKind,
    ) -> Result<Option<OidcTokenFound>, StoreError> {
        let sql = format!(
            "SELECT {FOUND_COLUMNS} FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id \
             WHERE t.token_hash = $1 AND t.kind = $2"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .bind(kind.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(found).transpose()?)
    }

    async fn use_oidc_token(
        &self,
        token_hash: &str,
        kind: OidcTokenKind,
        now_us: i64,
    ) -> Result<OidcUse, StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE oidc_tokens SET use_us = $1 \
             WHERE token_hash = $2 AND kind = $3 AND use_us IS NULL",
        )
        .bind(now_us)
        .bind(token_hash)
        .bind(kind.as_str())
        .execute(&mut *tx)
        .await?;
        let sql = format!(
            "SELECT {FOUND_COLUMNS} FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id \
             WHERE t.token_hash = $1 AND t.kind = $2"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .bind(kind.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        let Some(f) = row.as_ref().map(found).transpose()? else {
            return Ok(OidcUse::Unknown);
        };
        Ok(if done.rows_affected() == 1 {
            OidcUse::First(f)
        } else {
            OidcUse::Replayed(f)
        })
    }

    async fn revoke_oidc_grant(
        &self,
        grant_id: &str,
        now_us: i64,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        sqlx::query("UPDATE oidc_grants SET revoke_us = $1 WHERE id = $2 AND revoke_us IS NULL")
            .bind(now_us)
            .bind(grant_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM oidc_tokens WHERE grant_id = $1")
            .bind(grant_id)
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_oidc_token(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM oidc_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn prune_oidc_tokens(&self, before_us: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM oidc_tokens WHERE expire_us < $1")
            .bind(before_us)
            .execute(&self.pool)
            .await?;
        // A grant with nothing left under it can never be used again.
        sqlx::query(
            "DELETE FROM oidc_grants WHERE create_us < $1 AND NOT EXISTS \
             (SELECT 1 FROM oidc_tokens t WHERE t.grant_id = oidc_grants.id)",
        )
        .bind(before_us)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
