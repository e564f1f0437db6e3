//! Evaluates a filter against a JSON value: the values of a multi-valued attribute that a
//! PATCH value filter (`members[value eq "…"]`, `emails[type eq "work"]`) selects. Strings
//! compare with the case rule of their attribute definition; booleans also match Entra ID's
//! `"True"`/`"False"` strings.

use serde_json::Value;

use super::filter::{CompValue, CompareOp, Filter};
use super::schema::Attr;

/// A boolean, also from the strings `"true"`/`"false"` in any case.
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn get<'v>(obj: &'v Value, name: &str) -> Option<&'v Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn present(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

fn compare_str(a: &str, op: CompareOp, b: &str, case_exact: bool) -> bool {
    let (a, b) = if case_exact {
        (a.to_string(), b.to_string())
    } else {
        (a.to_lowercase(), b.to_lowercase())
    };
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        CompareOp::Co => a.contains(&b),
        CompareOp::Sw => a.starts_with(&b),
        CompareOp::Ew => a.ends_with(&b),
        CompareOp::Gt => a > b,
        CompareOp::Ge => a >= b,
        CompareOp::Lt => a < b,
        CompareOp::Le => a <= b,
    }
}

fn compare(v: Option<&Value>, op: CompareOp, want: &CompValue, case_exact: bool) -> bool {
    match (v, want) {
        (None | Some(Value::Null), CompValue::Null) => op == CompareOp::Eq,
        (Some(_), CompValue::Null) => op == CompareOp::Ne,
        (None, _) => op == CompareOp::Ne,
        (Some(v), CompValue::Bool(b)) => match (as_bool(v), op) {
            (Some(x), CompareOp::Eq) => x == *b,
            (Some(x), CompareOp::Ne) => x != *b,
            _ => false,
        },
        (Some(Value::Number(n)), CompValue::Number(w)) => {
            let Some(x) = n.as_f64() else { return false };
            match op {
                CompareOp::Eq => x == *w,
                CompareOp::Ne => x != *w,
                CompareOp::Gt => x > *w,
                CompareOp::Ge => x >= *w,
                CompareOp::Lt => x < *w,
                CompareOp::Le => x <= *w,
                _ => false,
            }
        }
        (Some(Value::String(s)), CompValue::Str(w)) => compare_str(s, op, w, case_exact),
        (Some(Value::Array(items)), _) => {
            items.iter().any(|i| compare(Some(i), op, want, case_exact))
        }
        _ => op == CompareOp::Ne,
    }
}

/// Whether `elem` (a value of a multi-valued attribute whose sub-attributes are `subs`)
/// matches `f`. Attribute paths in `f` name sub-attributes of `elem`.
pub fn matches(f: &Filter, elem: &Value, subs: &[Attr]) -> bool {
    let case_exact = |name: &str| {
        subs.iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .is_some_and(|a| a.case_exact)
    };
    match f {
        Filter::Compare { path, op, value } => {
            // Simple multi-valued values (no sub-attributes) are matched as `value`.
            let v = if elem.is_object() {
                get(elem, &path.name)
            } else if path.name.eq_ignore_ascii_case("value") {
                Some(elem)
            } else {
                None
            };
            compare(v, *op, value, case_exact(&path.name))
        }
        Filter::Present(path) => present(get(elem, &path.name)),
        Filter::And(a, b) => matches(a, elem, subs) && matches(b, elem, subs),
        Filter::Or(a, b) => matches(a, elem, subs) || matches(b, elem, subs),
        Filter::Not(a) => !matches(a, elem, subs),
        // The parser refuses nested value paths.
        Filter::ValuePath { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::filter::parse;
    use super::super::schema::USER_ATTRS;
    use super::*;
    use serde_json::json;

    #[test]
    fn value_filters_on_elements() {
        let emails = &USER_ATTRS.iter().find(|a| a.name == "emails").unwrap().subs;
        let e = json!({"value": "Bjensen@Example.com", "type": "work", "primary": "True"});
        for (f, want) in [
            (r#"type eq "WORK""#, true),
            (r#"type eq "work" and value co "@example.com""#, true),
            (r#"value ew ".org""#, false),
            ("primary eq true", true),
            ("display pr", false),
            (r#"not (type eq "home")"#, true),
            (r#"type eq "home" or value sw "bjen""#, true),
            ("value gt \"a\"", true),
        ] {
            assert_eq!(matches(&parse(f).unwrap(), &e, emails), want, "{f}");
        }
    }
}
