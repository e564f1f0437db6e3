//! Identities (with `traits_v0`), groups, realms and the id lists of member changes and
//! batch deletes.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::ReadOnly;
use crate::control::error::ApiError;
use crate::idm::groups::{GroupPatch, NewGroup};
use crate::idm::identities::{IdentityPatch, NewIdentity, TraitsPatch};
use crate::idm::realms::{NewRealm, RealmPatch};
use crate::idm::types::{IdentityStatus, Patch};
use crate::idm::views::TRAITS_TYPE;
use crate::idm::IdmError;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityRequest {
    pub identity: IdentityBody,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityBody {
    #[serde(default, rename = "id")]
    #[schema(ignore)]
    _id: ReadOnly,
    #[serde(default, rename = "realm_id")]
    #[schema(ignore)]
    _realm_id: ReadOnly,
    #[serde(default, rename = "tenant_id")]
    #[schema(ignore)]
    _tenant_id: ReadOnly,
    #[serde(default, rename = "create_time")]
    #[schema(ignore)]
    _create_time: ReadOnly,
    #[serde(default, rename = "update_time")]
    #[schema(ignore)]
    _update_time: ReadOnly,
    #[serde(default, rename = "enrollment_status")]
    #[schema(ignore)]
    _enrollment_status: ReadOnly,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    display_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<IdentityStatus>)]
    status: Patch<IdentityStatus>,
    #[serde(default)]
    traits: Option<TraitsBody>,
}

/// `traits_v0`: the named traits, and every other trait (Beyond Identity's
/// `secondary_email_address`, `title`, `department`, … or one's own) as a string.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TraitsBody {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    username: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    primary_email_address: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    external_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    given_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    family_name: Patch<String>,
    /// Every other trait: a string, or `null` to clear it.
    #[serde(flatten)]
    #[schema(value_type = BTreeMap<String, Option<String>>)]
    extra: BTreeMap<String, Value>,
}

impl TraitsBody {
    fn into_patch(self) -> Result<TraitsPatch, IdmError> {
        if let Some(k) = self.kind.as_deref().filter(|k| *k != TRAITS_TYPE) {
            return Err(IdmError::invalid(
                "traits.type",
                format!("must be \"{TRAITS_TYPE}\", not \"{k}\""),
            ));
        }
        let mut extra = BTreeMap::new();
        for (k, v) in self.extra {
            let p = match v {
                Value::Null => Patch::Clear,
                Value::String(s) => Patch::Set(s),
                _ => {
                    return Err(IdmError::invalid(
                        format!("traits.{k}"),
                        "must be a string or null",
                    ))
                }
            };
            extra.insert(k, p);
        }
        Ok(TraitsPatch {
            username: self.username,
            primary_email_address: self.primary_email_address,
            external_id: self.external_id,
            given_name: self.given_name,
            family_name: self.family_name,
            extra,
        })
    }
}

/// A patch field that must not be null at creation: `Some` when set.
fn create_value<T>(field: &str, p: Patch<T>) -> Result<Option<T>, IdmError> {
    match p {
        Patch::Absent => Ok(None),
        Patch::Clear => Err(IdmError::invalid(field, "cannot be null")),
        Patch::Set(v) => Ok(Some(v)),
    }
}

impl IdentityBody {
    pub fn into_new(self) -> Result<NewIdentity, ApiError> {
        let convert = || {
            let traits = match self.traits {
                Some(t) => t.into_patch()?,
                None => TraitsPatch::default(),
            };
            // A trait sent as null at creation is simply not set.
            let traits = TraitsPatch {
                extra: traits
                    .extra
                    .into_iter()
                    .filter(|(_, p)| !matches!(p, Patch::Clear))
                    .collect(),
                ..traits
            };
            Ok(NewIdentity {
                display_name: create_value("display_name", self.display_name)?,
                status: create_value("status", self.status)?,
                traits,
            })
        };
        convert().map_err(|e: IdmError| e.within("identity").into())
    }

