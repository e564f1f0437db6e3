//! The discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes[/{name}]`
//! and `/Schemas[/{urn}]` (from the schema tables in `scim::schema`), and `/Me` and `/Bulk`,
//! which passgate does not offer (`501`).

use std::collections::HashMap;

use axum::extract::Path;
use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Value};

use super::auth::Scim;
use super::error::ScimError;
use super::list::{response, scim_json, MAX_COUNT};
use super::patch_max;
use crate::scim::schema::{self, Attr, Kind, Mutability, ENTERPRISE, GROUP, USER};

type Reply = Result<Response, ScimError>;

pub async fn service_provider_config(scim: Scim) -> Reply {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/passgate/passgate/blob/main/docs/scim.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "API token",
            "description": "A passgate API token with the scim scope, as a bearer token.",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", scim.base)
        },
        "x-passgate": {"maxPatchOperations": patch_max()}
    });
    Ok(scim_json(StatusCode::OK, &body, None))
}

fn resource_type(base: &str, name: &str) -> Option<Value> {
    let (endpoint, core, ext): (&str, &str, Vec<Value>) = match name {
        "User" => (
            "/Users",
            USER,
            vec![json!({"schema": ENTERPRISE, "required": false})],
        ),
        "Group" => ("/Groups", GROUP, vec![]),
        _ => return None,
    };
    Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "schema": core,
        "schemaExtensions": ext,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")}
    }))
}

pub async fn resource_types(scim: Scim) -> Reply {
    let all: Vec<Value> = ["User", "Group"]
        .iter()
        .filter_map(|n| resource_type(&scim.base, n))
        .collect();
    Ok(response(all.len() as i64, 1, all))
}

pub async fn resource_type_one(scim: Scim, Path(p): Path<HashMap<String, String>>) -> Reply {
    let name = p.get("name").map_or("", String::as_str);
    let v = resource_type(&scim.base, name)
        .ok_or_else(|| ScimError::not_found(format!("no resource type \"{name}\"")))?;
    Ok(scim_json(StatusCode::OK, &v, None))
}

fn attr_json(a: &Attr) -> Value {
    let kind = match a.kind {
        Kind::String => "string",
        Kind::Boolean => "boolean",
        Kind::DateTime => "dateTime",
        Kind::Reference => "reference",
        Kind::Complex => "complex",
    };
    let mutability = match a.mutability {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
    };
    let mut v = json!({
        "name": a.name,
        "type": kind,
        "multiValued": a.multi,
        "description": a.description,
        "required": a.required,
        "caseExact": a.case_exact,
        "mutability": mutability,
        "returned": if a.always { "always" } else { "default" },
        "uniqueness": if a.unique { "server" } else { "none" },
    });
    if a.kind == Kind::Complex {
        v["subAttributes"] = a.subs.iter().map(attr_json).collect();
    }
    if a.kind == Kind::Reference {
        v["referenceTypes"] = json!(["external", "User", "Group"]);
    }
    v
}

fn schema_json(base: &str, urn: &str, name: &str, description: &str, attrs: &[Attr]) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": urn,
        "name": name,
        "description": description,
        "attributes": attrs.iter().map(attr_json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{urn}")}
    })
}

pub async fn schemas(scim: Scim) -> Reply {
    let all: Vec<Value> = schema::all()
        .iter()
        .map(|(urn, name, d, attrs)| schema_json(&scim.base, urn, name, d, attrs))
        .collect();
    Ok(response(all.len() as i64, 1, all))
}

pub async fn schema_one(scim: Scim, Path(p): Path<HashMap<String, String>>) -> Reply {
    let id = p.get("id").map_or("", String::as_str);
    let found = schema::all()
        .into_iter()
        .find(|(urn, ..)| urn.eq_ignore_ascii_case(id))
        .ok_or_else(|| ScimError::not_found(format!("no schema \"{id}\"")))?;
    let (urn, name, d, attrs) = found;
    Ok(scim_json(
        StatusCode::OK,
        &schema_json(&scim.base, urn, name, d, attrs),
        None,
    ))
}

pub async fn not_implemented(_scim: Scim) -> ScimError {
    ScimError::new(501, None, "not implemented by passgate")
}
