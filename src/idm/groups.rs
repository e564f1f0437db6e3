//! Groups: create (with first members), get, list, one typed change ([`GroupPatch`]),
//! delete, members added, removed or replaced (each one transaction that moves the group's
//! version on), member lists and an identity's groups. Every change can be made to apply
//! only to an expected version (SCIM's `If-Match`).

use super::error::about;
use super::fields;
use super::identities::{BATCH_MAX, ID_MAX};
use super::paging::{page_request, Listing};
use super::types::{Patch, Resource};
use super::{ids, views, Context, Directory, IdmError, ResourceRef};
use crate::store::{GroupRecord, IdentityRecord, MemberChange, StoreError};

const NAME_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1024;
/// How often a change without an expected version re-reads after losing a race.
const RETRIES: usize = 3;

/// A group to create, with its first members (up to 1,000, all in the realm).
#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    pub display_name: String,
    pub description: Option<String>,
    pub members: Vec<String>,
}

/// One change to a group: only what is not `Absent` changes (`description: Clear` empties
/// it). With `expected_version`, only at that version.
#[derive(Debug, Clone, Default)]
pub struct GroupPatch {
    pub expected_version: Option<i64>,
    pub display_name: Patch<String>,
    pub description: Patch<String>,
}

/// How a membership change moves the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Membership {
    Add,
    Remove,
    Replace,
}

impl Membership {
    fn action(self) -> &'static str {
        match self {
            Membership::Add => "group.add_members",
            Membership::Remove => "group.delete_members",
            Membership::Replace => "group.replace_members",
        }
    }
}

fn stale(id: &str, expected: i64, current: i64) -> IdmError {
    IdmError::PreconditionFailed {
        resource: ResourceRef::new(Resource::Group, id),
        expected,
        current,
    }
}

impl Directory {
    /// The group, or `NotFound` naming it.
    pub async fn group(&self, at: &Context<'_>, id: &str) -> Result<GroupRecord, IdmError> {
        self.store()
            .get_group(at.tenant, at.realm, id)
            .await
            .map_err(about(Resource::Group, id))
    }

    /// The group and its first members, in one transaction (an unknown member: no group).
    pub async fn create_group(
        &self,
        at: &Context<'_>,
        new: NewGroup,
    ) -> Result<GroupRecord, IdmError> {
        fields::name("display_name", &new.display_name, NAME_MAX)?;
        if let Some(d) = &new.description {
            fields::text("description", d, DESCRIPTION_MAX)?;
        }
        if !new.members.is_empty() {
            fields::id_list("identity_ids", &new.members, BATCH_MAX, ID_MAX)?;
        }
        self.realm_record(at.tenant, at.realm).await?;
        let now = self.now_us();
        let group = GroupRecord {
            id: ids::new_id()?,
            tenant_id: at.tenant.to_string(),
            realm_id: at.realm.to_string(),
            display_name: new.display_name,
            description: new.description.unwrap_or_default(),
            version: 1,
            create_us: now,
            update_us: now,
        };
        let mut targets = vec![group.id.clone()];
        targets.extend(new.members.iter().cloned());
        let audit = self.audit(
            at.change("group.create", targets)
                .after(&views::group(&group)),
        )?;
        self.store()
            .create_group(&group, &new.members, &audit)
            .await?;
        Ok(group)
    }

    pub async fn list_groups(
        &self,
        at: &Context<'_>,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Listing<GroupRecord>, IdmError> {
        let page = page_request(page_size, page_token)?;
        self.realm_record(at.tenant, at.realm).await?;
        Ok(self
            .store()
            .list_groups(at.tenant, at.realm, page)
            .await?
            .into())
    }

    /// The one typed change to a group's fields (see [`GroupPatch`]).
    pub async fn patch_group(
        &self,
        at: &Context<'_>,
        id: &str,
        patch: GroupPatch,
    ) -> Result<GroupRecord, IdmError> {
        self.rewrite_group(at, id, patch, None).await
    }

    /// [`GroupPatch`] and, with `members`, exactly those members (SCIM's PUT and PATCH):
    /// one transaction, so either all of it applies or none (an unknown member: nothing).
    pub async fn rewrite_group(
        &self,
        at: &Context<'_>,
        id: &str,
        patch: GroupPatch,
        members: Option<Vec<String>>,
    ) -> Result<GroupRecord, IdmError> {
        match &patch.display_name {
            Patch::Set(n) => fields::name("display_name", n, NAME_MAX)?,
            Patch::Clear => return Err(IdmError::invalid("display_name", "cannot be null")),
            Patch::Absent => {}
        }
        if let Patch::Set(d) = &patch.description {
            fields::text("description", d, DESCRIPTION_MAX)?;
        }
        let members = members.map(|mut m| {
            m.sort();
            m.dedup();
            m
        });
        if let Some(m) = members.as_ref().filter(|m| !m.is_empty()) {
            fields::id_list("members", m, BATCH_MAX, ID_MAX)?;
        }
        let before = self.group(at, id).await?;
        if let Some(v) = patch.expected_version.filter(|v| *v != before.version) {
            return Err(stale(id, v, before.version));
        }
        let mut group = before.clone();
        if let Patch::Set(n) = patch.display_name {
            group.display_name = n;
        }
        match patch.description {
            Patch::Set(d) => group.description = d,
            Patch::Clear => group.description = String::new(),
            Patch::Absent => {}
        }
        group.version = before.version + 1;
        group.update_us = self.now_us();
        let mut targets = vec![id.to_string()];
        if let Some(m) = &members {
            targets.extend(m.iter().cloned());
        }
        let audit = self.audit(
            at.change("group.update", targets)
                .before(&views::group(&before))
                .after(&views::group(&group)),
        )?;
        let written = match &members {
            None => {
                self.store()
                    .update_group(&group, before.version, &audit)
                    .await
            }
            Some(m) => {
                self.store()
                    .rewrite_group(&group, before.version, Some(m), &audit)
                    .await
            }
        };
        match written {
            Ok(()) => Ok(group),
            Err(StoreError::Stale { current }) => match patch.expected_version {
                Some(v) => Err(stale(id, v, current)),
                None => Err(StoreError::Stale { current }.into()),
            },
            Err(e) => Err(about(Resource::Group, id)(e)),
        }
    }

