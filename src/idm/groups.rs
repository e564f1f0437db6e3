//! Groups: CRUD, members added and removed in one transaction per request, member lists
//! and an identity's groups.

use serde_json::{json, Value};

use super::clock::rfc3339;
use super::fields::{non_blank, Object, Patch};
use super::identities::{identity_json, parse_id_list, BATCH_MAX, ID_MAX};
use super::paging::{list_json, page_request};
use super::{ids, Directory, IdmError, Scope};
use crate::store::GroupRecord;

const NAME_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1024;
const OUTPUT_ONLY: &[&str] = &["id", "tenant_id", "realm_id", "create_time", "update_time"];

pub fn group_json(g: &GroupRecord) -> Value {
    json!({
        "id": g.id,
        "realm_id": g.realm_id,
        "tenant_id": g.tenant_id,
        "display_name": g.display_name,
        "description": g.description,
        "create_time": rfc3339(g.create_us),
        "update_time": rfc3339(g.update_us),
    })
}

impl Directory {
    /// `{"group": {"display_name", "description"}, "identity_ids": [...]}`: the group and its
    /// first members in one transaction.
    pub async fn create_group(&self, at: &Scope<'_>, body: Value) -> Result<Value, IdmError> {
        let mut top = Object::new(body, "")?;
        let mut input = top.object("group")?;
        let members = top
            .string_list("identity_ids", BATCH_MAX, ID_MAX)?
            .unwrap_or_default();
        top.finish()?;
        input.ignore(OUTPUT_ONLY);
        let display_name = input.required_string("display_name", NAME_MAX)?;
        let display_name = non_blank(&input.field("display_name"), display_name)?;
        let description = match input.string("description", DESCRIPTION_MAX)? {
            Patch::Set(s) => s,
            _ => String::new(),
        };
        input.finish()?;
        self.store().get_realm(at.tenant, at.realm).await?;
        let now = self.now_us();
        let group = GroupRecord {
            id: ids::new_id()?,
            tenant_id: at.tenant.to_string(),
            realm_id: at.realm.to_string(),
            display_name,
            description,
            create_us: now,
            update_us: now,
        };
        let after = group_json(&group);
        let mut targets = vec![group.id.clone()];
        targets.extend(members.iter().cloned());
        let audit = self.audit(at.change("group.create", targets, None, Some(after.clone())))?;
        self.store().create_group(&group, &members, &audit).await?;
        Ok(after)
    }

    pub async fn get_group(&self, at: &Scope<'_>, id: &str) -> Result<Value, IdmError> {
        Ok(group_json(
            &self.store().get_group(at.tenant, at.realm, id).await?,
        ))
    }

    pub async fn list_groups(
        &self,
        at: &Scope<'_>,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Value, IdmError> {
        let page = page_request(page_size, page_token)?;
        self.store().get_realm(at.tenant, at.realm).await?;
        let groups = self.store().list_groups(at.tenant, at.realm, page).await?;
        Ok(list_json("groups", groups, group_json))
    }

    pub async fn patch_group(
        &self,
        at: &Scope<'_>,
        id: &str,
        body: Value,
    ) -> Result<Value, IdmError> {
        let mut top = Object::new(body, "")?;
        let mut input = top.object("group")?;
        top.finish()?;
        input.ignore(OUTPUT_ONLY);
        let before = self.store().get_group(at.tenant, at.realm, id).await?;
        let mut group = before.clone();
        match input.string("display_name", NAME_MAX)? {
            Patch::Set(s) => group.display_name = non_blank(&input.field("display_name"), s)?,
            Patch::Clear => {
                return Err(IdmError::invalid(
                    input.field("display_name"),
                    "cannot be null",
                ))
            }
            Patch::Absent => {}
        }
        match input.string("description", DESCRIPTION_MAX)? {
            Patch::Set(s) => group.description = s,
            Patch::Clear => group.description = String::new(),
            Patch::Absent => {}
        }
        input.finish()?;
        group.update_us = self.now_us();
        let after = group_json(&group);
        let audit = self.audit(at.change(
            "group.update",
            vec![id.to_string()],
            Some(group_json(&before)),
            Some(after.clone()),
        ))?;
        self.store().update_group(&group, &audit).await?;
        Ok(after)
    }

    pub async fn delete_group(&self, at: &Scope<'_>, id: &str) -> Result<(), IdmError> {
        let group = self.store().get_group(at.tenant, at.realm, id).await?;
        let audit = self.audit(at.change(
            "group.delete",
            vec![id.to_string()],
            Some(group_json(&group)),
            None,
        ))?;
        self.store()
            .delete_group(at.tenant, at.realm, id, &audit)
            .await?;
        Ok(())
    }

    /// `:addMembers` / `:deleteMembers` with `{"identity_ids": [...]}`; returns the group.
    pub async fn change_members(
        &self,
        at: &Scope<'_>,
        id: &str,
        add: bool,
        body: Value,
    ) -> Result<Value, IdmError> {
        let ids = parse_id_list(body)?;
        let group = self.store().get_group(at.tenant, at.realm, id).await?;
        let mut targets = vec![group.id.clone()];
        targets.extend(ids.iter().cloned());
        let action = if add {
            "group.add_members"
        } else {
            "group.delete_members"
        };
        let audit = self.audit(at.change(action, targets, None, None))?;
        if add {
            self.store()
                .add_members(&group, &ids, self.now_us(), &audit)
                .await?;
        } else {
            self.store().delete_members(&group, &ids, &audit).await?;
        }
        Ok(group_json(&group))
    }

    pub async fn list_members(
        &self,
        at: &Scope<'_>,
        id: &str,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Value, IdmError> {
        let page = page_request(page_size, page_token)?;
        let group = self.store().get_group(at.tenant, at.realm, id).await?;
        let members = self.store().list_members(&group, page).await?;
        Ok(list_json("identities", members, identity_json))
    }

    pub async fn list_identity_groups(
        &self,
        at: &Scope<'_>,
        id: &str,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Value, IdmError> {
        let page = page_request(page_size, page_token)?;
        let identity = self.store().get_identity(at.tenant, at.realm, id).await?;
        let groups = self.store().list_identity_groups(&identity, page).await?;
        Ok(list_json("groups", groups, group_json))
    }
}
