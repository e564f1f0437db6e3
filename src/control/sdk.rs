//! The embedded SDK as served (`sdk/` in the source tree, compiled into the binary, so its
//! version is the crate's): `/.passgate/sdk.js` and `/.passgate/sdk.d.ts` with an `ETag`
//! (a conditional GET gets `304`) and five minutes of caching, and the same bytes at
//! `/.passgate/sdk/v{version}/…` cached for a year as immutable. Any origin may load them
//! (`Access-Control-Allow-Origin: *`): they are public and carry no credentials.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// The SDK's version: the binary's.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The SDK's immutable URL path on every host.
pub const VERSIONED_JS: &str = concat!("/.passgate/sdk/v", env!("CARGO_PKG_VERSION"), "/sdk.js");
const VERSIONED_DTS: &str = concat!("/.passgate/sdk/v", env!("CARGO_PKG_VERSION"), "/sdk.d.ts");

const SHORT: &str = "public, max-age=300";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

struct File {
    body: &'static str,
    kind: &'static str,
    etag: HeaderValue,
    /// Where its TypeScript declarations are (`X-TypeScript-Types`, read by Deno and others).
    types: Option<&'static str>,
}

fn file(body: &'static str, kind: &'static str, types: Option<&'static str>) -> File {
    let digest = Sha256::digest(body.as_bytes());
    let tag = format!("\"{}\"", data_encoding::HEXLOWER.encode(&digest[..16]));
    File {
        body,
        kind,
        etag: HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"sdk\"")),
        types,
    }
}

static JS: LazyLock<File> = LazyLock::new(|| {
    file(
        include_str!("../../sdk/sdk.js"),
        "text/javascript; charset=utf-8",
        Some(VERSIONED_DTS),
    )
});
static DTS: LazyLock<File> = LazyLock::new(|| {
    file(
        include_str!("../../sdk/sdk.d.ts"),
        "application/typescript; charset=utf-8",
        None,
    )
});

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for GET).
fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.as_bytes();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t).as_bytes() == ours)
}

fn serve(f: &File, cache: &'static str, headers: &HeaderMap) -> Response {
    let mut resp = if not_modified(headers, &f.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = f.body.into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(f.kind));
        r
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, f.etag.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(types) = f.types {
        h.insert("x-typescript-types", HeaderValue::from_static(types));
    }
    resp
}

/// `GET /.passgate/sdk.js`.
pub async fn js(headers: HeaderMap) -> Response {
    serve(&JS, SHORT, &headers)
}

/// `GET /.passgate/sdk.d.ts`.
pub async fn dts(headers: HeaderMap) -> Response {
    serve(&DTS, SHORT, &headers)
}

/// `GET /.passgate/sdk/v{version}/{sdk.js|sdk.d.ts}`: this binary's version only (another
/// version is `404`, naming the one served: a pinned version never silently changes).
pub async fn versioned(
    Path((version, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let current = version.strip_prefix('v') == Some(VERSION);
    match (current, name.as_str()) {
        (true, "sdk.js") => serve(&JS, IMMUTABLE, &headers),
        (true, "sdk.d.ts") => serve(&DTS, IMMUTABLE, &headers),
        _ => ApiError::NotFound(format!(
            "this passgate serves SDK version {VERSION} at {VERSIONED_JS}"
        ))
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inm(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::IF_NONE_MATCH, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let tag = JS.etag.to_str().unwrap().to_string();
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 34);
        assert!(not_modified(&inm(&[&tag]), &JS.etag));
        assert!(not_modified(&inm(&[&format!("W/{tag}")]), &JS.etag));
        assert!(not_modified(&inm(&[&format!("\"x\", {tag}")]), &JS.etag));
        assert!(not_modified(&inm(&["\"x\"", &tag]), &JS.etag));
        assert!(not_modified(&inm(&["*"]), &JS.etag));
        assert!(!not_modified(&inm(&[]), &JS.etag));
        assert!(!not_modified(&inm(&["\"x\""]), &JS.etag));
        assert!(!not_modified(&inm(&[&tag[1..tag.len() - 1]]), &JS.etag));
        assert!(
            !not_modified(&inm(&[&tag]), &DTS.etag),
            "each file its own tag"
        );
    }
}
