//! Small readers over the downstream request: host, scheme, browser navigation.

use std::borrow::Cow;

use pingora::http::RequestHeader;

/// The host as the client sent it (case and port kept): `Host` for HTTP/1, `:authority`
/// for h2; empty when there is neither.
pub fn raw_host(req: &RequestHeader) -> &str {
    req.headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri.authority().map(|a| a.as_str()))
        .unwrap_or("")
}

/// The request's host, lower-cased, without port: `Host` for HTTP/1, `:authority` for h2.
pub fn host(req: &RequestHeader) -> Cow<'_, str> {
    let no_port = strip_port(raw_host(req));
    if no_port.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(no_port.to_ascii_lowercase())
    } else {
        Cow::Borrowed(no_port)
    }
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

/// Whether the path has a `.` or `..` segment, literal or percent-encoded (`%2e`). An
/// upstream that normalises the path would route `/public/../admin` to `/admin`, past the
/// policy of the prefix it matched here; browsers never send such paths.
pub fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|seg| {
        let seg = seg.as_bytes();
        let mut dots = 0;
        let mut i = 0;
        while i < seg.len() {
            if seg[i] == b'.' {
                i += 1;
            } else if seg[i..].len() >= 3 && seg[i..i + 3].eq_ignore_ascii_case(b"%2e") {
                i += 3;
            } else {
                return false;
            }
            dots += 1;
        }
        dots == 1 || dots == 2
    })
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
    fn finds_dot_segments_literal_or_encoded() {
        for p in [
            "/a/../b",
            "/a/..",
            "/./a",
            "/a/%2e%2E/b",
            "/a/.%2e",
            "/a/%2E",
        ] {
            assert!(has_dot_segment(p), "{p}");
        }
        for p in [
            "/",
            "/a/..b",
            "/a/b.",
            "/.well-known/x",
            "/a/.../b",
            "/a/%2e%2e%2e",
            "/a//b",
        ] {
            assert!(!has_dot_segment(p), "{p}");
        }
    }

    #[test]
    fn host_is_lowercased_and_portless() {
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        req.insert_header("Host", "App.Example.COM:443").unwrap();
        assert_eq!(host(&req), "app.example.com");
    }
}