    pub fn into_patch(self, expected_version: Option<i64>) -> Result<IdentityPatch, ApiError> {
        let traits = match self.traits {
            Some(t) => t
                .into_patch()
                .map_err(|e| ApiError::from(e.within("identity")))?,
            None => TraitsPatch::default(),
        };
        Ok(IdentityPatch {
            expected_version,
            display_name: self.display_name,
            status: self.status,
            traits,
        })
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    #[serde(default, rename = "id")]
    #[schema(ignore)]
    _id: ReadOnly,
    #[serde(default, rename = "realm_id")]
    #[schema(ignore)]
    _realm_id: ReadOnly,
    #[serde(default, rename = "tenant_id")]
    #[schema(ignore)]
    _tenant_id: ReadOnly,
    #[serde(default, rename = "create_time")]
    #[schema(ignore)]
    _create_time: ReadOnly,
    #[serde(default, rename = "update_time")]
    #[schema(ignore)]
    _update_time: ReadOnly,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    display_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    description: Patch<String>,
}

/// `POST …/groups`: the group and (passgate's extension) its first members.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupRequest {
    group: GroupBody,
    #[serde(default)]
    identity_ids: Option<Vec<String>>,
}

impl NewGroupRequest {
    pub fn into_new(self) -> Result<NewGroup, ApiError> {
        let display_name = match self.group.display_name {
            Patch::Set(n) => n,
            Patch::Absent => return Err(ApiError::invalid("group.display_name", "is required")),
            Patch::Clear => return Err(ApiError::invalid("group.display_name", "cannot be null")),
        };
        let description = match self.group.description {
            Patch::Set(d) => Some(d),
            _ => None,
        };
        Ok(NewGroup {
            display_name,
            description,
            members: self.identity_ids.unwrap_or_default(),
        })
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatchRequest {
    group: GroupBody,
}

impl GroupPatchRequest {
    pub fn into_patch(self, expected_version: Option<i64>) -> GroupPatch {
        GroupPatch {
            expected_version,
            display_name: self.group.display_name,
            description: self.group.description,
        }
    }
}

/// `{"identity_ids": […]}` (`:addMembers`, `:deleteMembers`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityIds {
    pub identity_ids: Vec<String>,
}

/// `:batchDelete`: Beyond Identity's `{"ids": […]}`, or passgate's `{"identity_ids": […]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchDelete {
    #[serde(default)]
    ids: Option<Vec<String>>,
    #[serde(default)]
    identity_ids: Option<Vec<String>>,
}

impl BatchDelete {
    /// The ids, and the key they came in (errors name it).
    pub fn into_ids(self) -> Result<(Vec<String>, &'static str), ApiError> {
        match (self.ids, self.identity_ids) {
            (Some(ids), None) => Ok((ids, "ids")),
            (None, Some(ids)) => Ok((ids, "identity_ids")),
            (None, None) => Err(ApiError::invalid("ids", "is required")),
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "identity_ids",
                "give the ids once, as ids (or identity_ids)",
            )),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RealmRequest {
    realm: RealmBody,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RealmBody {
    #[serde(default, rename = "id")]
    #[schema(ignore)]
    _id: ReadOnly,
    #[serde(default, rename = "tenant_id")]
    #[schema(ignore)]
    _tenant_id: ReadOnly,
    #[serde(default, rename = "create_time")]
    #[schema(ignore)]
    _create_time: ReadOnly,
    #[serde(default, rename = "update_time")]
    #[schema(ignore)]
    _update_time: ReadOnly,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    display_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    rp_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    rp_name: Patch<String>,
}

impl RealmRequest {
    pub fn into_new(self) -> Result<NewRealm, ApiError> {
        let r = self.realm;
        let display_name = match r.display_name {
            Patch::Set(n) => n,
            _ => return Err(ApiError::invalid("realm.display_name", "is required")),
        };
        let set = |p: Patch<String>| match p {
            Patch::Set(v) => Some(v),
            _ => None,
        };
        Ok(NewRealm {
            display_name,
            rp_id: set(r.rp_id),
            rp_name: set(r.rp_name),
        })
    }

    pub fn into_patch(self) -> RealmPatch {
        RealmPatch {
            display_name: self.realm.display_name,
            rp_id: self.realm.rp_id,
            rp_name: self.realm.rp_name,
        }
    }
}
