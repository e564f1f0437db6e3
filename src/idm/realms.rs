//! Realms: the config file's `[[realms]]` synced into the store at start-up, and realms
//! created, changed and deleted through the API (config-declared ones cannot be deleted).

use super::audit::Change;
use super::error::about;
use super::fields;
use super::paging::{page_request, Listing};
use super::types::{Patch, Resource};
use super::{ids, views, Actor, Directory, IdmError};
use crate::config::Config;
use crate::store::RealmRecord;

const NAME_MAX: usize = 256;
const RP_ID_MAX: usize = 253;
const DEFAULT_RP_NAME: &str = "passgate";

/// A realm to create: `rp_name` defaults to `passgate`, `rp_id` to the auth host.
#[derive(Debug, Clone, Default)]
pub struct NewRealm {
    pub display_name: String,
    pub rp_id: Option<String>,
    pub rp_name: Option<String>,
}

/// What a realm PATCH changes (absent fields stay; none of them may be cleared).
#[derive(Debug, Clone, Default)]
pub struct RealmPatch {
    pub display_name: Patch<String>,
    pub rp_id: Patch<String>,
    pub rp_name: Patch<String>,
}

fn check_rp_id(field: &str, rp_id: &str, auth_host: &str) -> Result<String, IdmError> {
    fields::text(field, rp_id, RP_ID_MAX)?;
    let rp_id = rp_id.to_ascii_lowercase();
    if rp_id == auth_host || auth_host.ends_with(&format!(".{rp_id}")) {
        Ok(rp_id)
    } else {
        Err(IdmError::invalid(
            field,
            format!("must be the auth host \"{auth_host}\" or a parent domain of it"),
        ))
    }
}

/// A required name in a PATCH: `Some(new)`, `None` when absent; `null` is refused.
fn patched_name(field: &str, p: Patch<String>) -> Result<Option<String>, IdmError> {
    match p {
        Patch::Absent => Ok(None),
        Patch::Clear => Err(IdmError::invalid(field, "cannot be null")),
        Patch::Set(s) => {
            fields::name(field, &s, NAME_MAX)?;
            Ok(Some(s))
        }
    }
}

impl Directory {
    /// Makes the store's realms agree with the config file (run at start-up).
    pub async fn sync_config_realms(&self, config: &Config) -> Result<(), IdmError> {
        let now = self.now_us();
        let realms: Vec<RealmRecord> = config
            .realms
            .iter()
            .map(|r| RealmRecord {
                tenant_id: config.tenant_id.clone(),
                id: r.id.clone(),
                display_name: r.display_name.clone(),
                rp_id: r.rp_id.clone(),
                rp_name: r.rp_name.clone(),
                from_config: true,
                create_us: now,
                update_us: now,
            })
            .collect();
        self.store()
            .sync_config_realms(&config.tenant_id, &realms, now)
            .await?;
        Ok(())
    }

    /// The realm, or `NotFound` naming it.
    pub async fn realm_record(&self, tenant: &str, id: &str) -> Result<RealmRecord, IdmError> {
        self.store()
            .get_realm(tenant, id)
            .await
            .map_err(about(Resource::Realm, id))
    }

    pub async fn create_realm(
        &self,
        tenant: &str,
        actor: &Actor,
        auth_host: &str,
        new: NewRealm,
    ) -> Result<RealmRecord, IdmError> {
        fields::name("display_name", &new.display_name, NAME_MAX)?;
        let rp_name = match new.rp_name {
            Some(n) => {
                fields::name("rp_name", &n, NAME_MAX)?;
                n
            }
            None => DEFAULT_RP_NAME.to_string(),
        };
        let rp_id = match new.rp_id {
            Some(r) => check_rp_id("rp_id", &r, auth_host)?,
            None => auth_host.to_string(),
        };
        let now = self.now_us();
        let realm = RealmRecord {
            tenant_id: tenant.to_string(),
            id: ids::new_id()?,
            display_name: new.display_name,
            rp_id,
            rp_name,
            from_config: false,
            create_us: now,
            update_us: now,
        };
        let audit = self.audit(
            Change {
                tenant,
                realm: Some(&realm.id),
                actor,
                action: "realm.create",
                targets: vec![realm.id.clone()],
                before: None,
                after: None,
            }
            .after(&views::realm(&realm)),
        )?;
        self.store().create_realm(&realm, &audit).await?;
        Ok(realm)
    }

    pub async fn list_realms(
        &self,
        tenant: &str,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Listing<RealmRecord>, IdmError> {
        let page = page_request(page_size, page_token)?;
        Ok(self.store().list_realms(tenant, page).await?.into())
    }

    pub async fn patch_realm(
        &self,
        tenant: &str,
        id: &str,
        actor: &Actor,
        auth_host: &str,
        patch: RealmPatch,
    ) -> Result<RealmRecord, IdmError> {
        let display_name = patched_name("display_name", patch.display_name)?;
        let rp_name = patched_name("rp_name", patch.rp_name)?;
        let rp_id = match patched_name("rp_id", patch.rp_id)? {
            Some(r) => Some(check_rp_id("rp_id", &r, auth_host)?),
            None => None,
        };
        let before = self.realm_record(tenant, id).await?;
        let mut realm = before.clone();
        if let Some(v) = display_name {
            realm.display_name = v;
        }
        if let Some(v) = rp_name {
            realm.rp_name = v;
        }
        if let Some(v) = rp_id {
            realm.rp_id = v;
        }
        realm.update_us = self.now_us();
        let audit = self.audit(
            Change {
                tenant,
                realm: Some(id),
                actor,
                action: "realm.update",
                targets: vec![id.to_string()],
                before: None,
                after: None,
            }
            .before(&views::realm(&before))
            .after(&views::realm(&realm)),
        )?;
        self.store().update_realm(&realm, &audit).await?;
        Ok(realm)
    }

    pub async fn delete_realm(
        &self,
        tenant: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<(), IdmError> {
        let realm = self.realm_record(tenant, id).await?;
        if realm.from_config {
            return Err(IdmError::conflict(format!(
                "realm \"{id}\" is declared in the config file; remove it there instead"
            )));
        }
        let audit = self.audit(
            Change {
                tenant,
                realm: Some(id),
                actor,
                action: "realm.delete",
                targets: vec![id.to_string()],
                before: None,
                after: None,
            }
            .before(&views::realm(&realm)),
        )?;
        self.store().delete_realm(tenant, id, &audit).await?;
        Ok(())
    }
}
