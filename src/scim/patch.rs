//! PATCH (RFC 7644 §3.5.2) on a resource's JSON: the operations read from the request
//! ([`parse_ops`]: `op` in any case, Entra ID's capitalised names included) and applied in
//! order to a copy of the resource ([`apply`]), which is returned only when every
//! operation succeeded. The caller writes that copy in one transaction, or nothing, so a
//! PATCH is all or nothing (the property `scim_patch_is_all_or_nothing` in `fuzz/`).
//!
//! Client habits handled: `add`/`replace` without a path whose value keys are paths
//! (`"name.givenName"`, `"emails[type eq \"work\"].value"`); a value filter that selects
//! nothing on `add`/`replace` creates the value it describes (`emails[type eq "work"].value`
//! on a user without one); `remove` of `members` with a `value` list removes those members;
//! `replace` of the whole `members` list; the manager given as a bare id.

use serde_json::{Map, Value};

use super::eval;
use super::filter::{CompValue, CompareOp, Filter};
use super::path::{self, PatchPath};
use super::schema::{self, Attr, Home, Kind, Mutability, ResourceKind};

/// Most operations one PATCH may carry.
pub const MAX_OPS: usize = 1000;

/// Why a PATCH cannot be applied: the SCIM `scimType` and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct PatchError {
    pub scim_type: &'static str,
    pub detail: String,
}