    /// Deletes the group and its memberships (at `expected_version`, when given).
    pub async fn delete_group(
        &self,
        at: &Context<'_>,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), IdmError> {
        let group = self.group(at, id).await?;
        let audit = self.audit(
            at.change("group.delete", vec![id.to_string()])
                .before(&views::group(&group)),
        )?;
        match self
            .store()
            .delete_group(at.tenant, at.realm, id, expected_version, &audit)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::Stale { current }) => {
                Err(stale(id, expected_version.unwrap_or_default(), current))
            }
            Err(e) => Err(about(Resource::Group, id)(e)),
        }
    }

    /// `:addMembers`: identities already in stay as they are; one unknown id adds nothing
    /// (`NotFoundMany`). Returns the group as changed.
    pub async fn add_members(
        &self,
        at: &Context<'_>,
        id: &str,
        identity_ids: &[String],
        expected_version: Option<i64>,
    ) -> Result<GroupRecord, IdmError> {
        fields::id_list("identity_ids", identity_ids, BATCH_MAX, ID_MAX)?;
        self.change_members(at, id, Membership::Add, identity_ids, expected_version)
            .await
    }

    /// `:deleteMembers`: ids that are not members are ignored.
    pub async fn remove_members(
        &self,
        at: &Context<'_>,
        id: &str,
        identity_ids: &[String],
        expected_version: Option<i64>,
    ) -> Result<GroupRecord, IdmError> {
        fields::id_list("identity_ids", identity_ids, BATCH_MAX, ID_MAX)?;
        self.change_members(at, id, Membership::Remove, identity_ids, expected_version)
            .await
    }

    /// Makes exactly `identity_ids` (possibly none) the members (SCIM PUT); one unknown id
    /// changes nothing.
    pub async fn replace_members(
        &self,
        at: &Context<'_>,
        id: &str,
        identity_ids: &[String],
        expected_version: Option<i64>,
    ) -> Result<GroupRecord, IdmError> {
        if !identity_ids.is_empty() {
            fields::id_list("identity_ids", identity_ids, BATCH_MAX, ID_MAX)?;
        }
        self.change_members(at, id, Membership::Replace, identity_ids, expected_version)
            .await
    }

    async fn change_members(
        &self,
        at: &Context<'_>,
        id: &str,
        how: Membership,
        identity_ids: &[String],
        expected_version: Option<i64>,
    ) -> Result<GroupRecord, IdmError> {
        let mut ids: Vec<String> = identity_ids.to_vec();
        ids.sort();
        ids.dedup();
        let mut tries = 0;
        loop {
            let before = self.group(at, id).await?;
            if let Some(v) = expected_version.filter(|v| *v != before.version) {
                return Err(stale(id, v, before.version));
            }
            let mut group = before.clone();
            group.version = before.version + 1;
            group.update_us = self.now_us();
            let mut targets = vec![group.id.clone()];
            targets.extend(identity_ids.iter().cloned());
            let audit = self.audit(at.change(how.action(), targets))?;
            let change = match how {
                Membership::Add => MemberChange::Add(&ids),
                Membership::Remove => MemberChange::Remove(&ids),
                Membership::Replace => MemberChange::Replace(&ids),
            };
            match self
                .store()
                .change_members(&group, before.version, change, &audit)
                .await
            {
                Ok(()) => return Ok(group),
                // Another change won the race: without an expected version, try again.
                Err(StoreError::Stale { current }) => {
                    tries += 1;
                    if expected_version.is_some() || tries >= RETRIES {
                        let expected = expected_version.unwrap_or(before.version);
                        return Err(stale(id, expected, current));
                    }
                }
                Err(e) => return Err(about(Resource::Group, id)(e)),
            }
        }
    }

    pub async fn list_members(
        &self,
        at: &Context<'_>,
        id: &str,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Listing<IdentityRecord>, IdmError> {
        let page = page_request(page_size, page_token)?;
        let group = self.group(at, id).await?;
        Ok(self.store().list_members(&group, page).await?.into())
    }

    pub async fn list_identity_groups(
        &self,
        at: &Context<'_>,
        id: &str,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Listing<GroupRecord>, IdmError> {
        let page = page_request(page_size, page_token)?;
        let identity = self.identity(at, id).await?;
        Ok(self
            .store()
            .list_identity_groups(&identity.id, page)
            .await?
            .into())
    }
}
