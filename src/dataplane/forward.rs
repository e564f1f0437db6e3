//! Forward-auth for proxies that stay in front (nginx `auth_request`, Caddy `forward_auth`,
//! Traefik `ForwardAuth`): the original request is rebuilt from the headers the proxy
//! sends and put through the very same [`classify`] as a proxied request, and the identity
//! headers are computed as for the upstream. `/.passgate/verify` (control plane) answers
//! with the result; nothing here touches the store.

use std::sync::Arc;

use arc_swap::ArcSwap;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use pingora::http::RequestHeader;

use crate::config::{HostPattern, Route};
use crate::session::assertion::{self, AssertionError};
use crate::session::Principal;

use super::authn::SessionCheck;
use super::classify::{classify, Action};
use super::headers;
use super::runtime::Runtime;

/// The request the proxy asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    pub method: Method,
    pub https: bool,
    /// As sent (port included).
    pub host: String,
    /// Path and query.
    pub uri: String,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Reads the original request: `X-Original-URL` (+ `X-Original-Method`) from nginx, else
/// `X-Forwarded-Method`/`-Host`/`-Uri`/`-Proto` (Traefik, Caddy); the host falls back to
/// `Host`. `None` when the URL cannot be made out.
pub fn original(h: &HeaderMap) -> Option<Original> {
    if let Some(url) = header(h, "x-original-url") {
        let u = url::Url::parse(url).ok()?;
        let host = match u.port() {
            Some(p) => format!("{}:{p}", u.host_str()?),
            None => u.host_str()?.to_string(),
        };
        let uri = match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        };
        let method = header(h, "x-original-method").unwrap_or("GET");
        return Some(Original {
            method: Method::from_bytes(method.as_bytes()).ok()?,
            https: u.scheme() == "https",
            host,
            uri,
        });
    }
    let host = header(h, "x-forwarded-host").or_else(|| header(h, "host"))?;
    let uri = header(h, "x-forwarded-uri").unwrap_or("/");
    if !uri.starts_with('/') {
        return None;
    }
    let method = header(h, "x-forwarded-method").unwrap_or("GET");
    Some(Original {
        method: Method::from_bytes(method.as_bytes()).ok()?,
        https: header(h, "x-forwarded-proto") == Some("https"),
        host: host.split(',').next().unwrap_or("").trim().to_string(),
        uri: uri.to_string(),
    })
}

/// What the data plane shares with `/.passgate/verify`: the live runtime (routes), the
/// session check (assertions are kept on the cached principals).
pub struct ForwardGate {
    pub runtime: Arc<ArcSwap<Runtime>>,
    pub check: SessionCheck,
}

impl ForwardGate {
    pub fn new(runtime: Arc<ArcSwap<Runtime>>, check: SessionCheck) -> Self {
        ForwardGate { runtime, check }
    }

    /// The original request as the data plane would see it (`Host`, `Cookie`, `Accept`).
    pub fn request(o: &Original, h: &HeaderMap) -> Option<RequestHeader> {
        let mut req = RequestHeader::build(o.method.clone(), o.uri.as_bytes(), None).ok()?;
        req.insert_header(http::header::HOST, o.host.as_str())
            .ok()?;
        for name in [http::header::COOKIE, http::header::ACCEPT] {
            for v in h.get_all(&name) {
                req.append_header(name.clone(), v.clone()).ok()?;
            }
        }
        Some(req)
    }

    /// The same decision a proxied request gets.
    pub fn classify(&self, req: &RequestHeader, https: bool, now: u64) -> (Arc<Runtime>, Action) {
        let runtime = self.runtime.load_full();
        let action = classify(&runtime, &self.check, req, https, now);
        (runtime, action)
    }

    /// The identity headers (and the assertion, when the route asks) for `p`.
    pub fn identity(
        &self,
        runtime: &Runtime,
        route: &Route,
        p: &Arc<Principal>,
        req_host: &str,
        now: u64,
    ) -> Result<Vec<(HeaderName, HeaderValue)>, AssertionError> {
        let mut out: Vec<(HeaderName, HeaderValue)> = route
            .identity
            .set
            .iter()
            .filter_map(|(n, c)| headers::claim_value(p, *c).map(|v| (n.clone(), v)))
            .collect();
        if route.assertion {
            let aud = match &route.host {
                HostPattern::Exact(h) => h.as_str(),
                _ => req_host,
            };
            let ring = self.check.keys.load();
            let v = assertion::for_principal(&ring, runtime.verifier.issuer(), aud, p, now)?;
            out.push((HeaderName::from_static(assertion::HEADER), v));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_and_traefik_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-original-url",
            "https://app.test:8443/a/b?c=1".parse().unwrap(),
        );
        h.insert("x-original-method", "POST".parse().unwrap());
        let o = original(&h).unwrap();
        assert_eq!(o.host, "app.test:8443");
        assert_eq!(o.uri, "/a/b?c=1");
        assert!(o.https);
        assert_eq!(o.method, Method::POST);

        let mut h = HeaderMap::new();
        h.insert("x-forwarded-host", "app.test".parse().unwrap());
        h.insert("x-forwarded-uri", "/x?y".parse().unwrap());
        h.insert("x-forwarded-method", "DELETE".parse().unwrap());
        h.insert("x-forwarded-proto", "http".parse().unwrap());
        let o = original(&h).unwrap();
        assert_eq!((o.host.as_str(), o.uri.as_str()), ("app.test", "/x?y"));
        assert_eq!(o.method, Method::DELETE);
        assert!(!o.https);
    }
}
