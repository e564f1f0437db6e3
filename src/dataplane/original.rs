//! The original request of a forward-auth call, read from the headers the proxy sends:
//! nginx's `X-Original-URL`/`-Method` or Traefik's and Caddy's `X-Forwarded-*`. Each proxy
//! sets its own set and passes a client's copies of the other through, so two sets that
//! describe different requests are refused (one is forged). The path is kept as sent and
//! checked for dot segments before anything parses it.

use http::{HeaderMap, Method};
use pingora::http::authority::{raw_target_authority, RawTargetAuthority};

use crate::config::canonical::has_unsafe_segments;

use super::request;

/// The request the proxy asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    pub method: Method,
    pub https: bool,
    /// As sent (port included).
    pub host: String,
    /// Path and query, as sent.
    pub uri: String,
}

/// Why the original request cannot be made out: `/.passgate/verify` answers `400`, which
/// every proxy turns into a refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    #[error("send X-Original-URL, or X-Forwarded-Host and X-Forwarded-Uri")]
    Missing,
    #[error("{0} is sent more than once")]
    Repeated(&'static str),
    #[error("X-Original-URL must be an absolute http(s) URL")]
    BadUrl,
    #[error("X-Forwarded-Uri must start with /")]
    BadUri,
    #[error("{0} is not UTF-8 text")]
    NotText(&'static str),
    #[error("the original method is not an HTTP method")]
    BadMethod,
    #[error("the original path has . or .. segments")]
    UnsafePath,
    /// The `X-Original-*` and `X-Forwarded-*` headers describe different requests: one set
    /// was sent by the client, not by the proxy.
    #[error("X-Original-* and X-Forwarded-* name different requests ({0})")]
    Conflict(&'static str),
}

const ORIGINAL_URL: &str = "x-original-url";
const ORIGINAL_METHOD: &str = "x-original-method";
const FORWARDED_HOST: &str = "x-forwarded-host";
const FORWARDED_URI: &str = "x-forwarded-uri";
const FORWARDED_METHOD: &str = "x-forwarded-method";

/// The one value of `name` (trimmed; empty counts as absent). Two copies are refused: a
/// proxy sets these headers once, so a second copy is the client's.
fn header<'a>(h: &'a HeaderMap, name: &'static str) -> Result<Option<&'a str>, ForwardError> {
    let mut all = h.get_all(name).iter();
    let (Some(v), None) = (all.next(), all.next()) else {
        return match h.contains_key(name) {
            true => Err(ForwardError::Repeated(name)),
            false => Ok(None),
        };
    };
    // A value that is not text is refused, never taken as absent: `X-Original-URL` with
    // raw UTF-8 in the path (nginx passes `$request_uri` as the client sent it) was read as
    // missing, and the request decided as `/` (found by the `forward_auth` fuzz target).
    let text = std::str::from_utf8(v.as_bytes()).map_err(|_| ForwardError::NotText(name))?;
    // Only HTTP's whitespace (space, tab) is trimmed: `str::trim` also took a trailing
    // U+00A0 off the path, so `/~\u{a0}` was decided as `/~` (fuzz target `forward_auth`).
    let text = text.trim_matches(|c| c == ' ' || c == '\t');
    Ok(Some(text).filter(|v| !v.is_empty()))
}

/// `X-Original-URL` taken apart without normalising anything (a URL parser would resolve
/// `..` and `%2e` before passgate could refuse them): (https, host[:port], path?query).
fn split_url(url: &str) -> Result<(bool, &str, String), ForwardError> {
    let RawTargetAuthority::Absolute {
        scheme,
        authority,
        path_and_query,
    } = raw_target_authority(url.as_bytes())
    else {
        return Err(ForwardError::BadUrl);
    };
    let https = match scheme.to_ascii_lowercase().as_slice() {
        b"https" => true,
        b"http" => false,
        _ => return Err(ForwardError::BadUrl),
    };
    if authority.contains(&b'@') || http::uri::Authority::try_from(authority).is_err() {
        return Err(ForwardError::BadUrl);
    }
    let host = std::str::from_utf8(authority).map_err(|_| ForwardError::BadUrl)?;
    let rest = std::str::from_utf8(path_and_query).map_err(|_| ForwardError::BadUrl)?;
    let rest = rest.split('#').next().unwrap_or("");
    let uri = match rest.as_bytes().first() {
        Some(b'/') => rest.to_string(),
        _ => format!("/{rest}"),
    };
    let path = uri.split('?').next().unwrap_or("");
    if has_unsafe_segments(path) {
        return Err(ForwardError::UnsafePath);
    }
    Ok((https, host, uri))
}

/// Reads the original request. nginx sends `X-Original-URL` (+ `X-Original-Method`);
/// Traefik and Caddy send `X-Forwarded-Method`/`-Host`/`-Uri`/`-Proto`; the host falls
/// back to `Host`. Each proxy sets its own set and passes the client's copies of the other
/// through, so when both sets are present they must name the same request (host, path and
/// query, method): a copy forged by the client conflicts unless it is identical, and is
/// refused. The fields one set leaves out are taken from the other.
pub fn original(h: &HeaderMap) -> Result<Original, ForwardError> {
    let url = header(h, ORIGINAL_URL)?.map(split_url).transpose()?;
    let o_method = header(h, ORIGINAL_METHOD)?;
    let f_host = header(h, FORWARDED_HOST)?.map(|v| v.split(',').next().unwrap_or("").trim());
    let f_uri = header(h, FORWARDED_URI)?;
    let f_method = header(h, FORWARDED_METHOD)?;
    if let Some((_, host, uri)) = &url {
        if f_host.is_some_and(|f| request::normalize_host(f) != request::normalize_host(host)) {
            return Err(ForwardError::Conflict("host"));
        }
        if f_uri.is_some_and(|f| f != uri) {
            return Err(ForwardError::Conflict("path"));
        }
    }
    if let (Some(o), Some(f)) = (o_method, f_method) {
        if o != f {
            return Err(ForwardError::Conflict("method"));
        }
    }
    let method = o_method.or(f_method).unwrap_or("GET");
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| ForwardError::BadMethod)?;
    if let Some((https, host, uri)) = url {
        return Ok(Original {
            method,
            https,
            host: host.to_string(),
            uri,
        });
    }
    let host = match f_host {
        Some(host) => host,
        None => header(h, "host")?.ok_or(ForwardError::Missing)?,
    };
    let uri = f_uri.unwrap_or("/");
    if !uri.starts_with('/') {
        return Err(ForwardError::BadUri);
    }
    Ok(Original {
        method,
        https: header(h, "x-forwarded-proto")? == Some("https"),
        host: host.to_string(),
        uri: uri.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, v.parse().unwrap());
        }
        h
    }

    /// Regression (fuzz target `forward_auth`): a non-ASCII X-Original-URL was taken as
    /// absent, and the request decided as `/`.
    #[test]
    fn non_ascii_originals_are_kept_or_refused_never_dropped() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-original-url",
            HeaderValue::from_bytes("http://app.test/admin/ѣ".as_bytes()).unwrap(),
        );
        h.insert("host", HeaderValue::from_static("auth.test"));
        let o = original(&h).unwrap();
        assert_eq!(o.host, "app.test");
        assert_eq!(o.uri, "/admin/ѣ");
        h.insert(
            "x-original-url",
            HeaderValue::from_bytes(b"http://app.test/admin/\xff").unwrap(),
        );
        assert_eq!(original(&h), Err(ForwardError::NotText("x-original-url")));
        // Unicode spaces are part of the path, not trimmed like HTTP whitespace.
        h.insert(
            "x-original-url",
            HeaderValue::from_bytes("http://app.test/~\u{a0}".as_bytes()).unwrap(),
        );
        assert_eq!(original(&h).unwrap().uri, "/~\u{a0}");
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-uri",
            HeaderValue::from_bytes(b"/a\xe9").unwrap(),
        );
        h.insert("x-forwarded-host", HeaderValue::from_static("app.test"));
        assert_eq!(original(&h), Err(ForwardError::NotText("x-forwarded-uri")));
    }

    #[test]
    fn nginx_and_traefik_headers() {
        let h = headers(&[
            ("x-original-url", "https://app.test:8443/a/b?c=1"),
            ("x-original-method", "POST"),
        ]);
        let o = original(&h).unwrap();
        assert_eq!(o.host, "app.test:8443");
        assert_eq!(o.uri, "/a/b?c=1");
        assert!(o.https);
        assert_eq!(o.method, Method::POST);

        let h = headers(&[
            ("x-forwarded-host", "app.test"),
            ("x-forwarded-uri", "/x?y"),
            ("x-forwarded-method", "DELETE"),
            ("x-forwarded-proto", "http"),
        ]);
        let o = original(&h).unwrap();
        assert_eq!((o.host.as_str(), o.uri.as_str()), ("app.test", "/x?y"));
        assert_eq!(o.method, Method::DELETE);
        assert!(!o.https);
    }

    #[test]
    fn the_original_url_is_kept_as_sent() {
        let o = original(&headers(&[(
            "x-original-url",
            "http://a.test/%61dmin;x//y?q=%2e",
        )]))
        .unwrap();
        assert_eq!(o.uri, "/%61dmin;x//y?q=%2e");
        let o = original(&headers(&[("x-original-url", "HTTP://a.test?q")])).unwrap();
        assert_eq!((o.uri.as_str(), o.https), ("/?q", false));
        for bad in [
            "/just/a/path",
            "ftp://a.test/x",
            "http://user@a.test/x",
            "http:/\\a.test/x",
            "http:///x",
        ] {
            assert_eq!(
                original(&headers(&[("x-original-url", bad)])),
                Err(ForwardError::BadUrl),
                "{bad}"
            );
        }
    }

    #[test]
    fn dot_segments_in_the_original_url_are_refused_before_parsing() {
        for bad in [
            "https://a.test/pub/../admin",
            "https://a.test/pub/%2e%2e/admin",
            "https://a.test/pub/%2E./admin?x",
            "https://a.test/pub/..;/admin",
            "https://a.test/pub/.",
        ] {
            assert_eq!(
                original(&headers(&[("x-original-url", bad)])),
                Err(ForwardError::UnsafePath),
                "{bad}"
            );
        }
        // In the query, dots are data.
        assert!(original(&headers(&[("x-original-url", "https://a.test/x?p=../y")])).is_ok());
    }

    #[test]
    fn both_sets_must_name_the_same_request() {
        let url = ("x-original-url", "https://App.test:443/admin?x=1");
        // Caddy's own set and a client's X-Original-URL naming another path.
        let caddy = [
            ("x-forwarded-host", "app.test"),
            ("x-forwarded-uri", "/admin?x=1"),
            ("x-forwarded-method", "POST"),
            ("x-forwarded-proto", "https"),
        ];
        let forged = |pairs: &[(&'static str, &str)]| {
            let mut all = caddy.to_vec();
            all.extend_from_slice(pairs);
            original(&headers(&all))
        };
        assert_eq!(
            forged(&[("x-original-url", "https://app.test/static/x")]),
            Err(ForwardError::Conflict("path"))
        );
        assert_eq!(
            forged(&[("x-original-url", "https://app.test/admin?x=2")]),
            Err(ForwardError::Conflict("path"))
        );
        assert_eq!(
            forged(&[("x-original-url", "https://other.test/admin?x=1")]),
            Err(ForwardError::Conflict("host"))
        );
        assert_eq!(
            forged(&[("x-original-method", "GET")]),
            Err(ForwardError::Conflict("method"))
        );
        // An identical copy names the same request; the method the URL leaves out comes
        // from the other set (not a default GET).
        let o = forged(&[url]).unwrap();
        assert_eq!((o.method, o.uri.as_str()), (Method::POST, "/admin?x=1"));
        // nginx's own set and a client's X-Forwarded-*.
        let nginx = |pairs: &[(&'static str, &str)]| {
            let mut all = vec![
                url,
                ("x-original-method", "GET"),
                ("host", "127.0.0.1:8080"),
            ];
            all.extend_from_slice(pairs);
            original(&headers(&all))
        };
        assert_eq!(
            nginx(&[("x-forwarded-uri", "/pub/x")]),
            Err(ForwardError::Conflict("path"))
        );
        assert_eq!(
            nginx(&[("x-forwarded-host", "pub.test")]),
            Err(ForwardError::Conflict("host"))
        );
        assert_eq!(
            nginx(&[("x-forwarded-method", "PUT")]),
            Err(ForwardError::Conflict("method"))
        );
        // A balancer in front of nginx that sets X-Forwarded-Host/-Proto for the same host.
        let o = nginx(&[
            ("x-forwarded-host", "app.test."),
            ("x-forwarded-proto", "http"),
        ])
        .unwrap();
        assert_eq!((o.host.as_str(), o.https), ("App.test:443", true));
        // Two copies of one header: refused.
        assert_eq!(
            nginx(&[("x-original-url", "https://app.test/pub")]),
            Err(ForwardError::Repeated("x-original-url"))
        );
    }
}
