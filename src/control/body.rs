//! Request bodies as typed values: JSON deserialised with serde, every error naming its
//! field by path (`identity.traits.username`) in the standard error shape. Every body type
//! refuses unknown fields (`#[serde(deny_unknown_fields)]`), so a typo is an error, not a
//! silent no-op.

use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The dotted path of a serde error (`identity.traits[2].x`), `""` at the top.
fn path_of(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            serde_path_to_error::Segment::Enum { variant } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(variant);
            }
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else if path.ends_with(&format!(".{key}")) || path == key {
        path.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The key between the first pair of backticks of `s`.
fn quoted(s: &str) -> Option<&str> {
    let rest = s.split_once('`')?.1;
    Some(rest.split_once('`')?.0)
}

/// The field a serde error is about and what is wrong with it, in plain words.
fn violation(path: &str, message: &str) -> (String, String) {
    if message.starts_with("unknown field") {
        let key = quoted(message).unwrap_or_default();
        return (join(path, key), "unknown field".into());
    }
    if message.starts_with("missing field") {
        let key = quoted(message).unwrap_or_default();
        return (join(path, key), "is required".into());
    }
    let field = if path.is_empty() { "body" } else { path };
    // "invalid type: integer `5`, expected a string at line 1 column 9" → without position.
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    (field.to_string(), message.to_string())
}

/// `bytes` as `T`, a JSON object. Invalid JSON (or not an object) names `body`; every
/// other problem its field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    // Objects only where the type has a struct (see `strict_json`).
    match serde_path_to_error::deserialize::<_, T>(super::strict_json::Strict(de)) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = path_of(e.path());
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::invalid("body", format!("invalid JSON: {inner}")));
            }
            let (field, message) = violation(&path, &inner.to_string());
            Err(ApiError::invalid(field, message))
        }
    }
}

/// A member of a body (kept raw while the rest was read) as `T`; errors name fields under
/// `prefix` (`credential.response.clientDataJSON`).
pub fn parse_member<T: DeserializeOwned>(
    raw: &serde_json::value::RawValue,
    prefix: &str,
) -> Result<T, ApiError> {
    match parse::<T>(raw.get().as_bytes()) {
        Ok(v) => Ok(v),
        Err(ApiError::InvalidField { field, message }) => Err(ApiError::invalid(
            if field == "body" {
                prefix.to_string()
            } else {
                format!("{prefix}.{field}")
            },
            message,
        )),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Top {
        identity: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        traits: Traits,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Traits {
        username: String,
    }

    fn field(json: &str) -> String {
        match parse::<Top>(json.as_bytes()) {
            Err(ApiError::InvalidField { field, .. }) => field,
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn every_error_names_its_field() {
        assert_eq!(field("{\"identity\":"), "body");
        assert_eq!(field("[1]"), "body");
        assert_eq!(field("{}"), "identity");
        assert_eq!(field(r#"{"identity": 3}"#), "identity");
        assert_eq!(field(r#"{"identity": {}}"#), "identity.traits");
        assert_eq!(
            field(r#"{"identity": {"traits": {"username": 5}}}"#),
            "identity.traits.username"
        );
        assert_eq!(
            field(r#"{"identity": {"traits": {"username": "a", "x": 1}}}"#),
            "identity.traits.x"
        );
        assert_eq!(
            field(r#"{"identity": {"traits": {"username": "a"}, "tags": ["a", 2]}}"#),
            "identity.tags[1]"
        );
        assert_eq!(
            field(r#"{"identity": {"traits": {"username": "a"}}, "extra": 1}"#),
            "extra"
        );
        match parse::<Top>(br#"{"identity": {"traits": {"username": 5}}}"#) {
            Err(ApiError::InvalidField { message, .. }) => {
                assert!(message.starts_with("invalid type"), "{message}");
                assert!(!message.contains("line"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
