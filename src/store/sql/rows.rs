//! Column lists and row decoding for every record type (one place per table).

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::store::records::*;

pub(super) const REALM_COLUMNS: &str = "r.tenant_id, r.id, r.display_name, r.rp_id, r.rp_name, \
     r.from_config, r.create_us, r.update_us";

pub(super) fn realm(row: &AnyRow) -> Result<RealmRecord, sqlx::Error> {
    Ok(RealmRecord {
        tenant_id: row.try_get("tenant_id")?,
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        rp_id: row.try_get("rp_id")?,
        rp_name: row.try_get("rp_name")?,
        from_config: row.try_get::<i64, _>("from_config")? != 0,
        create_us: row.try_get("create_us")?,
        update_us: row.try_get("update_us")?,
    })
}

pub(super) const IDENTITY_COLUMNS: &str = "i.id, i.tenant_id, i.realm_id, i.display_name, \
     i.status, i.enrollment_status, i.username, i.primary_email_address, i.external_id, \
     i.given_name, i.family_name, i.extra_traits, i.create_us, i.update_us";

pub(super) fn identity(row: &AnyRow) -> Result<IdentityRecord, sqlx::Error> {
    Ok(IdentityRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        display_name: row.try_get("display_name")?,
        status: row.try_get("status")?,
        enrollment_status: row.try_get("enrollment_status")?,
        username: row.try_get("username")?,
        primary_email_address: row.try_get("primary_email_address")?,
        external_id: row.try_get("external_id")?,
        given_name: row.try_get("given_name")?,
        family_name: row.try_get("family_name")?,
        extra_traits: row.try_get("extra_traits")?,
        create_us: row.try_get("create_us")?,
        update_us: row.try_get("update_us")?,
    })
}

pub(super) const GROUP_COLUMNS: &str =
    "g.id, g.tenant_id, g.realm_id, g.display_name, g.description, g.create_us, g.update_us";

pub(super) fn group(row: &AnyRow) -> Result<GroupRecord, sqlx::Error> {
    Ok(GroupRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        create_us: row.try_get("create_us")?,
        update_us: row.try_get("update_us")?,
    })
}

pub(super) const TOKEN_COLUMNS: &str = "t.id, t.tenant_id, t.realm_id, t.name, t.scopes, \
     t.secret_hash, t.create_us, t.expire_us, t.revoke_us";

pub(super) fn token(row: &AnyRow) -> Result<ApiTokenRecord, sqlx::Error> {
    Ok(ApiTokenRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        name: row.try_get("name")?,
        scopes: row.try_get("scopes")?,
        secret_hash: row.try_get("secret_hash")?,
        create_us: row.try_get("create_us")?,
        expire_us: row.try_get("expire_us")?,
        revoke_us: row.try_get("revoke_us")?,
    })
}

pub(super) const AUDIT_COLUMNS: &str = "a.id, a.tenant_id, a.realm_id, a.actor, a.action, \
     a.target_ids, a.before_state, a.after_state, a.create_us";

pub(super) fn audit(row: &AnyRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target_ids: row.try_get("target_ids")?,
        before: row.try_get("before_state")?,
        after: row.try_get("after_state")?,
        create_us: row.try_get("create_us")?,
    })
}
