//! Reading a config file: TOML syntax, then each section (and each element of the arrays of
//! tables) deserialized on its own so that one mistake does not hide the next. Problems get
//! the line of the key they name, looked up in the span-preserving `toml_edit` parse.

use serde::de::DeserializeOwned;

use super::file::{
    EmailFile, FileConfig, ListenerFile, MetricsFile, OidcClientFile, OidcFile, RealmFile,
    RouteFile, ServerFile, SessionFile, StoreFile, TOP_LEVEL_KEYS,
};
use super::problem::Problem;

/// Parses `src` into the file mirror, collecting every structural problem.
pub fn parse_file(src: &str, problems: &mut Vec<Problem>) -> Option<FileConfig> {
    let table: toml::Table = match toml::from_str(src) {
        Ok(t) => t,
        Err(e) => {
            let line = e.span().map(|s| line_of_offset(src, s.start));
            problems.push(Problem {
                path: String::new(),
                line,
                message: format!("TOML syntax: {}", e.message()),
            });
            return None;
        }
    };

    let mut file = FileConfig::default();
    for (key, value) in table {
        match key.as_str() {
            "public_url" => file.public_url = section(value, &key, problems),
            "tenant_id" => file.tenant_id = section(value, &key, problems),
            "server" => {
                if let Some(s) = section::<ServerFile>(value, &key, problems) {
                    file.server = s;
                }
            }
            "metrics" => file.metrics = section::<MetricsFile>(value, &key, problems),
            "store" => {
                if let Some(s) = section::<StoreFile>(value, &key, problems) {
                    file.store = s;
                }
            }
            "session" => {
                if let Some(s) = section::<SessionFile>(value, &key, problems) {
                    file.session = s;
                }
            }
            "email" => file.email = section::<EmailFile>(value, &key, problems),
            "oidc" => file.oidc = oidc_section(value, problems),
            "listeners" => file.listeners = elements::<ListenerFile>(value, &key, problems),
            "realms" => file.realms = elements::<RealmFile>(value, &key, problems),
            "routes" => file.routes = elements::<RouteFile>(value, &key, problems),
            _ => {
                let spelled = toml_key(&key);
                problems.push(Problem::new(
                    spelled.clone(),
                    format!(
                        "unknown key `{spelled}`; expected one of: {}",
                        TOP_LEVEL_KEYS.join(", ")
                    ),
                ))
            }
        }
    }
    Some(file)
}

/// A key as TOML spells it: bare when it can be, else quoted, so an empty key (`""`, found
/// by the `config_check` fuzz target) still has a key path.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        return key.to_string();
    }
    // A JSON string is a TOML basic string (the escapes serde_json writes are TOML's).
    serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}"))
}

/// Deserializes one table. On an error the offending key is dropped and the table tried
/// again, so every problem in it is reported (not only the first), and what remains still
/// goes on to validation; a `missing field` that only follows from a dropped key is not
/// reported twice. The problems already pushed keep the whole file from loading.
fn section<T: DeserializeOwned>(
    mut value: toml::Value,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let mut dropped: Vec<String> = Vec::new();
    loop {
        let err = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(v) => return Some(v),
            Err(e) => e,
        };
        let message = err.inner().message().to_string();
        if let Some(rest) = message.strip_prefix("missing field `") {
            if dropped.iter().any(|d| rest.starts_with(&format!("{d}`"))) {
                return None;
            }
        }
        let key = err.path().iter().find_map(|seg| match seg {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            _ => None,
        });
        problems.push(problem_from_serde(path, err));
        let removed = match (&key, value.as_table_mut()) {
            (Some(k), Some(table)) => table.remove(k).is_some(),
            _ => false,
        };
        match key {
            Some(k) if removed => dropped.push(k),
            _ => return None,
        }
    }
}

