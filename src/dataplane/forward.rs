//! Forward-auth for proxies that stay in front (nginx `auth_request`, Caddy `forward_auth`,
//! Traefik `ForwardAuth`): the original request is rebuilt from the headers the proxy
//! sends (read by [`original`]) and put through the very same gate as a proxied request
//! ([`super::gate::Gate`]), identity headers included.
//! `/.passgate/verify` (control plane) answers with the result; nothing here touches the
//! store.

use http::HeaderMap;
use pingora::http::RequestHeader;

pub use super::original::{original, ForwardError, Original};

/// Why the original request of a forward-auth call is refused before any route is looked
/// at (`/.passgate/verify` answers `400` with the message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Forward(#[from] ForwardError),
    #[error("the original request cannot be read")]
    Unreadable,
    #[error(transparent)]
    Path(#[from] super::request::BadRequest),
}

/// The original request rebuilt as the data plane would see it, with its canonical path.
pub struct Rebuilt {
    pub original: Original,
    pub request: RequestHeader,
    pub canonical: String,
}

/// Reads the original request from the proxy's headers ([`original`]), rebuilds it
/// ([`request`]) and canonicalises its path, refusing what the data plane refuses (a dot
/// segment or NUL byte in either spelling).
pub fn rebuild(h: &HeaderMap) -> Result<Rebuilt, RebuildError> {
    let original = original(h)?;
    let request = request(&original, h).ok_or(RebuildError::Unreadable)?;
    let canonical = crate::config::canonical_path(request.uri.path())
        .map_err(super::request::BadRequest::from)?
        .into_owned();
    Ok(Rebuilt {
        original,
        request,
        canonical,
    })
}

/// The original request as the data plane would see it (`Host`, `Cookie`, `Accept`), for
/// [`super::gate::Gate::decide`].
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataplane::request;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_rebuilt_request_keeps_the_path_as_sent() {
        for uri in ["//admin/x", "/%61dmin;x?q=1", "/a%2Cb%20c"] {
            let o = original(&headers(&[
                ("x-forwarded-host", "app.test"),
                ("x-forwarded-uri", uri),
            ]))
            .unwrap();
            let req = super::request(&o, &HeaderMap::new()).unwrap();
            assert_eq!(request::path_and_query(&req), uri);
            assert_eq!(request::raw_host(&req), "app.test");
        }
    }
}
