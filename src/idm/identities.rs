//! Identities: create (username unique per realm, case-insensitive), get, list with paging
//! and a trait filter, PATCH with field-mask semantics, delete and batch delete.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::clock::rfc3339;
use super::fields::{check_string, non_blank, Object, Patch};
use super::paging::{list_json, page_request};
use super::{filter, ids, Directory, IdmError, Scope};
use crate::store::IdentityRecord;

pub const USERNAME_MAX: usize = 128;
pub const NAME_MAX: usize = 256;
pub const EMAIL_MAX: usize = 320;
pub const EXTRA_TRAIT_MAX: usize = 1024;
pub const EXTRA_TRAITS_MAX: usize = 32;
/// Most ids one batch request may name.
pub const BATCH_MAX: usize = 1000;
pub const ID_MAX: usize = 64;

const OUTPUT_ONLY: &[&str] = &[
    "id",
    "tenant_id",
    "realm_id",
    "enrollment_status",
    "create_time",
    "update_time",
];
const TRAITS_TYPE: &str = "traits_v0";

pub fn identity_json(i: &IdentityRecord) -> Value {
    let mut traits = Map::new();
    traits.insert("type".into(), TRAITS_TYPE.into());
    traits.insert("username".into(), i.username.clone().into());
    for (key, value) in [
        ("primary_email_address", &i.primary_email_address),
        ("external_id", &i.external_id),
        ("given_name", &i.given_name),
        ("family_name", &i.family_name),
    ] {
        if let Some(v) = value {
            traits.insert(key.into(), v.clone().into());
        }
    }
    if let Ok(Value::Object(extra)) = serde_json::from_str::<Value>(&i.extra_traits) {
        traits.extend(extra);
    }
    json!({
        "id": i.id,
        "realm_id": i.realm_id,
        "tenant_id": i.tenant_id,
        "display_name": i.display_name,
        "status": i.status,
        "enrollment_status": i.enrollment_status,
        "create_time": rfc3339(i.create_us),
        "update_time": rfc3339(i.update_us),
        "traits": traits,
    })
}

/// The parts of an identity a request sets; absent fields stay as they are.
#[derive(Default)]
struct IdentityPatch {
    display_name: Option<String>,
    status: Option<String>,
    username: Option<String>,
    email: Patch<String>,
    external_id: Patch<String>,
    given_name: Patch<String>,
    family_name: Patch<String>,
    extra: BTreeMap<String, Option<String>>,
}

fn apply(slot: &mut Option<String>, p: Patch<String>) {
    match p {
        Patch::Absent => {}
        Patch::Clear => *slot = None,
        Patch::Set(v) => *slot = Some(v),
    }
}

fn check_email(field: &str, p: Patch<String>) -> Result<Patch<String>, IdmError> {
    if let Patch::Set(e) = &p {
        let ok = e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        }) && !e.chars().any(char::is_whitespace);
        if !ok {
            return Err(IdmError::invalid(field, "must be an email address"));
        }
    }
    Ok(p)
}

fn is_trait_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_patch(mut input: Object) -> Result<IdentityPatch, IdmError> {
    input.ignore(OUTPUT_ONLY);
    let mut p = IdentityPatch::default();
    match input.string("display_name", NAME_MAX)? {
        Patch::Set(s) => p.display_name = Some(non_blank(&input.field("display_name"), s)?),
        Patch::Clear => {
            return Err(IdmError::invalid(
                input.field("display_name"),
                "cannot be null",
            ))
        }
        Patch::Absent => {}
    }
    match input.string("status", 16)? {
        Patch::Set(s) if s == "active" || s == "suspended" => p.status = Some(s),
        Patch::Absent => {}
        _ => {
            return Err(IdmError::invalid(
                input.field("status"),
                "must be \"active\" or \"suspended\"",
            ))
        }
    }
    if let Some(mut traits) = input.opt_object("traits")? {
        match traits.string("type", 32)? {
            Patch::Absent => {}
            Patch::Set(t) if t == TRAITS_TYPE => {}
            _ => {
                return Err(IdmError::invalid(
                    traits.field("type"),
                    "must be \"traits_v0\"",
                ))
            }
        }
        match traits.string("username", USERNAME_MAX)? {
            Patch::Set(u) => {
                let field = traits.field("username");
                let u = non_blank(&field, u)?;
                if u.trim() != u {
                    return Err(IdmError::invalid(
                        field,
                        "must not start or end with spaces",
                    ));
                }
                p.username = Some(u);
            }
            Patch::Clear => {
                return Err(IdmError::invalid(
                    traits.field("username"),
                    "cannot be null",
                ))
            }
            Patch::Absent => {}
        }
        let email = traits.string("primary_email_address", EMAIL_MAX)?;
        p.email = check_email(&traits.field("primary_email_address"), email)?;
        p.external_id = traits.string("external_id", NAME_MAX)?;
        p.given_name = traits.string("given_name", NAME_MAX)?;
        p.family_name = traits.string("family_name", NAME_MAX)?;
        for (k, v) in traits.drain() {
            let field = traits.field(&k);
            if !is_trait_name(&k) {
                return Err(IdmError::invalid(
                    field,
                    "trait names start with a letter and hold letters, digits and _ (64 at most)",
                ));
            }
            let value = match v {
                Value::Null => None,
                v => Some(check_string(&field, v, EXTRA_TRAIT_MAX)?),
            };
            p.extra.insert(k, value);
        }
    }
    input.finish()?;
    Ok(p)
}

