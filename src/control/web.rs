//! Facts about a browser-facing request the control plane needs: whether its cookies must
//! be `Secure`, its host, and where it may be sent after sign-in or sign-out (`rd` only to
//! a host passgate fronts: no open redirect).

use http::request::Parts;
use url::Url;

use crate::config::{Config, HostPattern};
use crate::dataplane::ClientInfo;
use crate::session::cookie;

/// The request's host, lower-cased, without the port (empty when it has none).
pub fn host(parts: &Parts) -> String {
    let raw = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.host())
        .unwrap_or("");
    crate::dataplane::request::strip_port(raw).to_ascii_lowercase()
}

/// Whether the request came over TLS (as the data plane saw it).
pub fn tls(parts: &Parts) -> bool {
    parts.extensions.get::<ClientInfo>().is_some_and(|c| c.tls)
}

/// Whether cookies set in answer to this request carry `Secure`.
pub fn secure(parts: &Parts) -> bool {
    cookie::needs_secure(tls(parts), &host(parts))
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
}
