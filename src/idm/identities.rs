//! Identities: create (username unique per realm, case-insensitive), get, list with paging
//! and a trait filter, one typed change operation ([`IdentityPatch`], field-mask semantics,
//! optimistic concurrency on the identity's `version`), suspend, delete and batch delete.
//! The admin API PATCH, SCIM PATCH/PUT and the console form all call [`Directory::patch_identity`].

use std::collections::BTreeMap;

use super::error::about;
use super::fields::{self, is_trait_name};
use super::paging::{page_request, Listing};
use super::types::{EnrollmentStatus, IdentityStatus, Patch, Resource};
use super::{filter, ids, views, Context, Directory, IdmError, ResourceRef};
use crate::store::{IdentityRecord, StoreError, Traits};

pub const USERNAME_MAX: usize = 128;
pub const NAME_MAX: usize = 256;
pub const EMAIL_MAX: usize = 320;
pub const EXTRA_TRAIT_MAX: usize = 1024;
pub const EXTRA_TRAITS_MAX: usize = 64;
/// Most ids one batch request may name.
pub const BATCH_MAX: usize = 1000;
pub const ID_MAX: usize = 64;
/// How often a PATCH without an expected version re-reads after losing a race.
const RETRIES: usize = 3;

/// An identity to create. `username` is required; `display_name` defaults to it and
/// `status` to active.
#[derive(Debug, Clone, Default)]
pub struct NewIdentity {
    pub display_name: Option<String>,
    pub status: Option<IdentityStatus>,
    pub traits: TraitsPatch,
}

/// Changes to traits: each named one set, cleared or left; free-form ones likewise.
#[derive(Debug, Clone, Default)]
pub struct TraitsPatch {
    pub username: Patch<String>,
    pub primary_email_address: Patch<String>,
    pub external_id: Patch<String>,
    pub given_name: Patch<String>,
    pub family_name: Patch<String>,
    pub extra: BTreeMap<String, Patch<String>>,
}

/// One change to an identity: only what is not `Absent` changes. With `expected_version`
/// the change applies only to that version of the identity (else `PreconditionFailed`).
#[derive(Debug, Clone, Default)]
pub struct IdentityPatch {
    pub expected_version: Option<i64>,
    pub display_name: Patch<String>,
    pub status: Patch<IdentityStatus>,
    pub traits: TraitsPatch,
}

fn check_traits(t: &TraitsPatch) -> Result<(), IdmError> {
    match &t.username {
        Patch::Set(u) => {
            fields::name("traits.username", u, USERNAME_MAX)?;
            if u.trim() != u {
                return Err(IdmError::invalid(
                    "traits.username",
                    "must not start or end with spaces",
                ));
            }
        }
        Patch::Clear => return Err(IdmError::invalid("traits.username", "cannot be null")),
        Patch::Absent => {}
    }
    if let Patch::Set(e) = &t.primary_email_address {
        fields::email("traits.primary_email_address", e, EMAIL_MAX)?;
    }
    for (key, p) in [
        ("traits.external_id", &t.external_id),
        ("traits.given_name", &t.given_name),
        ("traits.family_name", &t.family_name),
    ] {
        if let Patch::Set(v) = p {
            fields::text(key, v, NAME_MAX)?;
        }
    }
    for (k, p) in &t.extra {
        let field = format!("traits.{k}");
        if !is_trait_name(k) {
            return Err(IdmError::invalid(
                field,
                "trait names start with a letter and hold letters, digits and _ (64 at most)",
            ));
        }
        if let Patch::Set(v) = p {
            fields::text(&field, v, EXTRA_TRAIT_MAX)?;
        }
    }
    Ok(())
}

impl IdentityPatch {
    /// Checks every field it sets (before anything is read or written).
    fn check(&self) -> Result<(), IdmError> {
        match &self.display_name {
            Patch::Set(n) => fields::name("display_name", n, NAME_MAX)?,
            Patch::Clear => return Err(IdmError::invalid("display_name", "cannot be null")),
            Patch::Absent => {}
        }
        if let Patch::Clear = self.status {
            return Err(IdmError::invalid("status", "cannot be null"));
        }
        check_traits(&self.traits)
    }

