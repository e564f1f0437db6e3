//! SCIM filters to the store's search conditions ([`crate::store::search`]): each
//! attribute maps to a column or trait with its schema's case rule (`userName`,
//! `displayName`, `emails.value` compare case-insensitively; `id`, `externalId`,
//! `members.value` exactly). A multi-valued attribute is the OR over the values an
//! identity can hold (one email; one phone number per type), so `emails[type eq "work"
//! and value co "@example.com"]` becomes a condition on the email column. Attributes that
//! cannot be filtered on, and comparisons a type does not have (`gt` on a boolean), are
//! refused (`invalidFilter`).

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::eval;
use super::filter::{AttrPath, CompValue, CompareOp, Filter, ParseError};
use super::schema::{self, Home, Kind, ResourceKind};
use super::user_traits::{phone_key, trait_of, PHONE_TYPES};
use crate::store::search::{Condition, SearchField, SearchOp, SearchValue};

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// What a field compares as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    /// Text, compared case-insensitively unless `exact`.
    Text { exact: bool },
    /// Booleans, stored as the status.
    Active,
    /// RFC 3339 times, stored as microseconds.
    Time,
}

/// One value of a multi-valued attribute: the field holding `value`, and constant
/// sub-attributes (`type`, `primary`).
struct Element {
    value: SearchField,
    exact: bool,
    constants: Value,
}

fn elements(kind: ResourceKind, attr: &str) -> Option<Vec<Element>> {
    Some(match (kind, attr) {
        (ResourceKind::User, "emails") => vec![Element {
            value: SearchField::Email,
            exact: false,
            constants: json!({"type": "work", "primary": true}),
        }],
        (ResourceKind::User, "phoneNumbers") => PHONE_TYPES
            .iter()
            .map(|t| Element {
                value: SearchField::Trait(phone_key(t)),
                exact: false,
                constants: json!({"type": t, "primary": false}),
            })
            .collect(),
        (ResourceKind::User, "groups") => vec![Element {
            value: SearchField::GroupOfIdentity,
            exact: true,
            constants: json!({"type": "direct"}),
        }],
        (ResourceKind::Group, "members") => vec![Element {
            value: SearchField::MemberOfGroup,
            exact: true,
            constants: json!({"type": "User"}),
        }],
        _ => return None,
    })
}

/// The field of a single-valued attribute.
fn field(kind: ResourceKind, p: &AttrPath) -> Result<(SearchField, FieldKind), ParseError> {
    let r = schema::resolve(kind, p.schema.as_deref(), &p.name, p.sub.as_deref())
        .ok_or_else(|| ParseError(format!("no attribute \"{p}\"")))?;
    let sub = r.sub.map(|s| s.name);
    let text = |exact| FieldKind::Text { exact };
    let found = match (kind, r.home, r.attr.name, sub) {
        (_, Home::Core, "id", None) => (SearchField::Id, text(true)),
        (_, Home::Core, "meta", Some("created")) => (SearchField::Created, FieldKind::Time),
        (_, Home::Core, "meta", Some("lastModified")) => (SearchField::Modified, FieldKind::Time),
        (_, Home::Core, "displayName", None) => (SearchField::DisplayName, text(false)),
        (ResourceKind::User, Home::Core, "externalId", None) => {
            (SearchField::ExternalId, text(true))
        }
        (ResourceKind::User, Home::Core, "userName", None) => (SearchField::Username, text(false)),
        (ResourceKind::User, Home::Core, "name", Some("givenName")) => {
            (SearchField::GivenName, text(false))
        }
        (ResourceKind::User, Home::Core, "name", Some("familyName")) => {
            (SearchField::FamilyName, text(false))
        }
        (ResourceKind::User, Home::Core, "active", None) => {
            (SearchField::Status, FieldKind::Active)
        }
        (ResourceKind::User, home, attr, sub) => match trait_of(home, attr, sub) {
            Some(key) => (SearchField::Trait(key.to_string()), text(false)),
            None => return err(format!("cannot filter on \"{p}\"")),
        },
        _ => return err(format!("cannot filter on \"{p}\"")),
    };
    Ok(found)
}

fn op(o: CompareOp) -> SearchOp {
    match o {
        CompareOp::Eq => SearchOp::Eq,
        CompareOp::Ne => SearchOp::Ne,
        CompareOp::Co => SearchOp::Contains,
        CompareOp::Sw => SearchOp::StartsWith,
        CompareOp::Ew => SearchOp::EndsWith,
        CompareOp::Gt => SearchOp::Gt,
        CompareOp::Ge => SearchOp::Ge,
        CompareOp::Lt => SearchOp::Lt,
        CompareOp::Le => SearchOp::Le,
    }
}