/// `[oidc]`: its keys as one section, `[[oidc.clients]]` element by element.
fn oidc_section(mut value: toml::Value, problems: &mut Vec<Problem>) -> Option<OidcFile> {
    let clients = value
        .as_table_mut()
        .and_then(|t| t.remove("clients"))
        .map(|c| elements::<OidcClientFile>(c, "oidc.clients", problems))
        .unwrap_or_default();
    let mut oidc = section::<OidcFile>(value, "oidc", problems)?;
    oidc.clients = clients;
    Some(oidc)
}

/// An array of tables: each element on its own, keeping its index for later messages.
fn elements<T: DeserializeOwned>(
    value: toml::Value,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Vec<(usize, T)> {
    let toml::Value::Array(items) = value else {
        problems.push(Problem::new(
            path,
            format!("expected an array of tables (`[[{path}]]`)"),
        ));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        if let Some(v) = section(item, &format!("{path}[{i}]"), problems) {
            out.push((i, v));
        }
    }
    out
}

fn problem_from_serde(base: &str, e: serde_path_to_error::Error<toml::de::Error>) -> Problem {
    let inner = e.inner().message().to_string();
    let mut path = base.to_string();
    for seg in e.path().iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key } => {
                path.push('.');
                path.push_str(key);
            }
            serde_path_to_error::Segment::Enum { variant } => {
                path.push('.');
                path.push_str(variant);
            }
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    // "unknown field `x`": name the key itself in the path.
    if let Some(rest) = inner.strip_prefix("unknown field `") {
        if let Some(end) = rest.find('`') {
            let key = &rest[..end];
            if !path.ends_with(&format!(".{key}")) {
                path.push('.');
                path.push_str(key);
            }
        }
    }
    Problem::new(path, inner)
}

/// Fills in `line` for every problem whose key path can be found in the document.
pub fn attach_lines(src: &str, problems: &mut [Problem]) {
    // Only problems with a key path and no line need the span-preserving parse; a TOML
    // syntax error has its line already. toml_edit 0.23 panics on some malformed
    // documents (`==\n[.`: "all items have spans", found by the `config_check` fuzz
    // target), so it only ever parses a document `toml` accepted.
    if !problems
        .iter()
        .any(|p| p.line.is_none() && !p.path.is_empty())
    {
        return;
    }
    let Ok(doc) = toml_edit::Document::parse(src) else {
        return;
    };
    for p in problems.iter_mut() {
        if p.line.is_none() && !p.path.is_empty() {
            p.line = span_of_path(doc.as_table(), &p.path).map(|off| line_of_offset(src, off));
        }
    }
}

fn span_of_path(root: &toml_edit::Table, path: &str) -> Option<usize> {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        segments.push(Seg::Key(key));
        for idx in indexes.split('[').filter(|s| !s.is_empty()) {
            segments.push(Seg::Index(idx.trim_end_matches(']').parse().ok()?));
        }
    }

    let mut best: Option<usize> = None;
    let mut item: Option<&toml_edit::Item> = None;
    let mut table: Option<&dyn toml_edit::TableLike> = Some(root);
    for seg in segments {
        match seg {
            Seg::Key(k) => {
                let Some((key, it)) = table.and_then(|t| t.get_key_value(k)) else {
                    // A key the file leaves out (a default): point at its table.
                    return best;
                };
                best = key.span().map(|s| s.start).or(best);
                item = Some(it);
            }
            Seg::Index(i) => match item? {
                toml_edit::Item::ArrayOfTables(a) => {
                    let t = a.get(i)?;
                    best = t.span().map(|s| s.start).or(best);
                    item = None;
                    table = Some(t);
                    continue;
                }
                toml_edit::Item::Value(toml_edit::Value::Array(a)) => {
                    let v = a.get(i)?;
                    best = v.span().map(|s| s.start).or(best);
                    item = None;
                    table = v.as_inline_table().map(|t| t as &dyn toml_edit::TableLike);
                    continue;
                }
                _ => return best,
            },
        }
        table = item.and_then(|it| it.as_table_like());
    }
    best
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn line_of_offset(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
