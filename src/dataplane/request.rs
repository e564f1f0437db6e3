//! Small readers over the downstream request: host (and why one is refused), scheme,
//! browser navigation.

use std::borrow::Cow;

use http::Version;
use pingora::http::authority::raw_target_authority;
use pingora::http::RequestHeader;

/// A request passgate refuses with `400` before looking at any route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadRequest {
    #[error("The request path contains . or .. segments (or a NUL byte), which passgate refuses.")]
    Path,
    #[error("The request names no host: send a Host header.")]
    MissingHost,
    #[error("The request's host is not a valid name.")]
    Host,
}

impl BadRequest {
    /// The `code` of the JSON error.
    pub fn code(self) -> crate::error_code::ErrorCode {
        use crate::error_code::ErrorCode;
        match self {
            BadRequest::Path => ErrorCode::BadPath,
            BadRequest::MissingHost | BadRequest::Host => ErrorCode::BadHost,
        }
    }
}

impl From<crate::config::UnsafePath> for BadRequest {
    fn from(_: crate::config::UnsafePath) -> Self {
        BadRequest::Path
    }
}

/// The host as the client sent it (any port included): `Host`, else the authority of the
/// request target (`:authority` for h2, an absolute-form target for HTTP/1); empty when
/// there is none.
pub fn raw_host(req: &RequestHeader) -> &str {
    req.headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri.authority().map(|a| a.as_str()))
        .or_else(|| {
            raw_target_authority(req.raw_path())
                .authority()
                .and_then(|a| std::str::from_utf8(a).ok())
        })
        .unwrap_or("")
}

/// The request's host, lower-cased, without port or one trailing dot (`App.Example.com.`
/// names `app.example.com`, as nginx and Apache take it). Lenient: for logs, cookies and
/// assertions; routing uses [`route_host`].
pub fn host(req: &RequestHeader) -> Cow<'_, str> {
    normalize_host(raw_host(req))
}

/// [`host`] of a `host[:port]` string.
pub fn normalize_host(raw: &str) -> Cow<'_, str> {
    let no_port = strip_port(raw);
    let name = no_port.strip_suffix('.').unwrap_or(no_port);
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// The host routes are matched on ([`host`]), refused when an HTTP/1.1 (or later) request
/// names none, or when it is only dots or ends with `..` (no trailing dot to strip, and a
/// name no upstream agrees on). HTTP/1.0 without a host gets `""`: only `*` routes match.
pub fn route_host(req: &RequestHeader) -> Result<Cow<'_, str>, BadRequest> {
    let raw = raw_host(req);
    let name = strip_port(raw);
    if name.is_empty() {
        return match req.version {
            Version::HTTP_09 | Version::HTTP_10 => Ok(Cow::Borrowed("")),
            _ => Err(BadRequest::MissingHost),
        };
    }
    // A `:` left after taking off a numeric port (`a.test:x`, `a.test:.`) is not a name
    // (fuzz target `host`: `e.com..Ep:.` normalised to `e.com..ep:`, then to `e.com..ep`).
    let bracketed = name.starts_with('[');
    if name.ends_with("..") || name.bytes().all(|b| b == b'.') || (!bracketed && name.contains(':'))
    {
        return Err(BadRequest::Host);
    }
    Ok(normalize_host(raw))
}

/// `example.com:8080` → `example.com`; `[::1]:8080` → `[::1]`.
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rfind(':') {
        Some(i) if host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &host[..i],
        _ => host,
    }
}

/// A top-level browser navigation: GET or HEAD whose `Accept` includes `text/html`.
pub fn is_browser_navigation(req: &RequestHeader) -> bool {
    (req.method == http::Method::GET || req.method == http::Method::HEAD) && accepts_html(req)
}

pub fn accepts_html(req: &RequestHeader) -> bool {
    req.headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

/// `path?query` of the request, as the client sent it.
pub fn path_and_query(req: &RequestHeader) -> &str {
    req.uri.path_and_query().map_or("/", |p| p.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_ports_from_names_and_ipv6() {
        assert_eq!(strip_port("example.com:8080"), "example.com");
        assert_eq!(strip_port("example.com"), "example.com");
        assert_eq!(strip_port("[::1]:8080"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
    }

    #[test]
    fn host_is_lowercased_and_portless() {
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        req.insert_header("Host", "App.Example.COM:443").unwrap();
        assert_eq!(host(&req), "app.example.com");
    }

    fn with_host(target: &str, host: Option<&str>, version: Version) -> RequestHeader {
        let mut req = RequestHeader::build("GET", target.as_bytes(), None).unwrap();
        req.set_version(version);
        if let Some(h) = host {
            req.insert_header("Host", h).unwrap();
        }
        req
    }

    #[test]
    fn route_host_strips_one_trailing_dot_and_refuses_odd_names() {
        let h = |host: &str| {
            route_host(&with_host("/", Some(host), Version::HTTP_11)).map(|c| c.into_owned())
        };
        assert_eq!(h("Admin.Example.com.").unwrap(), "admin.example.com");
        assert_eq!(h("admin.example.com.:8443").unwrap(), "admin.example.com");
        assert_eq!(h("admin.example.com").unwrap(), "admin.example.com");
        assert_eq!(h("[::1]:80").unwrap(), "[::1]");
        assert_eq!(h("admin.example.com.."), Err(BadRequest::Host));
        assert_eq!(h("."), Err(BadRequest::Host));
        assert_eq!(h("...:80"), Err(BadRequest::Host));
        assert_eq!(h(""), Err(BadRequest::MissingHost));
        assert_eq!(h(":80"), Err(BadRequest::MissingHost));
        // Regression (fuzz target `host`): a port that is not a number.
        assert_eq!(h("e.com..Ep:."), Err(BadRequest::Host));
        assert_eq!(h("app.test:x"), Err(BadRequest::Host));
        assert_eq!(h("a:1:2"), Err(BadRequest::Host));
    }

    #[test]
    fn route_host_reads_an_absolute_target_without_host() {
        let req = with_host("http://Admin.Example.com:8080/x?y", None, Version::HTTP_11);
        assert_eq!(raw_host(&req), "Admin.Example.com:8080");
        assert_eq!(route_host(&req).unwrap(), "admin.example.com");
        let req = with_host("/x", None, Version::HTTP_11);
        assert_eq!(route_host(&req), Err(BadRequest::MissingHost));
        let req = with_host("/x", None, Version::HTTP_10);
        assert_eq!(route_host(&req).unwrap(), "");
    }
}
