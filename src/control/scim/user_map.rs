//! Users ↔ identities: an identity (with its groups) as a SCIM User (core schema and the
//! enterprise extension), and a User document back to the typed change the admin API makes
//! too ([`IdentityPatch`]; every attribute SCIM manages is set or cleared, so a PUT
//! replaces). Attributes map as `scim::user_traits` lists; `active` is the status.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::error::ScimError;
use crate::idm::clock::rfc3339;
use crate::idm::identities::{IdentityPatch, NewIdentity, TraitsPatch};
use crate::idm::types::{IdentityStatus, Patch};
use crate::scim::eval::as_bool;
use crate::scim::patch::canonicalize;
use crate::scim::schema::{self, Home, ResourceKind, ENTERPRISE, USER};
use crate::scim::user_traits::{phone_key, PHONE_TYPES, USER_TRAITS};
use crate::store::search::MemberRef;
use crate::store::IdentityRecord;

/// The weak entity tag of `version`.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// `meta` of a resource.
pub fn meta(kind: &str, created: i64, modified: i64, location: String, version: i64) -> Value {
    json!({
        "resourceType": kind,
        "created": rfc3339(created),
        "lastModified": rfc3339(modified),
        "location": location,
        "version": etag(version),
    })
}

fn put(obj: &mut Map<String, Value>, key: &str, v: Option<&String>) {
    if let Some(v) = v {
        obj.insert(key.to_string(), Value::String(v.clone()));
    }
}

/// The identity as a SCIM User.
pub fn to_json(i: &IdentityRecord, groups: &[&MemberRef], base: &str) -> Value {
    let t = &i.traits;
    let mut user = Map::new();
    let mut ext = Map::new();
    user.insert("id".into(), i.id.clone().into());
    put(&mut user, "externalId", t.external_id.as_ref());
    user.insert("userName".into(), t.username.clone().into());
    user.insert("displayName".into(), i.display_name.clone().into());
    let mut name = Map::new();
    put(&mut name, "givenName", t.given_name.as_ref());
    put(&mut name, "familyName", t.family_name.as_ref());
    for ta in USER_TRAITS {
        let Some(v) = t.extra.get(ta.key) else {
            continue;
        };
        let target = match ta.home {
            Home::Core => &mut user,
            Home::Extension(_) => &mut ext,
        };
        match (ta.attr, ta.sub) {
            ("name", Some(sub)) => {
                name.insert(sub.to_string(), v.clone().into());
            }
            (attr, Some(sub)) => {
                let entry = target
                    .entry(attr.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                entry[sub] = v.clone().into();
                if attr == "manager" {
                    entry["$ref"] = format!("{base}/Users/{v}").into();
                }
            }
            (attr, None) => {
                target.insert(attr.to_string(), v.clone().into());
            }
        }
    }
    if !name.is_empty() {
        user.insert("name".into(), Value::Object(name));
    }
    user.insert("active".into(), i.status.is_active().into());
    if let Some(e) = &t.primary_email_address {
        user.insert(
            "emails".into(),
            json!([{"value": e, "type": "work", "primary": true}]),
        );
    }
    let phones: Vec<Value> = PHONE_TYPES
        .iter()
        .filter_map(|k| {
            t.extra
                .get(&phone_key(k))
                .map(|v| json!({"value": v, "type": k}))
        })
        .collect();
    if !phones.is_empty() {
        user.insert("phoneNumbers".into(), Value::Array(phones));
    }
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| {
            json!({"value": g.group_id, "$ref": format!("{base}/Groups/{}", g.group_id),
                   "display": g.display, "type": "direct"})
        })
        .collect();
    user.insert("groups".into(), Value::Array(groups));
    let mut schemas = vec![Value::from(USER)];
    if !ext.is_empty() {
        schemas.push(ENTERPRISE.into());
        user.insert(ENTERPRISE.into(), Value::Object(ext));
    }
    user.insert(
        "meta".into(),
        meta(
            "User",
            i.create_us,
            i.update_us,
            format!("{base}/Users/{}", i.id),
            i.version,
        ),
    );
    let mut out = Map::new();
    out.insert("schemas".into(), Value::Array(schemas));
    out.extend(user);
    Value::Object(out)
}

/// Checks `schemas` names the resource's core schema and only schemas it knows, and that
/// every extension object in the body is one of them.
pub fn check_schemas(kind: ResourceKind, doc: &Value) -> Result<(), ScimError> {
    let Some(list) = doc.get("schemas").and_then(Value::as_array) else {
        return Err(ScimError::bad("invalidSyntax", "schemas is required"));
    };
    let mut has_core = false;
    for s in list {
        let Some(s) = s.as_str() else {
            return Err(ScimError::bad("invalidSyntax", "schemas holds strings"));
        };
        if s.eq_ignore_ascii_case(kind.core()) {
            has_core = true;
        } else if schema::extension(kind, s).is_none() && !schema::is_attributeless(s) {
            return Err(ScimError::bad(
                "invalidValue",
                format!("unknown schema \"{s}\" for a {}", kind.name()),
            ));
        }
    }
    if !has_core {
        return Err(ScimError::bad(
            "invalidValue",
            format!("schemas must include \"{}\"", kind.core()),
        ));
    }
    if let Some(obj) = doc.as_object() {
        for k in obj.keys() {
            if k.to_ascii_lowercase().starts_with("urn:") && schema::extension(kind, k).is_none() {
                return Err(ScimError::bad(
                    "invalidValue",
                    format!("unknown schema \"{k}\""),
                ));
            }
        }
    }
    Ok(())
}

