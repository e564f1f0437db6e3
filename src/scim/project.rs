//! `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) on a resource's JSON: the
//! attributes asked for (with `id` and `schemas`, which are always returned), or all but
//! the excluded ones. Names resolve against the schema in any case, with or without their
//! schema URN; an unknown name is an error (`invalidValue`).

use serde_json::{Map, Value};

use super::filter::{parse_attr_path, ParseError};
use super::schema::{self, Home, ResourceKind};

/// One attribute a projection names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    home: Home,
    name: &'static str,
    sub: Option<&'static str>,
}

/// What to return.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Projection {
    #[default]
    All,
    Only(Vec<Selected>),
    Except(Vec<Selected>),
}

fn names(kind: ResourceKind, list: &str) -> Result<Vec<Selected>, ParseError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|raw| {
            let p = parse_attr_path(raw)?;
            let r = schema::resolve(kind, p.schema.as_deref(), &p.name, p.sub.as_deref())
                .ok_or_else(|| ParseError(format!("no attribute \"{raw}\"")))?;
            Ok(Selected {
                home: r.home,
                name: r.attr.name,
                sub: r.sub.map(|s| s.name),
            })
        })
        .collect()
}

impl Projection {
    /// From the query parameters (both given: `attributes` wins, as RFC 7644 allows).
    pub fn parse(
        kind: ResourceKind,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Projection, ParseError> {
        match (attributes.filter(|s| !s.trim().is_empty()), excluded) {
            (Some(a), _) => Ok(Projection::Only(names(kind, a)?)),
            (None, Some(e)) if !e.trim().is_empty() => Ok(Projection::Except(names(kind, e)?)),
            _ => Ok(Projection::All),
        }
    }

    /// Whether the attribute `name` (core) will be in the output at all.
    pub fn wants(&self, name: &str) -> bool {
        match self {
            Projection::All => true,
            Projection::Only(list) => list.iter().any(|s| s.name == name),
            Projection::Except(list) => !list.iter().any(|s| s.name == name && s.sub.is_none()),
        }
    }

    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut root) = resource else {
            return resource;
        };
        match self {
            Projection::All => Value::Object(root),
            Projection::Except(list) => {
                for s in list {
                    if matches!(s.name, "id") {
                        continue;
                    }
                    if let Some(obj) = holder(&mut root, s.home) {
                        match s.sub {
                            None => {
                                obj.remove(s.name);
                            }
                            Some(sub) => match obj.get_mut(s.name) {
                                Some(Value::Object(o)) => {
                                    o.remove(sub);
                                }
                                Some(Value::Array(items)) => items.iter_mut().for_each(|i| {
                                    if let Some(o) = i.as_object_mut() {
                                        o.remove(sub);
                                    }
                                }),
                                _ => {}
                            },
                        }
                    }
                }
                Value::Object(root)
            }
            Projection::Only(list) => {
                let mut out = Map::new();
                for key in ["schemas", "id"] {
                    if let Some(v) = root.get(key) {
                        out.insert(key.to_string(), v.clone());
                    }
                }
                for s in list {
                    let Some(src) = holder(&mut root, s.home) else {
                        continue;
                    };
                    let Some(v) = src.get(s.name).cloned() else {
                        continue;
                    };
                    let v = match (s.sub, v) {
                        (None, v) => v,
                        (Some(sub), Value::Object(o)) => match o.get(sub) {
                            Some(x) => {
                                Value::Object(Map::from_iter([(sub.to_string(), x.clone())]))
                            }
                            None => continue,
                        },
                        (Some(sub), Value::Array(items)) => Value::Array(
                            items
                                .into_iter()
                                .filter_map(|i| {
                                    i.get(sub).map(|x| {
                                        Value::Object(Map::from_iter([(
                                            sub.to_string(),
                                            x.clone(),
                                        )]))
                                    })
                                })
                                .collect(),
                        ),
                        (Some(_), other) => other,
                    };
                    let dest = match s.home {
                        Home::Core => &mut out,
                        Home::Extension(urn) => out
                            .entry(urn.to_string())
                            .or_insert_with(|| Value::Object(Map::new()))
                            .as_object_mut()
                            .expect("inserted as an object"),
                    };
                    merge(dest, s.name, v);
                }
                Value::Object(out)
            }
        }
    }
}

fn holder(root: &mut Map<String, Value>, home: Home) -> Option<&mut Map<String, Value>> {
    match home {
        Home::Core => Some(root),
        Home::Extension(urn) => root.get_mut(urn)?.as_object_mut(),
    }
}

/// Puts `v` at `name`, merging sub-attributes chosen one by one (`name.givenName`,
/// `name.familyName`).
fn merge(dest: &mut Map<String, Value>, name: &str, v: Value) {
    match (dest.get_mut(name), v) {
        (Some(Value::Object(have)), Value::Object(more)) => have.extend(more),
        (Some(Value::Array(have)), Value::Array(more)) if have.len() == more.len() => {
            for (h, m) in have.iter_mut().zip(more) {
                if let (Some(h), Value::Object(m)) = (h.as_object_mut(), m) {
                    h.extend(m);
                }
            }
        }
        (_, v) => {
            dest.insert(name.to_string(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_and_except() {
        let u = json!({"schemas": ["s"], "id": "1", "userName": "a", "displayName": "A",
            "name": {"givenName": "G", "familyName": "F"},
            "emails": [{"value": "a@x", "type": "work"}],
            schema::ENTERPRISE: {"department": "D", "costCenter": "C"}});
        let p = Projection::parse(ResourceKind::User, Some("USERNAME,name.givenName,name.familyName,emails.value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"), None).unwrap();
        assert_eq!(
            p.apply(u.clone()),
            json!({"schemas": ["s"], "id": "1", "userName": "a",
            "name": {"givenName": "G", "familyName": "F"}, "emails": [{"value": "a@x"}],
            schema::ENTERPRISE: {"department": "D"}})
        );
        let p = Projection::parse(
            ResourceKind::User,
            None,
            Some("emails,name.familyName,department,id"),
        )
        .unwrap();
        let out = p.apply(u);
        assert!(out.get("emails").is_none() && out["id"] == "1");
        assert_eq!(out["name"], json!({"givenName": "G"}));
        assert_eq!(out[schema::ENTERPRISE], json!({"costCenter": "C"}));
        assert!(Projection::parse(ResourceKind::Group, Some("nope"), None).is_err());
    }
}