    /// Applies the patch to `i` (already checked).
    fn apply(self, i: &mut IdentityRecord) -> Result<(), IdmError> {
        if let Patch::Set(v) = self.display_name {
            i.display_name = v;
        }
        if let Patch::Set(s) = self.status {
            i.status = s;
        }
        let t = self.traits;
        if let Patch::Set(u) = t.username {
            i.traits.username = u;
        }
        t.primary_email_address
            .apply_to(&mut i.traits.primary_email_address);
        t.external_id.apply_to(&mut i.traits.external_id);
        t.given_name.apply_to(&mut i.traits.given_name);
        t.family_name.apply_to(&mut i.traits.family_name);
        for (k, p) in t.extra {
            match p {
                Patch::Set(v) => {
                    i.traits.extra.insert(k, v);
                }
                Patch::Clear => {
                    i.traits.extra.remove(&k);
                }
                Patch::Absent => {}
            }
        }
        if i.traits.extra.len() > EXTRA_TRAITS_MAX {
            return Err(IdmError::invalid(
                "traits",
                format!("at most {EXTRA_TRAITS_MAX} traits besides the five named ones"),
            ));
        }
        Ok(())
    }
}

impl Directory {
    /// The identity, or `NotFound` naming it.
    pub async fn identity(&self, at: &Context<'_>, id: &str) -> Result<IdentityRecord, IdmError> {
        self.store()
            .get_identity(at.tenant, at.realm, id)
            .await
            .map_err(about(Resource::Identity, id))
    }

    pub async fn create_identity(
        &self,
        at: &Context<'_>,
        new: NewIdentity,
    ) -> Result<IdentityRecord, IdmError> {
        let Patch::Set(username) = new.traits.username.clone() else {
            return Err(IdmError::invalid("traits.username", "is required"));
        };
        let patch = IdentityPatch {
            expected_version: None,
            display_name: new.display_name.map_or(Patch::Absent, Patch::Set),
            status: new.status.map_or(Patch::Absent, Patch::Set),
            traits: new.traits,
        };
        patch.check()?;
        self.realm_record(at.tenant, at.realm).await?;
        let now = self.now_us();
        let mut identity = IdentityRecord {
            id: ids::new_id()?,
            tenant_id: at.tenant.to_string(),
            realm_id: at.realm.to_string(),
            display_name: username.clone(),
            status: IdentityStatus::Active,
            enrollment_status: EnrollmentStatus::Unenrolled,
            traits: Traits {
                username,
                ..Traits::default()
            },
            version: 1,
            create_us: now,
            update_us: now,
        };
        patch.apply(&mut identity)?;
        let audit = self.audit(
            at.change("identity.create", vec![identity.id.clone()])
                .after(&views::identity(&identity)),
        )?;
        self.store().create_identity(&identity, &audit).await?;
        Ok(identity)
    }

    /// Finds an identity by username (case-insensitive) in the realm.
    pub async fn find_by_username(
        &self,
        at: &Context<'_>,
        username: &str,
    ) -> Result<IdentityRecord, IdmError> {
        Ok(self
            .store()
            .find_identity_by_username(at.tenant, at.realm, username)
            .await?)
    }

    /// A page of the realm's identities, optionally filtered (`traits.username eq "…"`).
    pub async fn list_identities(
        &self,
        at: &Context<'_>,
        page_size: Option<&str>,
        page_token: Option<&str>,
        filter: Option<&str>,
    ) -> Result<Listing<IdentityRecord>, IdmError> {
        let page = page_request(page_size, page_token)?;
        let filter = filter
            .filter(|f| !f.is_empty())
            .map(filter::parse)
            .transpose()?;
        self.realm_record(at.tenant, at.realm).await?;
        let found = self
            .store()
            .list_identities(at.tenant, at.realm, filter.as_ref(), page)
            .await?;
        Ok(found.into())
    }