fn text(v: Option<&Value>, what: &str) -> Result<Option<String>, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::bad(
            "invalidValue",
            format!("{what} must be a string"),
        )),
    }
}

fn set_or_clear(v: Option<String>) -> Patch<String> {
    v.map_or(Patch::Clear, Patch::Set)
}

/// The email a list of emails gives: the primary one, else the first.
fn email(v: Option<&Value>) -> Result<Option<String>, ScimError> {
    let items = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ScimError::bad("invalidValue", "emails must be a list")),
    };
    let primary = items
        .iter()
        .find(|e| e.get("primary").and_then(as_bool) == Some(true))
        .or_else(|| items.first());
    match primary {
        None => Ok(None),
        Some(e) => text(e.get("value"), "emails.value"),
    }
}

fn phones(v: Option<&Value>) -> Result<BTreeMap<String, Patch<String>>, ScimError> {
    let mut out: BTreeMap<String, Patch<String>> = PHONE_TYPES
        .iter()
        .map(|k| (phone_key(k), Patch::Clear))
        .collect();
    let items = match v {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ScimError::bad(
                "invalidValue",
                "phoneNumbers must be a list",
            ))
        }
    };
    for p in items {
        let kind = text(p.get("type"), "phoneNumbers.type")?
            .unwrap_or_else(|| "work".into())
            .to_ascii_lowercase();
        if !PHONE_TYPES.contains(&kind.as_str()) {
            return Err(ScimError::bad(
                "invalidValue",
                format!(
                    "phoneNumbers.type must be one of {}",
                    PHONE_TYPES.join(", ")
                ),
            ));
        }
        if let Some(v) = text(p.get("value"), "phoneNumbers.value")? {
            out.insert(phone_key(&kind), Patch::Set(v));
        }
    }
    Ok(out)
}

/// A User document (keys canonical) as the change that makes the identity equal to it.
pub fn to_patch(doc: &Value, expected_version: Option<i64>) -> Result<IdentityPatch, ScimError> {
    let user_name = text(doc.get("userName"), "userName")?
        .ok_or_else(|| ScimError::bad("invalidValue", "userName is required"))?;
    let name = doc.get("name");
    let ext = doc.get(ENTERPRISE);
    let mut extra = phones(doc.get("phoneNumbers"))?;
    for ta in USER_TRAITS {
        let holder = match ta.home {
            Home::Core => Some(doc),
            Home::Extension(_) => ext,
        };
        let mut v = holder.and_then(|h| h.get(ta.attr));
        if let Some(sub) = ta.sub {
            // Entra ID sends the manager as a bare id.
            v = match v {
                Some(Value::String(_)) if ta.attr == "manager" => v,
                Some(o) => o.get(sub),
                None => None,
            };
        }
        let what = match ta.sub {
            Some(s) => format!("{}.{s}", ta.attr),
            None => ta.attr.to_string(),
        };
        extra.insert(ta.key.to_string(), set_or_clear(text(v, &what)?));
    }
    let display = text(doc.get("displayName"), "displayName")?
        .or(text(
            name.and_then(|n| n.get("formatted")),
            "name.formatted",
        )?)
        .unwrap_or_else(|| user_name.clone());
    let status = match doc.get("active") {
        None | Some(Value::Null) => Patch::Absent,
        Some(v) => match as_bool(v) {
            Some(true) => Patch::Set(IdentityStatus::Active),
            Some(false) => Patch::Set(IdentityStatus::Suspended),
            None => {
                return Err(ScimError::bad(
                    "invalidValue",
                    "active must be true or false",
                ))
            }
        },
    };
    Ok(IdentityPatch {
        expected_version,
        display_name: Patch::Set(display),
        status,
        traits: TraitsPatch {
            username: Patch::Set(user_name),
            primary_email_address: set_or_clear(email(doc.get("emails"))?),
            external_id: set_or_clear(text(doc.get("externalId"), "externalId")?),
            given_name: set_or_clear(text(
                name.and_then(|n| n.get("givenName")),
                "name.givenName",
            )?),
            family_name: set_or_clear(text(
                name.and_then(|n| n.get("familyName")),
                "name.familyName",
            )?),
            extra,
        },
    })
}

/// A User document from a request (POST/PUT): schemas checked, keys made canonical.
pub fn read(mut doc: Value) -> Result<Value, ScimError> {
    check_schemas(ResourceKind::User, &doc)?;
    canonicalize(ResourceKind::User, &mut doc);
    Ok(doc)
}

/// A new identity from a User document.
pub fn to_new(doc: &Value) -> Result<NewIdentity, ScimError> {
    let p = to_patch(doc, None)?;
    let Patch::Set(display) = p.display_name else {
        return Err(ScimError::bad("invalidValue", "displayName is required"));
    };
    Ok(NewIdentity {
        display_name: Some(display),
        status: match p.status {
            Patch::Set(s) => Some(s),
            _ => None,
        },
        traits: p.traits,
    })
}
