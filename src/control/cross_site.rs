//! Refuses cross-site state-changing requests to `/.passgate/*` (CSRF protection for the
//! form posts, and a second wall behind the JSON-only API). A request whose method is not
//! GET, HEAD or OPTIONS is refused with `403` when the browser says it comes from another
//! origin: `Sec-Fetch-Site` other than `same-origin` or `none` or, from browsers that do
//! not send it, an `Origin` whose host and port differ from `Host`. Requests carrying
//! neither header (curl, SCIM clients, server-to-server calls) are not from a browser
//! page and pass: a forged request needs a victim's browser, and every browser in use
//! sends one of the two on a cross-origin POST.
//!
//! One exception: on `/.passgate/api/v1/*` a request whose `Origin` is a `trusted_origins`
//! entry of an `embedded` authenticator configuration passes (the app's own pages run the
//! SDK from there; see `cors.rs`). Exactly those origins: any other is still refused, and
//! the hosted form posts (`/recover`, `/logout`) accept no trusted origin. The OpenID
//! Connect token, revocation, introspection and userinfo endpoints are exempt (they never
//! read the session cookie), and so is its logout (apps post to it from their pages).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, Method, Uri};

use super::error::ApiError;
use crate::config::Config;

/// The middleware: passes same-origin and non-browser requests on, refuses the rest.
pub async fn refuse_cross_site(
    State(config): State<Arc<Config>>,
    req: Request,
    next: Next,
) -> Response {
    let trusted = super::cors::trusted_origin(&config, req.headers(), req.uri().path()).is_some()
        || cookieless(req.uri().path());
    if !trusted && cross_site(req.method(), req.headers(), req.uri()) {
        tracing::warn!(
            method = %req.method(),
            path = req.uri().path(),
            "refused a cross-site request"
        );
        return ApiError::Forbidden(
            "Cross-site requests to passgate are refused; send this from a passgate page.".into(),
        )
        .into_response();
    }
    next.run(req).await
}

/// The OpenID Connect endpoints a client calls with its own credentials (client secret,
/// PKCE verifier, bearer token), never the session cookie: no request forgery to guard;
/// and RP-initiated logout, which apps post to from their own pages (the same as its GET,
/// which any page can already navigate to).
fn cookieless(path: &str) -> bool {
    matches!(
        path,
        "/.passgate/oidc/token"
            | "/.passgate/oidc/revoke"
            | "/.passgate/oidc/introspect"
            | "/.passgate/oidc/userinfo"
            | "/.passgate/oidc/logout"
    )
}

/// Whether a browser marks this state-changing request as coming from another origin.
/// The request's own authority is `Host`, else the URI's (HTTP/2 `:authority`).
pub fn cross_site(method: &Method, headers: &HeaderMap, uri: &Uri) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .map(|h| h.as_bytes())
        .or_else(|| uri.authority().map(|a| a.as_str().as_bytes()));
    match (origin_authority(origin.as_bytes()), host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        // `Origin: null` (sandboxed frames, data: URLs) or no Host to compare with.
        _ => true,
    }
}

/// `host[:port]` of an `Origin` value (`scheme://host[:port]`); `None` for `null` and
/// anything else that is not a serialised origin.
fn origin_authority(origin: &[u8]) -> Option<&[u8]> {
    let s = std::str::from_utf8(origin).ok()?;
    let (scheme, rest) = s.split_once("://")?;
    let authority_ok = !rest.is_empty() && !rest.contains(['/', '?', '#', '@']);
    (matches!(scheme, "http" | "https") && authority_ok).then_some(rest.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri() -> Uri {
        Uri::from_static("/.passgate/recover")
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "app.test:8080".parse().unwrap());
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn safe_methods_always_pass() {
        let h = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.test"),
        ]);
        for m in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(!cross_site(&m, &h, &uri()), "{m}");
        }
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        for (site, refused) in [
            ("same-origin", false),
            ("none", false),
            ("same-site", true),
            ("cross-site", true),
            ("garbage", true),
        ] {
            // Sec-Fetch-Site wins over a matching Origin.
            let h = headers(&[("sec-fetch-site", site), ("origin", "http://app.test:8080")]);
            assert_eq!(cross_site(&Method::POST, &h, &uri()), refused, "{site}");
        }
    }

    #[test]
    fn origin_must_match_host_without_fetch_metadata() {
        for (origin, refused) in [
            ("http://app.test:8080", false),
            ("https://APP.test:8080", false),
            ("http://app.test", true),
            ("http://app.test:8080.evil.test", true),
            ("https://evil.test", true),
            ("null", true),
            ("http://user@app.test:8080", true),
            ("app.test:8080", true),
            ("ftp://app.test:8080", true),
        ] {
            let h = headers(&[("origin", origin)]);
            for m in [Method::POST, Method::DELETE, Method::PATCH, Method::PUT] {
                assert_eq!(cross_site(&m, &h, &uri()), refused, "{m} {origin}");
            }
        }
    }

    #[test]
    fn non_browser_clients_pass() {
        assert!(!cross_site(&Method::POST, &headers(&[]), &uri()));
        let mut no_host = HeaderMap::new();
        no_host.insert(header::ORIGIN, "https://app.test".parse().unwrap());
        assert!(
            cross_site(&Method::POST, &no_host, &uri()),
            "an Origin with nothing to match"
        );
        // HTTP/2: no Host header, the authority is in the URI.
        let h2: Uri = "https://app.test/.passgate/recover".parse().unwrap();
        assert!(!cross_site(&Method::POST, &no_host, &h2));
        let other: Uri = "https://other.test/.passgate/recover".parse().unwrap();
        assert!(cross_site(&Method::POST, &no_host, &other));
    }
}