    /// The one typed change to an identity (see [`IdentityPatch`]). Suspending ends its
    /// sessions in the same transaction.
    pub async fn patch_identity(
        &self,
        at: &Context<'_>,
        id: &str,
        patch: IdentityPatch,
    ) -> Result<IdentityRecord, IdmError> {
        patch.check()?;
        let mut tries = 0;
        loop {
            let before = self.identity(at, id).await?;
            let stale = |current| IdmError::PreconditionFailed {
                resource: ResourceRef::new(Resource::Identity, id),
                expected: patch.expected_version.unwrap_or(before.version),
                current,
            };
            if patch.expected_version.is_some_and(|v| v != before.version) {
                return Err(stale(before.version));
            }
            let mut after = before.clone();
            patch.clone().apply(&mut after)?;
            after.version = before.version + 1;
            after.update_us = self.now_us();
            let audit = self.audit(
                at.change("identity.update", vec![id.to_string()])
                    .before(&views::identity(&before))
                    .after(&views::identity(&after)),
            )?;
            match self
                .store()
                .update_identity(&after, before.version, &audit)
                .await
            {
                Ok(()) => {
                    if !after.status.is_active() {
                        self.sessions_ended(&after.id);
                    }
                    return Ok(after);
                }
                Err(StoreError::Stale { current }) => {
                    tries += 1;
                    if patch.expected_version.is_some() || tries >= RETRIES {
                        return Err(stale(current));
                    }
                }
                Err(e) => return Err(about(Resource::Identity, id)(e)),
            }
        }
    }

    /// Suspends or reactivates (a PATCH of `status` alone).
    pub async fn set_identity_status(
        &self,
        at: &Context<'_>,
        id: &str,
        status: IdentityStatus,
        expected_version: Option<i64>,
    ) -> Result<IdentityRecord, IdmError> {
        let patch = IdentityPatch {
            expected_version,
            status: Patch::Set(status),
            ..IdentityPatch::default()
        };
        self.patch_identity(at, id, patch).await
    }

    /// Deletes the identity with everything attached (at `expected_version`, when given).
    pub async fn delete_identity(
        &self,
        at: &Context<'_>,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), IdmError> {
        let ids = vec![id.to_string()];
        match self
            .delete_identities(at, ids, expected_version, "identity.delete")
            .await
        {
            Err(IdmError::NotFoundMany { .. }) => Err(IdmError::not_found(Resource::Identity, id)),
            other => other,
        }
    }

    /// `:batchDelete`: all of them or, when one does not exist, none (`NotFoundMany` names
    /// the missing ones).
    pub async fn batch_delete_identities(
        &self,
        at: &Context<'_>,
        ids: Vec<String>,
    ) -> Result<(), IdmError> {
        fields::id_list("ids", &ids, BATCH_MAX, ID_MAX)?;
        self.delete_identities(at, ids, None, "identity.batch_delete")
            .await
    }

    async fn delete_identities(
        &self,
        at: &Context<'_>,
        requested: Vec<String>,
        expected: Option<i64>,
        action: &str,
    ) -> Result<(), IdmError> {
        let mut ids = requested.clone();
        ids.sort();
        ids.dedup();
        self.realm_record(at.tenant, at.realm).await?;
        let audit = self.audit(at.change(action, ids.clone()))?;
        match self
            .store()
            .delete_identities(at.tenant, at.realm, &ids, expected, &audit)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Stale { current }) => {
                return Err(IdmError::PreconditionFailed {
                    resource: ResourceRef::new(Resource::Identity, ids.join(",")),
                    expected: expected.unwrap_or_default(),
                    current,
                })
            }
            Err(StoreError::NotFoundMany { resource, ids }) => {
                // Named in the order the caller gave them.
                let mut missing: Vec<String> = Vec::with_capacity(ids.len());
                for id in requested.into_iter().filter(|r| ids.contains(r)) {
                    if !missing.contains(&id) {
                        missing.push(id);
                    }
                }
                return Err(IdmError::NotFoundMany {
                    resource,
                    ids: missing,
                });
            }
            Err(e) => return Err(e.into()),
        }
        for id in &ids {
            self.sessions_ended(id);
        }
        Ok(())
    }
}
