//! Facts about a browser-facing request the control plane needs: whether its cookies must
//! be `Secure`, its host, and where it may be sent after sign-in or sign-out (`rd` only to
//! a host passgate fronts: no open redirect).

use std::net::IpAddr;

use http::request::Parts;
use url::Url;

use super::error::ApiError;
use crate::config::{Config, HostPattern};
use crate::dataplane::ClientInfo;
use crate::session::cookie;

/// A JSON request body as `T` (an empty body reads as `{}`), errors naming their field
/// (see [`super::body::parse`]). `Content-Type: application/json` is required: a
/// cross-site form cannot send it, and a cross-site `fetch` with it needs a CORS preflight
/// passgate grants only to the trusted origins of embedded authenticator configurations.
pub fn json_body<T: serde::de::DeserializeOwned>(
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    let json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::BadRequest(
            "Content-Type must be application/json".into(),
        ));
    }
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    super::body::parse(body)
}

/// The request's host, lower-cased, without the port or one trailing dot (empty when it
/// has none), as the data plane routes on it.
pub fn host(parts: &Parts) -> String {
    let raw = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.host())
        .unwrap_or("");
    crate::dataplane::request::normalize_host(raw).into_owned()
}

/// Whether the request came over TLS (as the data plane saw it).
pub fn tls(parts: &Parts) -> bool {
    parts.extensions.get::<ClientInfo>().is_some_and(|c| c.tls)
}

/// Whether cookies set in answer to this request carry `Secure`.
pub fn secure(parts: &Parts) -> bool {
    cookie::needs_secure(tls(parts), &host(parts))
}

/// The client's address: the connection's peer or, behind a trusted load balancer
/// (`server.trust_forwarded_headers`), the last `X-Forwarded-For` entry (the one the
/// balancer appended; earlier entries are whatever the client claimed). Rate limits key
/// on it, so behind a balancer they apply per user, not to everyone at once.
pub fn client_ip(config: &Config, parts: &Parts) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ClientInfo>()
        .and_then(|c| c.addr)
        .map(|a| a.ip());
    if !config.server.trust_forwarded_headers {
        return peer;
    }
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|last| parse_forwarded_ip(last.trim()))
        .or(peer)
}

/// An address as load balancers write it in `X-Forwarded-For`: `1.2.3.4`, `1.2.3.4:5678`,
/// `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_forwarded_ip(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
}

/// The realm sign-in on `host` is for: that of the first route fronting the host, else
/// the `default` realm (or the first configured).
pub fn realm_for(config: &Config, host: &str) -> String {
    config.sign_in_realm(host)
}

/// Whether `host` is one passgate fronts (a route's host, or the auth host). A catch-all
/// route (`*`) counts only for the host the request came to.
fn fronted(config: &Config, host: &str, request_host: &str) -> bool {
    host == config.auth_host
        || config.routes.iter().any(|r| match &r.host {
            HostPattern::Exact(h) => h == host,
            HostPattern::Wildcard(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::Any => host == request_host,
        })
}

/// `rd` when it is safe to redirect to: a path on this host (`/x`, never `//x` or `/\x`),
/// or an absolute http(s) URL without credentials on a fronted host. Anything else
/// (other hosts, `javascript:`, backslashes, control characters) gives `None`.
pub fn safe_redirect(config: &Config, rd: &str, request_host: &str) -> Option<String> {
    if rd.is_empty()
        || rd.len() > 4096
        || rd.contains('\\')
        || rd.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return None;
    }
    if rd.starts_with('/') {
        return (!rd.starts_with("//")).then(|| rd.to_string());
    }
    let url = Url::parse(rd).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    fronted(config, &host, request_host).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        crate::config::from_str(
            "public_url = \"https://auth.example.com\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n\
             [[routes]]\nhost = \"app.test\"\nupstream = \"http://127.0.0.1:2\"\n\
             [[routes]]\nhost = \"*.corp.test\"\nupstream = \"http://127.0.0.1:2\"\n",
            std::path::Path::new("."),
        )
        .unwrap()
    }

    #[test]
    fn only_fronted_hosts_and_local_paths() {
        let c = config();
        for ok in [
            "/",
            "/app?x=1",
            "https://app.test/x",
            "http://app.test:8080/y",
            "https://wiki.corp.test/",
            "https://auth.example.com/.passgate/passkeys",
        ] {
            assert!(safe_redirect(&c, ok, "app.test").is_some(), "{ok}");
        }
        for bad in [
            "//evil.com",
            "///evil.com",
            "/\\evil.com",
            "https://evil.com",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "http://app.test@evil.com",
            "http://user:pw@app.test/",
            "https:\\\\evil.com",
            "https://app.test.evil.com/",
            "https://corp.test.evil.com/",
            "data:text/html,x",
            "http://app.test/\nx",
            "",
            " https://app.test/",
            "app.test/x",
        ] {
            assert!(safe_redirect(&c, bad, "app.test").is_none(), "{bad}");
        }
    }

    fn request(xff: &[&str]) -> Parts {
        let mut b = http::Request::builder().uri("/");
        for v in xff {
            b = b.header("x-forwarded-for", *v);
        }
        let (mut parts, ()) = b.body(()).unwrap().into_parts();
        parts.extensions.insert(ClientInfo {
            addr: Some("10.0.0.9:4444".parse().unwrap()),
            tls: false,
        });
        parts
    }

    #[test]
    fn client_ip_is_the_peer_unless_forwarded_headers_are_trusted() {
        let mut c = config();
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let spoofed = request(&["6.6.6.6"]);
        assert_eq!(client_ip(&c, &spoofed), Some(peer), "untrusted: the peer");
        c.server.trust_forwarded_headers = true;
        for (xff, want) in [
            (&["6.6.6.6, 203.0.113.7"][..], "203.0.113.7"),
            (&["6.6.6.6", "203.0.113.8"][..], "203.0.113.8"),
            (&["203.0.113.9:5050"][..], "203.0.113.9"),
            (&["[2001:db8::1]:443"][..], "2001:db8::1"),
            (&["2001:db8::2"][..], "2001:db8::2"),
            (&["[2001:db8::3]"][..], "2001:db8::3"),
        ] {
            let want: IpAddr = want.parse().unwrap();
            assert_eq!(client_ip(&c, &request(xff)), Some(want), "{xff:?}");
        }
        for junk in [&[][..], &["unknown"][..], &["1.2.3.4, "][..]] {
            assert_eq!(client_ip(&c, &request(junk)), Some(peer), "{junk:?}");
        }
    }

    #[test]
    fn host_without_port_case_or_trailing_dot() {
        for (raw, want) in [
            ("App.Test:8080", "app.test"),
            ("app.test.", "app.test"),
            ("app.test.:443", "app.test"),
            ("[::1]:80", "[::1]"),
        ] {
            let (parts, ()) = http::Request::builder()
                .uri("/")
                .header("host", raw)
                .body(())
                .unwrap()
                .into_parts();
            assert_eq!(host(&parts), want, "{raw}");
        }
    }
}
