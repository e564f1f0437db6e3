//! Small readers over the downstream request: host, scheme, browser navigation.

use std::borrow::Cow;

use pingora::http::RequestHeader;

/// The host as the client sent it (any port included): `Host` for HTTP/1, `:authority`
/// for h2; empty when there is none.
pub fn raw_host(req: &RequestHeader) -> &str {
    req.headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri.authority().map(|a| a.as_str()))
        .unwrap_or("")
}

/// The request's host, lower-cased, without port.
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
}
