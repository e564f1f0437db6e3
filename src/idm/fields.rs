//! Reading request objects field by field, so every problem names its field by path
//! (`identity.traits.username`): wrong types, over-long values, unknown fields.

use serde_json::{Map, Value};

use super::IdmError;

/// A JSON object being read; whatever is left at [`Object::finish`] is an unknown field.
pub struct Object {
    map: Map<String, Value>,
    path: String,
}

/// Absent, `null`, or a value: PATCH tells "leave alone" from "clear".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Absent,
    Clear,
    Set(T),
}

impl Object {
    /// `value` must be an object; `path` is its own field path ("" for the body).
    pub fn new(value: Value, path: &str) -> Result<Object, IdmError> {
        match value {
            Value::Object(map) => Ok(Object {
                map,
                path: path.to_string(),
            }),
            _ => Err(IdmError::invalid(
                if path.is_empty() { "body" } else { path },
                "must be a JSON object",
            )),
        }
    }

    pub fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Removes fields clients may echo back but never set (`id`, `create_time`, …).
    pub fn ignore(&mut self, keys: &[&str]) {
        for k in keys {
            self.map.remove(*k);
        }
    }

    /// Takes the remaining fields (for open-ended maps such as extra traits).
    pub fn drain(&mut self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.map).into_iter().collect()
    }

    /// A required nested object.
    pub fn object(&mut self, key: &str) -> Result<Object, IdmError> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Err(IdmError::invalid(self.field(key), "is required")),
            Some(v) => Object::new(v, &self.field(key)),
        }
    }

    /// An optional nested object.
    pub fn opt_object(&mut self, key: &str) -> Result<Option<Object>, IdmError> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => Object::new(v, &self.field(key)).map(Some),
        }
    }

    /// A string field that may be absent, `null` (clear) or a string of at most `max` characters.
    pub fn string(&mut self, key: &str, max: usize) -> Result<Patch<String>, IdmError> {
        let field = self.field(key);
        match self.map.remove(key) {
            None => Ok(Patch::Absent),
            Some(Value::Null) => Ok(Patch::Clear),
            Some(v) => check_string(&field, v, max).map(Patch::Set),
        }
    }

    /// A string field that must be present.
    pub fn required_string(&mut self, key: &str, max: usize) -> Result<String, IdmError> {
        match self.string(key, max)? {
            Patch::Set(s) => Ok(s),
            _ => Err(IdmError::invalid(self.field(key), "is required")),
        }
    }

    /// A list of strings with `1..=max_items` entries of at most `max_len` characters each.
    pub fn string_list(
        &mut self,
        key: &str,
        max_items: usize,
        max_len: usize,
    ) -> Result<Option<Vec<String>>, IdmError> {
        let field = self.field(key);
        let items = match self.map.remove(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(IdmError::invalid(field, "must be a list of strings")),
        };
        if items.is_empty() || items.len() > max_items {
            return Err(IdmError::invalid(
                field,
                format!("must hold between 1 and {max_items} entries"),
            ));
        }
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| check_string(&format!("{field}[{i}]"), v, max_len))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Fails on the first field nobody read.
    pub fn finish(self) -> Result<(), IdmError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(k) => Err(IdmError::invalid(self.field(k), "unknown field")),
        }
    }
}

/// A string of at most `max` characters without control characters.
pub fn check_string(field: &str, v: Value, max: usize) -> Result<String, IdmError> {
    let Value::String(s) = v else {
        return Err(IdmError::invalid(field, "must be a string"));
    };
    if s.chars().count() > max {
        return Err(IdmError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(IdmError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s)
}

/// A required, non-blank name.
pub fn non_blank(field: &str, s: String) -> Result<String, IdmError> {
    if s.trim().is_empty() {
        return Err(IdmError::invalid(field, "must not be empty"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field_of(e: IdmError) -> String {
        match e {
            IdmError::Invalid { field, .. } => field,
            other => panic!("not an invalid-field error: {other:?}"),
        }
    }

    #[test]
    fn names_nested_fields() {
        let mut top = Object::new(json!({"identity": {"traits": {"username": 7}}}), "").unwrap();
        let mut identity = top.object("identity").unwrap();
        let mut traits = identity.object("traits").unwrap();
        let e = traits.string("username", 10).unwrap_err();
        assert_eq!(field_of(e), "identity.traits.username");
    }

    #[test]
    fn tells_absent_from_null() {
        let mut o = Object::new(json!({"a": null, "b": "x"}), "").unwrap();
        assert_eq!(o.string("a", 5).unwrap(), Patch::Clear);
        assert_eq!(o.string("b", 5).unwrap(), Patch::Set("x".into()));
        assert_eq!(o.string("c", 5).unwrap(), Patch::Absent);
        o.finish().unwrap();
    }

    #[test]
    fn refuses_long_values_and_unknown_fields() {
        let mut o = Object::new(json!({"a": "xxxxxx", "zzz": 1}), "g").unwrap();
        assert_eq!(field_of(o.string("a", 5).unwrap_err()), "g.a");
        assert_eq!(field_of(o.finish().unwrap_err()), "g.zzz");
        let e = Object::new(json!([1]), "").err().unwrap();
        assert_eq!(field_of(e), "body");
    }

    #[test]
    fn lists_are_bounded() {
        let mut o = Object::new(json!({"ids": [], "more": ["a", 1]}), "").unwrap();
        assert_eq!(field_of(o.string_list("ids", 3, 5).unwrap_err()), "ids");
        assert_eq!(
            field_of(o.string_list("more", 3, 5).unwrap_err()),
            "more[1]"
        );
    }
}