fn compare(
    field: SearchField,
    fk: FieldKind,
    o: CompareOp,
    v: &CompValue,
    what: &str,
) -> Result<Condition, ParseError> {
    if *v == CompValue::Null {
        return match o {
            CompareOp::Eq => Ok(Condition::Not(Box::new(Condition::Present(field)))),
            CompareOp::Ne => Ok(Condition::Present(field)),
            _ => err(format!("{what}: only eq and ne compare with null")),
        };
    }
    match fk {
        FieldKind::Text { exact } => {
            let CompValue::Str(s) = v else {
                return err(format!("{what} compares with a string"));
            };
            Ok(Condition::Compare {
                field,
                op: op(o),
                value: SearchValue::Text(s.clone()),
                fold: !exact,
            })
        }
        FieldKind::Active => {
            let b = match v {
                CompValue::Bool(b) => *b,
                CompValue::Str(s) => eval::as_bool(&Value::String(s.clone()))
                    .ok_or_else(|| ParseError(format!("{what} compares with true or false")))?,
                _ => return err(format!("{what} compares with true or false")),
            };
            let active = Condition::Compare {
                field,
                op: SearchOp::Eq,
                value: SearchValue::Text("active".into()),
                fold: false,
            };
            match (o, b) {
                (CompareOp::Eq, true) | (CompareOp::Ne, false) => Ok(active),
                (CompareOp::Eq, false) | (CompareOp::Ne, true) => {
                    Ok(Condition::Not(Box::new(active)))
                }
                _ => err(format!("{what} is a boolean: only eq and ne apply")),
            }
        }
        FieldKind::Time => {
            let CompValue::Str(s) = v else {
                return err(format!("{what} compares with an RFC 3339 time"));
            };
            let t = OffsetDateTime::parse(s, &Rfc3339)
                .map_err(|_| ParseError(format!("{s:?} is not an RFC 3339 time")))?;
            let us = i64::try_from(t.unix_timestamp_nanos() / 1_000)
                .map_err(|_| ParseError(format!("{s:?} is out of range")))?;
            Ok(Condition::Compare {
                field,
                op: op(o),
                value: SearchValue::Int(us),
                fold: false,
            })
        }
    }
}

/// A condition inside `attr[…]` on one element.
fn in_element(
    f: &Filter,
    e: &Element,
    attr: &str,
    subs: &'static [schema::Attr],
) -> Result<Condition, ParseError> {
    Ok(match f {
        Filter::And(a, b) => Condition::And(vec![
            in_element(a, e, attr, subs)?,
            in_element(b, e, attr, subs)?,
        ]),
        Filter::Or(a, b) => Condition::Or(vec![
            in_element(a, e, attr, subs)?,
            in_element(b, e, attr, subs)?,
        ]),
        Filter::Not(a) => Condition::Not(Box::new(in_element(a, e, attr, subs)?)),
        Filter::ValuePath { .. } => return err("value filters do not nest"),
        Filter::Present(p) | Filter::Compare { path: p, .. } => {
            if p.schema.is_some() || p.sub.is_some() {
                return err(format!("\"{p}\" is not a sub-attribute of {attr}"));
            }
            if p.name.eq_ignore_ascii_case("value") {
                let fk = FieldKind::Text { exact: e.exact };
                match f {
                    Filter::Compare { op: o, value, .. } => {
                        compare(e.value.clone(), fk, *o, value, &format!("{attr}.value"))?
                    }
                    _ => Condition::Present(e.value.clone()),
                }
            } else if e
                .constants
                .as_object()
                .is_some_and(|c| c.keys().any(|k| k.eq_ignore_ascii_case(&p.name)))
            {
                if eval::matches(f, &e.constants, subs) {
                    Condition::All
                } else {
                    Condition::Nothing
                }
            } else {
                return err(format!("cannot filter on \"{attr}.{}\"", p.name));
            }
        }
    })
}

fn value_path(kind: ResourceKind, attr: &AttrPath, f: &Filter) -> Result<Condition, ParseError> {
    let r = schema::resolve(kind, attr.schema.as_deref(), &attr.name, None)
        .ok_or_else(|| ParseError(format!("no attribute \"{attr}\"")))?;
    let elems = elements(kind, r.attr.name)
        .ok_or_else(|| ParseError(format!("\"{attr}\" is not multi-valued")))?;
    let mut any = Vec::with_capacity(elems.len());
    for e in &elems {
        let cond = in_element(f, e, r.attr.name, r.attr.subs)?;
        any.push(Condition::And(vec![
            Condition::Present(e.value.clone()),
            cond,
        ]));
    }
    Ok(Condition::Or(any))
}