fn fail<T>(scim_type: &'static str, detail: impl Into<String>) -> Result<T, PatchError> {
    Err(PatchError {
        scim_type,
        detail: detail.into(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

fn member<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Reads a PatchOp message.
pub fn parse_ops(body: &Value) -> Result<Vec<Operation>, PatchError> {
    let Some(obj) = body.as_object() else {
        return fail("invalidSyntax", "the body must be a PatchOp object");
    };
    let schemas_ok = member(obj, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(schema::PATCH_OP)));
    if !schemas_ok {
        return fail(
            "invalidSyntax",
            format!("schemas must be [\"{}\"]", schema::PATCH_OP),
        );
    }
    let Some(ops) = member(obj, "Operations").and_then(Value::as_array) else {
        return fail("invalidSyntax", "Operations must be a list of operations");
    };
    if ops.is_empty() || ops.len() > MAX_OPS {
        return fail(
            "invalidSyntax",
            format!("Operations must hold between 1 and {MAX_OPS} operations"),
        );
    }
    ops.iter()
        .enumerate()
        .map(|(i, o)| {
            let Some(o) = o.as_object() else {
                return fail(
                    "invalidSyntax",
                    format!("Operations[{i}] must be an object"),
                );
            };
            let op = match member(o, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(s) if s == "add" => OpKind::Add,
                Some(s) if s == "remove" => OpKind::Remove,
                Some(s) if s == "replace" => OpKind::Replace,
                _ => {
                    return fail(
                        "invalidSyntax",
                        format!("Operations[{i}].op must be add, remove or replace"),
                    )
                }
            };
            let path = match member(o, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.trim().is_empty() => None,
                Some(Value::String(p)) => Some(path::parse(p).map_err(|e| PatchError {
                    scim_type: "invalidPath",
                    detail: format!("Operations[{i}].path: {e}"),
                })?),
                Some(_) => {
                    return fail(
                        "invalidPath",
                        format!("Operations[{i}].path must be a string"),
                    )
                }
            };
            let value = member(o, "value").cloned();
            if op != OpKind::Remove && value.is_none() {
                return fail("invalidValue", format!("Operations[{i}] needs a value"));
            }
            if op == OpKind::Remove && path.is_none() {
                return fail("noTarget", format!("Operations[{i}]: remove needs a path"));
            }
            if path.is_none() && !value.as_ref().is_some_and(Value::is_object) {
                return fail(
                    "invalidValue",
                    format!("Operations[{i}]: without a path the value must be an object"),
                );
            }
            Ok(Operation { op, path, value })
        })
        .collect()
}

/// Renames the keys of `v` (a resource, or part of one) to their canonical spelling.
pub fn canonicalize(kind: ResourceKind, v: &mut Value) {
    let Some(obj) = v.as_object_mut() else { return };
    let old = std::mem::take(obj);
    for (k, mut val) in old {
        if let Some(urn) = schema::extension(kind, &k) {
            canonicalize_attrs(schema::extension_attrs(urn), &mut val);
            obj.insert(urn.to_string(), val);
        } else if let Some(r) =
            schema::resolve(kind, None, &k, None).filter(|r| r.home == Home::Core)
        {
            canonicalize_value(r.attr, &mut val);
            obj.insert(r.attr.name.to_string(), val);
        } else {
            obj.insert(k, val);
        }
    }
}

fn canonicalize_attrs(attrs: &'static [Attr], v: &mut Value) {
    let Some(obj) = v.as_object_mut() else { return };
    let old = std::mem::take(obj);
    for (k, mut val) in old {
        match attrs.iter().find(|a| a.name.eq_ignore_ascii_case(&k)) {
            Some(a) => {
                canonicalize_value(a, &mut val);
                obj.insert(a.name.to_string(), val);
            }
            None => {
                obj.insert(k, val);
            }
        }
    }
}

fn canonicalize_value(a: &'static Attr, v: &mut Value) {
    if a.kind != Kind::Complex {
        return;
    }
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| canonicalize_attrs(a.subs, i)),
        other => canonicalize_attrs(a.subs, other),
    }
}

/// Applies `ops` in order to a copy of `resource` (canonical keys) and returns the copy:
/// all of them, or none (the first failure, named by its index, and `resource` as it was).
pub fn apply(kind: ResourceKind, resource: &Value, ops: &[Operation]) -> Result<Value, PatchError> {
    let mut out = resource.clone();
    for (i, op) in ops.iter().enumerate() {
        apply_one(kind, &mut out, op).map_err(|e| PatchError {
            scim_type: e.scim_type,
            detail: format!("Operations[{i}]: {}", e.detail),
        })?;
    }
    Ok(out)
}

fn apply_one(kind: ResourceKind, resource: &mut Value, op: &Operation) -> Result<(), PatchError> {
    match &op.path {
        Some(p) => apply_path(kind, resource, op.op, p, op.value.clone()),
        None => {
            let Some(Value::Object(fields)) = op.value.clone() else {
                return fail("invalidValue", "without a path the value must be an object");
            };
            for (k, v) in fields {
                if let Some(urn) = schema::extension(kind, &k) {
                    let Value::Object(inner) = v else {
                        return fail("invalidValue", format!("{urn} must be an object"));
                    };
                    for (k2, v2) in inner {
                        let p = path::parse(&format!("{urn}:{k2}")).map_err(|e| PatchError {
                            scim_type: "invalidPath",
                            detail: e.0,
                        })?;
                        apply_path_lenient(kind, resource, op.op, &p, v2)?;
                    }
                    continue;
                }
                if k.eq_ignore_ascii_case("schemas") {
                    continue;
                }
                let p = path::parse(&k).map_err(|e| PatchError {
                    scim_type: "invalidPath",
                    detail: e.0,
                })?;
                apply_path_lenient(kind, resource, op.op, &p, v)?;
            }
            Ok(())
        }
    }
}

/// Without a path, read-only attributes (Okta sends `id`) and attributes outside the
/// schema are skipped rather than refused.
fn apply_path_lenient(
    kind: ResourceKind,
    resource: &mut Value,
    op: OpKind,
    p: &PatchPath,
    value: Value,
) -> Result<(), PatchError> {
    match schema::resolve(
        kind,
        p.attr.schema.as_deref(),
        &p.attr.name,
        p.attr.sub.as_deref(),
    ) {
        None => Ok(()),
        Some(r) if r.attr.mutability == Mutability::ReadOnly => Ok(()),
        Some(r) if r.attr.name == "meta" || r.attr.name == "id" => Ok(()),
        Some(_) => apply_path(kind, resource, op, p, Some(value)),
    }
}

fn container(resource: &mut Value, home: Home, create: bool) -> Option<&mut Map<String, Value>> {
    let root = resource.as_object_mut()?;
    match home {
        Home::Core => Some(root),
        Home::Extension(urn) => {
            if !root.contains_key(urn) {
                if !create {
                    return None;
                }
                root.insert(urn.to_string(), Value::Object(Map::new()));
            }
            root.get_mut(urn)?.as_object_mut()
        }
    }
}

/// The value a client wrote for a complex single-valued attribute: Entra ID sends the
/// manager as a bare id.
fn as_complex(value: Value) -> Value {
    match value {
        Value::String(s) => serde_json::json!({ "value": s }),
        other => other,
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn apply_path(
    kind: ResourceKind,
    resource: &mut Value,
    op: OpKind,
    p: &PatchPath,
    value: Option<Value>,
) -> Result<(), PatchError> {
    let Some(r) = schema::resolve(
        kind,
        p.attr.schema.as_deref(),
        &p.attr.name,
        p.attr.sub.as_deref(),
    ) else {
        return fail("invalidPath", format!("no attribute \"{}\"", p.attr));
    };
    let attr = r.attr;
    if attr.mutability == Mutability::ReadOnly
        || r.sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
    {
        return fail("mutability", format!("\"{}\" is read-only", p.attr));
    }
    let name = attr.name;
    if let Some(sub) = &p.sub {
        if attr
            .subs
            .iter()
            .any(|a| a.name.eq_ignore_ascii_case(sub) && a.mutability == Mutability::ReadOnly)
        {
            return fail("mutability", format!("\"{name}.{sub}\" is read-only"));
        }
    }
    let Some(obj) = container(resource, r.home, op != OpKind::Remove) else {
        return Ok(()); // removing from an extension the resource does not have
    };
    let mut value = value.map(|mut v| {
        canonicalize_value_for(attr, r.sub.is_some() || p.sub.is_some(), &mut v);
        v
    });
    if let Some(f) = &p.filter {
        if !attr.multi {
            return fail("invalidPath", format!("\"{name}\" is not multi-valued"));
        }
        let sub = match &p.sub {
            Some(s) => Some(
                attr.subs
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(s))
                    .ok_or_else(|| PatchError {
                        scim_type: "invalidPath",
                        detail: format!("\"{name}\" has no sub-attribute \"{s}\""),
                    })?
                    .name,
            ),
            None => None,
        };
        let list = obj
            .entry(name.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(vec![list.take()]);
        }
        let items = list.as_array_mut().map(std::mem::take).unwrap_or_default();
        let matched: Vec<bool> = items
            .iter()
            .map(|e| eval::matches(f, e, attr.subs))
            .collect();
        let mut items = items;
        match op {
            OpKind::Remove => {
                if let Some(s) = sub {
                    for (e, m) in items.iter_mut().zip(&matched) {
                        if *m {
                            if let Some(o) = e.as_object_mut() {
                                o.remove(s);
                            }
                        }
                    }
                } else {
                    let mut keep = matched.iter().map(|m| !m);
                    items.retain(|_| keep.next().unwrap_or(true));
                }
            }
            OpKind::Add | OpKind::Replace => {
                let v = value.take().unwrap_or(Value::Null);
                if !matched.contains(&true) {
                    // Create the value the filter describes (Entra ID's habit).
                    let Some(mut fresh) = described_by(f) else {
                        return fail(
                            "noTarget",
                            format!("no value of \"{name}\" matches the filter"),
                        );
                    };
                    // In canonical spelling (`Type eq "mobile"` creates `type`).
                    canonicalize_attrs(attr.subs, &mut fresh);
                    set_in_element(&mut fresh, sub, v, op)?;
                    items.push(fresh);
                } else {
                    for (e, m) in items.iter_mut().zip(&matched) {
                        if *m {
                            set_in_element(e, sub, v.clone(), op)?;
                        }
                    }
                }
            }
        }
        let empty = items.is_empty();
        obj.insert(name.to_string(), Value::Array(items));
        if empty {
            obj.remove(name);
        }
        return Ok(());
    }
    // No filter: the attribute, or one sub-attribute of a complex one.
    if let Some(sub) = r.sub {
        if attr.multi {
            // `emails.value`: every value's sub-attribute.
            let list = obj.get_mut(name).and_then(Value::as_array_mut);
            match (op, list) {
                (OpKind::Remove, Some(items)) => items.iter_mut().for_each(|e| {
                    if let Some(o) = e.as_object_mut() {
                        o.remove(sub.name);
                    }
                }),
                (OpKind::Remove, None) => {}
                (_, Some(items)) if !items.is_empty() => {
                    let v = value.unwrap_or(Value::Null);
                    for e in items.iter_mut() {
                        set_in_element(e, Some(sub.name), v.clone(), op)?;
                    }
                }
                _ => {
                    let mut fresh = Value::Object(Map::new());
                    set_in_element(&mut fresh, Some(sub.name), value.unwrap_or(Value::Null), op)?;
                    obj.insert(name.to_string(), Value::Array(vec![fresh]));
                }
            }
            return Ok(());
        }
        let entry = obj
            .entry(name.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        if let Some(o) = entry.as_object_mut() {
            match (op, value) {
                (OpKind::Remove, _) | (_, None | Some(Value::Null)) => {
                    o.remove(sub.name);
                }
                (_, Some(v)) => {
                    o.insert(sub.name.to_string(), v);
                }
            }
        }
        return Ok(());
    }
    match op {
        OpKind::Remove => {
            match (attr.multi, value) {
                // Entra ID: remove these members (by value).
                (true, Some(v)) if !v.is_null() => {
                    let gone: Vec<Value> = match v {
                        Value::Array(a) => a,
                        other => vec![other],
                    };
                    if let Some(items) = obj.get_mut(name).and_then(Value::as_array_mut) {
                        items.retain(|e| !gone.iter().any(|g| same_value(e, g)));
                        if items.is_empty() {
                            obj.remove(name);
                        }
                    }
                }
                _ => {
                    obj.remove(name);
                }
            }
        }
        OpKind::Add | OpKind::Replace => {
            let v = value.unwrap_or(Value::Null);
            if attr.multi {
                let new: Vec<Value> = match v {
                    Value::Array(a) => a,
                    Value::Null => Vec::new(),
                    other => vec![other],
                };
                if op == OpKind::Replace {
                    obj.insert(name.to_string(), Value::Array(new));
                } else {
                    let list = obj
                        .entry(name.to_string())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Some(items) = list.as_array_mut() {
                        for n in new {
                            if !items.iter().any(|e| same_value(e, &n)) {
                                items.push(n);
                            }
                        }
                    }
                }
            } else if attr.kind == Kind::Complex {
                let v = as_complex(v);
                let Value::Object(fields) = v else {
                    if v.is_null() {
                        obj.remove(name);
                        return Ok(());
                    }
                    return fail("invalidValue", format!("\"{name}\" must be an object"));
                };
                let entry = obj
                    .entry(name.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Some(o) = entry.as_object_mut() {
                    for (k, v) in fields {
                        o.insert(k, v);
                    }
                }
            } else if v.is_null() {
                obj.remove(name);
            } else {
                obj.insert(name.to_string(), v);
            }
        }
    }
    Ok(())
}

fn canonicalize_value_for(attr: &'static Attr, is_sub: bool, v: &mut Value) {
    if !is_sub {
        canonicalize_value(attr, v);
    }
}

fn set_in_element(
    e: &mut Value,
    sub: Option<&str>,
    v: Value,
    op: OpKind,
) -> Result<(), PatchError> {
    match sub {
        Some(s) => {
            if !e.is_object() {
                *e = Value::Object(Map::new());
            }
            if let Some(o) = e.as_object_mut() {
                if v.is_null() {
                    o.remove(s);
                } else {
                    o.insert(s.to_string(), v);
                }
            }
        }
        None => match (op, v, e.as_object_mut()) {
            (OpKind::Add, Value::Object(fields), Some(o)) => {
                for (k, v) in fields {
                    o.insert(k, v);
                }
            }
            (_, v @ Value::Object(_), _) => *e = v,
            _ => return fail("invalidValue", "the value must be an object"),
        },
    }
    Ok(())
}

/// The value a filter of `sub eq literal` terms joined by `and` describes, if it is one.
fn described_by(f: &Filter) -> Option<Value> {
    let mut out = Map::new();
    fn walk(f: &Filter, out: &mut Map<String, Value>) -> Option<()> {
        match f {
            Filter::And(a, b) => {
                walk(a, out)?;
                walk(b, out)
            }
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.sub.is_none() => {
                let v = match value {
                    CompValue::Str(s) => Value::String(s.clone()),
                    CompValue::Bool(b) => Value::Bool(*b),
                    CompValue::Number(n) => serde_json::Number::from_f64(*n).map(Value::Number)?,
                    CompValue::Null => return None,
                };
                out.insert(path.name.clone(), v);
                Some(())
            }
            _ => None,
        }
    }
    walk(f, &mut out)?;
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(kind: ResourceKind, res: Value, ops: Value) -> Result<Value, PatchError> {
        let body = json!({"schemas": [schema::PATCH_OP], "Operations": ops});
        let ops = parse_ops(&body)?;
        apply(kind, &res, &ops)
    }

    #[test]
    fn entra_and_okta_forms() {
        let user = json!({"userName": "a", "active": true,
            "emails": [{"value": "a@x.com", "type": "work", "primary": true}]});
        let out = run(ResourceKind::User, user.clone(), json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@x.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Jensen"},
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m1"},
        ])).unwrap();
        assert_eq!(out["emails"][0]["value"], "b@x.com");
        assert_eq!(out["name"]["familyName"], "Jensen");
        assert_eq!(out["active"], "False");
        assert_eq!(out[schema::ENTERPRISE]["manager"]["value"], "m1");
        // Okta: replace without a path, with the read-only id in it.
        let out = run(
            ResourceKind::User,
            user.clone(),
            json!([
                {"op": "replace", "value": {"id": "x", "active": false, "Name": {"GivenName": "B"}}}
            ]),
        )
        .unwrap();
        assert_eq!(out["active"], false);
        assert_eq!(out["name"]["givenName"], "B");
        // A filter that matches nothing creates what it describes.
        let out = run(
            ResourceKind::User,
            json!({"userName": "a"}),
            json!([
                {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1"}
            ]),
        )
        .unwrap();
        assert_eq!(
            out["phoneNumbers"],
            json!([{"type": "mobile", "value": "+1"}])
        );
        // Entra without the flag: value keys that are paths.
        let out = run(ResourceKind::User, user, json!([
            {"op": "Add", "value": {"name.givenName": "C", "emails[type eq \"work\"].value": "c@x.com"}}
        ])).unwrap();
        assert_eq!(out["name"]["givenName"], "C");
        assert_eq!(out["emails"][0]["value"], "c@x.com");
    }

    #[test]
    fn members_add_replace_remove() {
        let g = json!({"displayName": "g", "members": [{"value": "1"}, {"value": "2"}]});
        let out = run(
            ResourceKind::Group,
            g.clone(),
            json!([
                {"op": "add", "path": "members", "value": [{"value": "2"}, {"value": "3"}]},
                {"op": "remove", "path": "members[value eq \"1\"]"},
            ]),
        )
        .unwrap();
        assert_eq!(out["members"], json!([{"value": "2"}, {"value": "3"}]));
        let out = run(
            ResourceKind::Group,
            g.clone(),
            json!([
                {"op": "Remove", "path": "members", "value": [{"value": "2"}]}
            ]),
        )
        .unwrap();
        assert_eq!(out["members"], json!([{"value": "1"}]));
        let out = run(
            ResourceKind::Group,
            g.clone(),
            json!([
                {"op": "replace", "path": "members", "value": [{"value": "9", "display": "n"}]}
            ]),
        )
        .unwrap();
        assert_eq!(out["members"], json!([{"value": "9", "display": "n"}]));
        let out = run(
            ResourceKind::Group,
            g,
            json!([{"op": "remove", "path": "members"}]),
        )
        .unwrap();
        assert!(out.get("members").is_none());
    }

    #[test]
    fn refusals_name_their_scim_type() {
        let u = json!({"userName": "a"});
        let t = |ops: Value| {
            run(ResourceKind::User, u.clone(), ops)
                .unwrap_err()
                .scim_type
        };
        assert_eq!(
            t(json!([{"op": "jump", "path": "userName", "value": "x"}])),
            "invalidSyntax"
        );
        assert_eq!(t(json!([{"op": "remove"}])), "noTarget");
        assert_eq!(
            t(json!([{"op": "add", "path": "nope", "value": 1}])),
            "invalidPath"
        );
        assert_eq!(
            t(json!([{"op": "add", "path": "emails[type eq", "value": 1}])),
            "invalidPath"
        );
        assert_eq!(
            t(json!([{"op": "replace", "path": "id", "value": "x"}])),
            "mutability"
        );
        assert_eq!(
            t(json!([{"op": "replace", "path": "groups", "value": []}])),
            "mutability"
        );
        assert_eq!(
            t(json!([{"op": "replace", "path": "emails[type co \"w\"].value", "value": "x"}])),
            "noTarget"
        );
        assert_eq!(
            t(json!([{"op": "add", "path": "userName"}])),
            "invalidValue"
        );
        let bad = parse_ops(&json!({"schemas": ["x"], "Operations": []})).unwrap_err();
        assert_eq!(bad.scim_type, "invalidSyntax");
    }
}
