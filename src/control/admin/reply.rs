//! How admin handlers answer: a view as JSON (with its `ETag` for versioned resources), a
//! page of views (`{"<items>": […], "total_size", "next_page_token"}`), or `{}`.

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};

use super::extract::etag;
use crate::control::error::ApiError;
use crate::idm::paging::Listing;

pub type Reply = Result<Response, ApiError>;

/// `view` as the answer.
pub fn ok<T: Serialize>(view: T) -> Reply {
    Ok(Json(view).into_response())
}

/// `view` of a resource at `version`, with `ETag: "<version>"`.
pub fn versioned<T: Serialize>(view: T, version: i64) -> Reply {
    let mut resp = Json(view).into_response();
    resp.headers_mut().insert(http::header::ETAG, etag(version));
    Ok(resp)
}

/// One page: `key` holds `views`, the views of the page's items.
pub fn listing<T, V: Serialize>(
    key: &str,
    page: &Listing<T>,
    views: impl Iterator<Item = V>,
) -> Reply {
    let items: Vec<V> = views.collect();
    let mut out = Map::new();
    out.insert(
        key.to_string(),
        serde_json::to_value(items).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    out.insert("total_size".into(), page.total_size.into());
    if let Some(t) = &page.next_page_token {
        out.insert("next_page_token".into(), t.clone().into());
    }
    ok(Value::Object(out))
}

/// `{}` (deletes).
pub fn empty() -> Reply {
    ok(Map::new())
}
