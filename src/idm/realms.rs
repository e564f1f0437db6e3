//! Realms: the config file's `[[realms]]` synced into the store at start-up, and realms
//! created, changed and deleted through the API (config-declared ones cannot be deleted).

use serde_json::{json, Value};

use super::audit::Change;
use super::clock::rfc3339;
use super::fields::{non_blank, Object, Patch};
use super::paging::{list_json, page_request};
use super::{ids, Actor, Directory, IdmError};
use crate::config::Config;
use crate::store::RealmRecord;

const NAME_MAX: usize = 256;
const RP_ID_MAX: usize = 253;

pub fn realm_json(r: &RealmRecord) -> Value {
    json!({
        "id": r.id,
        "tenant_id": r.tenant_id,
        "display_name": r.display_name,
        "rp_id": r.rp_id,
        "rp_name": r.rp_name,
        "create_time": rfc3339(r.create_us),
        "update_time": rfc3339(r.update_us),
    })
}

/// The tenant is the deployment itself (`tenant_id` in the config).
pub fn tenant_json(tenant: &str) -> Value {
    json!({ "id": tenant, "display_name": tenant })
}

/// Fields a client may echo back but never sets.
const OUTPUT_ONLY: &[&str] = &["id", "tenant_id", "create_time", "update_time"];

fn check_rp_id(field: &str, rp_id: String, auth_host: &str) -> Result<String, IdmError> {
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

    pub async fn create_realm(
        &self,
        tenant: &str,
        actor: &Actor,
        auth_host: &str,
        body: Value,
    ) -> Result<Value, IdmError> {
        let mut top = Object::new(body, "")?;
        let mut input = top.object("realm")?;
        top.finish()?;
        input.ignore(OUTPUT_ONLY);
        let display_name = input.required_string("display_name", NAME_MAX)?;
        let display_name = non_blank(&input.field("display_name"), display_name)?;
        let rp_name = match input.string("rp_name", NAME_MAX)? {
            Patch::Set(s) => non_blank(&input.field("rp_name"), s)?,
            _ => "passgate".to_string(),
        };
        let rp_id = match input.string("rp_id", RP_ID_MAX)? {
            Patch::Set(s) => check_rp_id(&input.field("rp_id"), s, auth_host)?,
            _ => auth_host.to_string(),
        };
        input.finish()?;
        let now = self.now_us();
        let realm = RealmRecord {
            tenant_id: tenant.to_string(),
            id: ids::new_id()?,
            display_name,
            rp_id,
            rp_name,
            from_config: false,
            create_us: now,
            update_us: now,
        };
        let after = realm_json(&realm);
        let audit = self.audit(Change {
            tenant,
            realm: Some(&realm.id),
            actor,
            action: "realm.create",
            targets: vec![realm.id.clone()],
            before: None,
            after: Some(after.clone()),
        })?;
        self.store().create_realm(&realm, &audit).await?;
        Ok(after)
    }

    pub async fn get_realm(&self, tenant: &str, id: &str) -> Result<Value, IdmError> {
        Ok(realm_json(&self.store().get_realm(tenant, id).await?))
    }

    pub async fn list_realms(
        &self,
        tenant: &str,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Value, IdmError> {
        let page = page_request(page_size, page_token)?;
        let realms = self.store().list_realms(tenant, page).await?;
        Ok(list_json("realms", realms, realm_json))
    }

    pub async fn patch_realm(
        &self,
        tenant: &str,
        id: &str,
        actor: &Actor,
        auth_host: &str,
        body: Value,
    ) -> Result<Value, IdmError> {
        let mut top = Object::new(body, "")?;
        let mut input = top.object("realm")?;
        top.finish()?;
        input.ignore(OUTPUT_ONLY);
        let before = self.store().get_realm(tenant, id).await?;
        let mut realm = before.clone();
        for (key, max) in [
            ("display_name", NAME_MAX),
            ("rp_name", NAME_MAX),
            ("rp_id", RP_ID_MAX),
        ] {
            let field = input.field(key);
            let value = match input.string(key, max)? {
                Patch::Absent => continue,
                Patch::Clear => return Err(IdmError::invalid(field, "cannot be null")),
                Patch::Set(s) => non_blank(&field, s)?,
            };
            match key {
                "display_name" => realm.display_name = value,
                "rp_name" => realm.rp_name = value,
                _ => realm.rp_id = check_rp_id(&field, value, auth_host)?,
            }
        }
        input.finish()?;
        realm.update_us = self.now_us();
        let after = realm_json(&realm);
        let audit = self.audit(Change {
            tenant,
            realm: Some(id),
            actor,
            action: "realm.update",
            targets: vec![id.to_string()],
            before: Some(realm_json(&before)),
            after: Some(after.clone()),
        })?;
        self.store().update_realm(&realm, &audit).await?;
        Ok(after)
    }

    pub async fn delete_realm(
        &self,
        tenant: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<(), IdmError> {
        let realm = self.store().get_realm(tenant, id).await?;
        if realm.from_config {
            return Err(IdmError::Conflict(format!(
                "realm \"{id}\" is declared in the config file; remove it there instead"
            )));
        }
        let audit = self.audit(Change {
            tenant,
            realm: Some(id),
            actor,
            action: "realm.delete",
            targets: vec![id.to_string()],
            before: Some(realm_json(&realm)),
            after: None,
        })?;
        self.store().delete_realm(tenant, id, &audit).await?;
        Ok(())
    }
}