/// Applies `p` to `i`; `field` names the traits object for errors about extra traits.
fn merge(i: &mut IdentityRecord, p: IdentityPatch) -> Result<(), IdmError> {
    if let Some(v) = p.display_name {
        i.display_name = v;
    }
    if let Some(v) = p.status {
        i.status = v;
    }
    if let Some(v) = p.username {
        i.username = v;
    }
    apply(&mut i.primary_email_address, p.email);
    apply(&mut i.external_id, p.external_id);
    apply(&mut i.given_name, p.given_name);
    apply(&mut i.family_name, p.family_name);
    let mut extra: BTreeMap<String, String> =
        serde_json::from_str(&i.extra_traits).unwrap_or_default();
    for (k, v) in p.extra {
        match v {
            Some(v) => extra.insert(k, v),
            None => extra.remove(&k),
        };
    }
    if extra.len() > EXTRA_TRAITS_MAX {
        return Err(IdmError::invalid(
            "identity.traits",
            format!("at most {EXTRA_TRAITS_MAX} extra traits"),
        ));
    }
    i.extra_traits =
        serde_json::to_string(&extra).map_err(|e| IdmError::Internal(e.to_string()))?;
    Ok(())
}

/// `{"identity_ids": [...]}` with 1 to 1000 ids.
pub fn parse_id_list(body: Value) -> Result<Vec<String>, IdmError> {
    let mut top = Object::new(body, "")?;
    let ids = top
        .string_list("identity_ids", BATCH_MAX, ID_MAX)?
        .ok_or_else(|| IdmError::invalid("identity_ids", "is required"))?;
    top.finish()?;
    Ok(ids)
}

impl Directory {
    pub async fn create_identity(&self, at: &Scope<'_>, body: Value) -> Result<Value, IdmError> {
        let mut top = Object::new(body, "")?;
        let input = top.object("identity")?;
        top.finish()?;
        let patch = parse_patch(input)?;
        let Some(username) = patch.username.clone() else {
            return Err(IdmError::invalid("identity.traits.username", "is required"));
        };
        self.store().get_realm(at.tenant, at.realm).await?;
        let now = self.now_us();
        let mut identity = IdentityRecord {
            id: ids::new_id()?,
            tenant_id: at.tenant.to_string(),
            realm_id: at.realm.to_string(),
            display_name: username.clone(),
            status: "active".into(),
            enrollment_status: "UNENROLLED".into(),
            username,
            primary_email_address: None,
            external_id: None,
            given_name: None,
            family_name: None,
            extra_traits: "{}".into(),
            create_us: now,
            update_us: now,
        };
        merge(&mut identity, patch)?;
        let after = identity_json(&identity);
        let audit = self.audit(at.change(
            "identity.create",
            vec![identity.id.clone()],
            None,
            Some(after.clone()),
        ))?;
        self.store().create_identity(&identity, &audit).await?;
        Ok(after)
    }

    pub async fn get_identity(&self, at: &Scope<'_>, id: &str) -> Result<Value, IdmError> {
        let i = self.store().get_identity(at.tenant, at.realm, id).await?;
        Ok(identity_json(&i))
    }

    /// Finds an identity by username (case-insensitive) in the realm.
    pub async fn find_by_username(
        &self,
        at: &Scope<'_>,
        username: &str,
    ) -> Result<IdentityRecord, IdmError> {
        Ok(self
            .store()
            .find_identity_by_username(at.tenant, at.realm, username)
            .await?)
    }

    pub async fn list_identities(
        &self,
        at: &Scope<'_>,
        page_size: Option<&str>,
        page_token: Option<&str>,
        filter: Option<&str>,
    ) -> Result<Value, IdmError> {
        let page = page_request(page_size, page_token)?;
        let filter = filter
            .filter(|f| !f.is_empty())
            .map(filter::parse)
            .transpose()?;
        self.store().get_realm(at.tenant, at.realm).await?;
        let found = self
            .store()
            .list_identities(at.tenant, at.realm, filter.as_ref(), page)
            .await?;
        Ok(list_json("identities", found, identity_json))
    }

    pub async fn patch_identity(
        &self,
        at: &Scope<'_>,
        id: &str,
        body: Value,
    ) -> Result<Value, IdmError> {
        let mut top = Object::new(body, "")?;
        let input = top.object("identity")?;
        top.finish()?;
        let patch = parse_patch(input)?;
        let before = self.store().get_identity(at.tenant, at.realm, id).await?;
        let mut identity = before.clone();
        merge(&mut identity, patch)?;
        identity.update_us = self.now_us();
        let after = identity_json(&identity);
        let audit = self.audit(at.change(
            "identity.update",
            vec![id.to_string()],
            Some(identity_json(&before)),
            Some(after.clone()),
        ))?;
        self.store().update_identity(&identity, &audit).await?;
        if identity.status == "suspended" {
            self.sessions_ended(&identity.id);
        }
        Ok(after)
    }

    pub async fn delete_identity(&self, at: &Scope<'_>, id: &str) -> Result<(), IdmError> {
        self.delete_identities(at, vec![id.to_string()], "identity.delete")
            .await
    }

    /// `:batchDelete`: all of them or, when one does not exist, none.
    pub async fn batch_delete_identities(
        &self,
        at: &Scope<'_>,
        body: Value,
    ) -> Result<(), IdmError> {
        let ids = parse_id_list(body)?;
        self.delete_identities(at, ids, "identity.batch_delete")
            .await
    }

    async fn delete_identities(
        &self,
        at: &Scope<'_>,
        mut ids: Vec<String>,
        action: &str,
    ) -> Result<(), IdmError> {
        ids.sort();
        ids.dedup();
        self.store().get_realm(at.tenant, at.realm).await?;
        let audit = self.audit(at.change(action, ids.clone(), None, None))?;
        self.store()
            .delete_identities(at.tenant, at.realm, &ids, &audit)
            .await?;
        for id in &ids {
            self.sessions_ended(id);
        }
        Ok(())
    }
}