/// The search condition of filter `f` on resources of `kind`.
pub fn condition(kind: ResourceKind, f: &Filter) -> Result<Condition, ParseError> {
    Ok(match f {
        Filter::And(a, b) => Condition::And(vec![condition(kind, a)?, condition(kind, b)?]),
        Filter::Or(a, b) => Condition::Or(vec![condition(kind, a)?, condition(kind, b)?]),
        Filter::Not(a) => Condition::Not(Box::new(condition(kind, a)?)),
        Filter::ValuePath { path, filter } => value_path(kind, path, filter)?,
        Filter::Present(p) | Filter::Compare { path: p, .. } => {
            let r = schema::resolve(kind, p.schema.as_deref(), &p.name, p.sub.as_deref())
                .ok_or_else(|| ParseError(format!("no attribute \"{p}\"")))?;
            if r.attr.multi {
                // `emails.value co "x"`, `emails co "x"`, `members pr`: over the values.
                let sub = AttrPath {
                    schema: None,
                    name: r.sub.map_or("value", |s| s.name).to_string(),
                    sub: None,
                };
                let inner = match f {
                    Filter::Compare { op, value, .. } => Filter::Compare {
                        path: sub,
                        op: *op,
                        value: value.clone(),
                    },
                    _ => Filter::Present(sub),
                };
                let attr = AttrPath {
                    schema: p.schema.clone(),
                    name: p.name.clone(),
                    sub: None,
                };
                return value_path(kind, &attr, &inner);
            }
            if r.attr.kind == Kind::Complex && r.sub.is_none() {
                return err(format!("\"{p}\" is complex: filter on a sub-attribute"));
            }
            if r.attr.name == "meta" && r.sub.is_some_and(|s| s.name == "resourceType") {
                let fake = json!({ "value": kind.name() });
                let inner = match f {
                    Filter::Compare { op, value, .. } => Filter::Compare {
                        path: AttrPath {
                            schema: None,
                            name: "value".into(),
                            sub: None,
                        },
                        op: *op,
                        value: value.clone(),
                    },
                    _ => return Ok(Condition::All),
                };
                return Ok(if eval::matches(&inner, &fake, &[]) {
                    Condition::All
                } else {
                    Condition::Nothing
                });
            }
            let (field, fk) = field(kind, p)?;
            match f {
                Filter::Compare { op: o, value, .. } => {
                    compare(field, fk, *o, value, &p.to_string())?
                }
                _ => Condition::Present(field),
            }
        }
    })
}

/// The field `sortBy` names (single-valued attributes, and `emails`/`emails.value`).
pub fn sort_field(kind: ResourceKind, raw: &str) -> Result<SearchField, ParseError> {
    let p = super::filter::parse_attr_path(raw)?;
    let r = schema::resolve(kind, p.schema.as_deref(), &p.name, p.sub.as_deref())
        .ok_or_else(|| ParseError(format!("no attribute \"{raw}\"")))?;
    if kind == ResourceKind::User && r.attr.name == "emails" {
        return Ok(SearchField::Email);
    }
    Ok(field(kind, &p)?.0)
}

#[cfg(test)]
mod tests {
    use super::super::filter::parse;
    use super::*;

    fn user(f: &str) -> Result<Condition, ParseError> {
        condition(ResourceKind::User, &parse(f).unwrap())
    }

    #[test]
    fn attributes_map_to_fields_with_their_case_rules() {
        assert_eq!(
            user("userName eq \"Bjensen\"").unwrap(),
            Condition::Compare {
                field: SearchField::Username,
                op: SearchOp::Eq,
                value: SearchValue::Text("Bjensen".into()),
                fold: true
            }
        );
        assert!(matches!(
            user("externalId eq \"X\"").unwrap(),
            Condition::Compare { fold: false, .. }
        ));
        assert!(matches!(
            user("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"X\"").unwrap(),
            Condition::Compare { field: SearchField::Trait(ref k), .. } if k == "department"
        ));
        let c = user(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
        let Condition::Or(v) = c else { panic!() };
        assert_eq!(v.len(), 1);
        let c = user(r#"emails[type eq "home"]"#).unwrap();
        assert!(format!("{c:?}").contains("Nothing"));
        assert!(matches!(
            user("active eq false").unwrap(),
            Condition::Not(_)
        ));
        assert!(matches!(
            user("meta.lastModified gt \"2011-05-13T04:42:34Z\"").unwrap(),
            Condition::Compare {
                value: SearchValue::Int(_),
                ..
            }
        ));
        assert!(matches!(user("title eq null").unwrap(), Condition::Not(_)));
        assert_eq!(
            user("meta.resourceType eq \"User\"").unwrap(),
            Condition::All
        );
    }

    #[test]
    fn unsupported_comparisons_are_refused() {
        for bad in [
            "active gt true",
            "active co \"t\"",
            "userName eq 1",
            "nope eq \"x\"",
            "name eq \"x\"",
            "meta.created gt \"yesterday\"",
            "emails[display eq \"x\"]",
            "meta.location eq \"x\"",
            "groups.display eq \"x\"",
        ] {
            assert!(user(bad).is_err(), "{bad}");
        }
        assert!(condition(
            ResourceKind::Group,
            &parse("members[value eq \"x\"]").unwrap()
        )
        .is_ok());
        assert!(condition(ResourceKind::Group, &parse("userName eq \"x\"").unwrap()).is_err());
        assert_eq!(
            sort_field(ResourceKind::User, "name.familyName").unwrap(),
            SearchField::FamilyName
        );
        assert!(sort_field(ResourceKind::User, "groups").is_err());
    }
}
