//! Groups ↔ SCIM Groups: `displayName` and `members` (users, by id); the group's
//! description is passgate's own and stays as it is.

use serde_json::{json, Map, Value};

use super::error::ScimError;
use super::user_map::{check_schemas, meta};
use crate::idm::groups::GroupPatch;
use crate::idm::types::Patch;
use crate::scim::patch::canonicalize;
use crate::scim::schema::{ResourceKind, GROUP};
use crate::store::search::MemberRef;
use crate::store::GroupRecord;

pub fn to_json(g: &GroupRecord, members: &[&MemberRef], base: &str) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|m| {
            json!({"value": m.identity_id, "$ref": format!("{base}/Users/{}", m.identity_id),
                   "display": m.display, "type": "User"})
        })
        .collect();
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP]));
    out.insert("id".into(), g.id.clone().into());
    out.insert("displayName".into(), g.display_name.clone().into());
    out.insert("members".into(), Value::Array(members));
    out.insert(
        "meta".into(),
        meta(
            "Group",
            g.create_us,
            g.update_us,
            format!("{base}/Groups/{}", g.id),
            g.version,
        ),
    );
    Value::Object(out)
}

/// A Group document from a request: schemas checked, keys canonical.
pub fn read(mut doc: Value) -> Result<Value, ScimError> {
    check_schemas(ResourceKind::Group, &doc)?;
    canonicalize(ResourceKind::Group, &mut doc);
    Ok(doc)
}

/// The display name and member ids of a Group document.
pub fn fields(doc: &Value) -> Result<(String, Vec<String>), ScimError> {
    let name = match doc.get("displayName") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(ScimError::bad(
                "invalidValue",
                "displayName must be a string",
            ))
        }
        None => return Err(ScimError::bad("invalidValue", "displayName is required")),
    };
    let members = match doc.get("members") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|m| match m.get("value").or(Some(m)) {
                Some(Value::String(s)) => Ok(s.clone()),
                _ => Err(ScimError::bad(
                    "invalidValue",
                    "members[].value must be a user id",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ScimError::bad("invalidValue", "members must be a list")),
    };
    Ok((name, members))
}

pub fn to_patch(name: String, expected_version: Option<i64>) -> GroupPatch {
    GroupPatch {
        expected_version,
        display_name: Patch::Set(name),
        description: Patch::Absent,
    }
}
