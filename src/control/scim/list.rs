//! List parameters (RFC 7644 §3.4.2): `filter` (→ the store's search condition),
//! `startIndex` (1-based; below 1 counts as 1), `count` (default 100, clamped to 1,000;
//! 0 answers the total only), `sortBy`/`sortOrder`, `attributes`/`excludedAttributes`; and
//! the `ListResponse` message.

use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::auth::Query;
use super::error::{ScimError, CONTENT_TYPE};
use crate::scim::filter;
use crate::scim::project::Projection;
use crate::scim::query::{condition, sort_field};
use crate::scim::schema::{ResourceKind, LIST};
use crate::store::search::{Condition, Search};

pub const DEFAULT_COUNT: u32 = 100;
pub const MAX_COUNT: u32 = 1000;

/// The projection of a read (`attributes` / `excludedAttributes`).
pub fn projection(kind: ResourceKind, q: &Query) -> Result<Projection, ScimError> {
    Projection::parse(kind, q.get("attributes"), q.get("excludedAttributes"))
        .map_err(|e| ScimError::bad("invalidValue", e.0))
}

fn whole(q: &Query, key: &str) -> Result<Option<i64>, ScimError> {
    match q.get(key) {
        None | Some("") => Ok(None),
        Some(raw) => raw.trim().parse::<i64>().map(Some).or_else(|_| {
            // Out of range numbers are still numbers: clamp them.
            if raw
                .trim()
                .trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit())
            {
                Ok(Some(if raw.trim().starts_with('-') {
                    i64::MIN
                } else {
                    i64::MAX
                }))
            } else {
                Err(ScimError::bad(
                    "invalidValue",
                    format!("{key} must be a whole number"),
                ))
            }
        }),
    }
}

/// The search a list request asks for.
pub fn search(kind: ResourceKind, q: &Query) -> Result<(Search, u64), ScimError> {
    let cond = match q.get("filter").filter(|f| !f.trim().is_empty()) {
        None => Condition::All,
        Some(f) => {
            let parsed = filter::parse(f).map_err(ScimError::filter)?;
            condition(kind, &parsed).map_err(ScimError::filter)?
        }
    };
    let start = whole(q, "startIndex")?.unwrap_or(1).max(1);
    let count = whole(q, "count")?
        .unwrap_or(i64::from(DEFAULT_COUNT))
        .clamp(0, i64::from(MAX_COUNT)) as u32;
    let sort = match q.get("sortBy").filter(|s| !s.is_empty()) {
        None => None,
        Some(by) => {
            let field = sort_field(kind, by).map_err(|e| ScimError::bad("invalidValue", e.0))?;
            let desc = match q.get("sortOrder") {
                None | Some("") => false,
                Some(o) if o.eq_ignore_ascii_case("ascending") => false,
                Some(o) if o.eq_ignore_ascii_case("descending") => true,
                Some(_) => {
                    return Err(ScimError::bad(
                        "invalidValue",
                        "sortOrder must be ascending or descending",
                    ))
                }
            };
            Some((field, desc))
        }
    };
    let start = start as u64;
    Ok((
        Search {
            condition: cond,
            sort,
            offset: start - 1,
            limit: count,
        },
        start,
    ))
}

/// A `ListResponse`.
pub fn response(total: i64, start: u64, resources: Vec<Value>) -> Response {
    let body = json!({
        "schemas": [LIST],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    scim_json(http::StatusCode::OK, &body, None)
}

/// A SCIM JSON answer, with `ETag` when given.
pub fn scim_json(status: http::StatusCode, body: &Value, etag: Option<String>) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(CONTENT_TYPE),
    );
    if let Some(tag) = etag.and_then(|t| http::HeaderValue::from_str(&t).ok()) {
        h.insert(http::header::ETAG, tag);
    }
    resp
}

/// One resource's answer: its weak `ETag` (`version`), and for `201 Created` its
/// `Location` (`location`, the resource's URL).
pub fn resource_json(
    status: http::StatusCode,
    body: &Value,
    version: i64,
    location: &str,
) -> Response {
    let mut resp = scim_json(status, body, Some(super::user_map::etag(version)));
    if status == http::StatusCode::CREATED {
        if let Ok(loc) = http::HeaderValue::from_str(location) {
            resp.headers_mut().insert(http::header::LOCATION, loc);
        }
    }
    resp
}

/// The `{id}` of an item path (`/Users/{id}`, `/Groups/{id}`).
pub fn item_id(p: &std::collections::HashMap<String, String>) -> &str {
    p.get("id").map_or("", String::as_str)
}

/// `412` for a PATCH whose `If-Match` names a version of `what` ("user", "group") that is
/// no longer the current one.
pub fn stale(what: &str, expected: i64, current: i64) -> ScimError {
    ScimError::new(
        412,
        None,
        format!("the {what} has changed: expected version {expected}, current version {current}"),
    )
}
