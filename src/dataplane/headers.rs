//! Headers on the way upstream: strip what a client could spoof, set `X-Forwarded-*`, and
//! choose the `Host` the upstream sees.

use std::net::SocketAddr;

use pingora::http::RequestHeader;
use pingora::Result;

use http::{HeaderName, HeaderValue};

use crate::config::{Claim, HostHeader, IdentityHeaders, Upstream};
use crate::session::Principal;

/// Every header whose name starts with this is passgate's to set, never the client's.
pub const RESERVED_PREFIX: &str = "x-passgate-";

/// Removes every `X-Passgate-*` header and every header in `also` (all copies, any
/// letter case: header names are matched lower-cased).
pub fn strip_reserved(req: &mut RequestHeader, also: &[HeaderName]) {
    let names: Vec<HeaderName> = req
        .headers
        .keys()
        .filter(|n| n.as_str().starts_with(RESERVED_PREFIX) || also.contains(n))
        .cloned()
        .collect();
    for n in names {
        while req.remove_header(&n).is_some() {}
    }
}

/// The value of `claim` for `p` (groups comma-separated); `None` when absent or unsafe.
/// Values are built once per principal (see [`Principal::header_values`]); this clones one.
#[inline]
pub fn claim_value(p: &Principal, claim: Claim) -> Option<HeaderValue> {
    let v = p.header_values();
    match claim {
        Claim::Id => v.id.clone(),
        Claim::Username => v.username.clone(),
        Claim::Email => v.email.clone(),
        Claim::Realm => v.realm.clone(),
        Claim::Groups => v.groups.clone(),
    }
}

/// Adds the route's identity headers for `p` (after [`strip_reserved`]).
pub fn set_identity(req: &mut RequestHeader, ids: &IdentityHeaders, p: &Principal) -> Result<()> {
    for ((_, claim), wire) in ids.set.iter().zip(&ids.wire) {
        if let Some(v) = claim_value(p, *claim) {
            req.insert_header(wire.clone(), v)?;
        }
    }
    Ok(())
}

/// Removes the session cookie from the `Cookie` headers going upstream (the app never sees
/// the token); other cookies are kept, joined into one header. Requests without it are left
/// untouched, and looking costs no allocation.
pub fn strip_cookie(req: &mut RequestHeader, name: &str) -> Result<()> {
    let is_session = |pair: &str| pair.trim().split_once('=').is_some_and(|(k, _)| k == name);
    let cookies = req.headers.get_all(http::header::COOKIE);
    if !cookies
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(';').any(is_session))
    {
        return Ok(());
    }
    let mut kept = String::new();
    for pair in cookies
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty() && !is_session(pair))
    {
        if !kept.is_empty() {
            kept.push_str("; ");
        }
        kept.push_str(pair);
    }
    while req.remove_header(&http::header::COOKIE).is_some() {}
    if !kept.is_empty() {
        req.insert_header(http::header::COOKIE, kept)?;
    }
    Ok(())
}

/// Sets `X-Forwarded-For`, `-Proto` and `-Host`. Untrusted (the default): the client's own
/// values, and `Forwarded`, are replaced. Trusted (behind a load balancer): the client
/// address is appended and an existing proto/host kept.
pub fn set_forwarded(
    req: &mut RequestHeader,
    client: Option<SocketAddr>,
    tls: bool,
    original_host: &str,
    trusted: bool,
) -> Result<()> {
    let ip = client.map(|a| a.ip().to_string());
    let prior_xff = req
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ");
    let xff = match (trusted && !prior_xff.is_empty(), ip) {
        (true, Some(ip)) => Some(format!("{prior_xff}, {ip}")),
        (true, None) => Some(prior_xff),
        (false, ip) => ip,
    };
    while req.remove_header("x-forwarded-for").is_some() {}
    if let Some(v) = xff {
        req.insert_header("X-Forwarded-For", v)?;
    }
    let keep = |req: &RequestHeader, name: &str| trusted && req.headers.contains_key(name);
    if !keep(req, "x-forwarded-proto") {
        req.insert_header("X-Forwarded-Proto", if tls { "https" } else { "http" })?;
    }
    if !keep(req, "x-forwarded-host") && !original_host.is_empty() {
        req.insert_header("X-Forwarded-Host", original_host)?;
    }
    if !trusted {
        while req.remove_header("forwarded").is_some() {}
    }
    Ok(())
}

/// Applies the route's `host_header` rule; makes sure an h2 request gains a `Host`.
pub fn set_host(
    req: &mut RequestHeader,
    rule: &HostHeader,
    upstream: &Upstream,
    original: &str,
) -> Result<()> {
    match rule {
        HostHeader::Preserve => {
            if !req.headers.contains_key(http::header::HOST) && !original.is_empty() {
                req.insert_header(http::header::HOST, original)?;
            }
        }
        HostHeader::Upstream => {
            let default_port = if upstream.tls { 443 } else { 80 };
            let host = if upstream.host.contains(':') {
                format!("[{}]", upstream.host)
            } else {
                upstream.host.clone()
            };
            let v = if upstream.port == default_port {
                host
            } else {
                format!("{host}:{}", upstream.port)
            };
            req.insert_header(http::header::HOST, v)?;
        }
        HostHeader::Fixed(v) => req.insert_header(http::header::HOST, v.as_str())?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_every_copy_in_any_case() {
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        req.append_header("X-Passgate-User", "mallory").unwrap();
        req.append_header("x-passgate-user", "eve").unwrap();
        req.append_header("X-PASSGATE-GROUPS", "admin").unwrap();
        req.append_header("X-Other", "kept").unwrap();
        req.append_header("remote-USER", "eve").unwrap();
        req.append_header("Remote-User", "eve2").unwrap();
        strip_reserved(&mut req, &[HeaderName::from_static("remote-user")]);
        assert!(req
            .headers
            .keys()
            .all(|k| !k.as_str().starts_with("x-passgate-")));
        assert!(req.headers.get("remote-user").is_none());
        assert_eq!(req.headers.get("x-other").unwrap(), "kept");
    }

    #[test]
    fn identity_headers_and_the_session_cookie() {
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        req.append_header("Cookie", "a=1; passgate_session=tok; b=2")
            .unwrap();
        req.append_header("Cookie", "passgate_session=x").unwrap();
        strip_cookie(&mut req, "passgate_session").unwrap();
        assert_eq!(req.headers.get_all("cookie").iter().count(), 1);
        assert_eq!(req.headers.get("cookie").unwrap(), "a=1; b=2");
        let mut only = RequestHeader::build("GET", b"/", None).unwrap();
        only.append_header("Cookie", "passgate_session=tok")
            .unwrap();
        strip_cookie(&mut only, "passgate_session").unwrap();
        assert!(only.headers.get("cookie").is_none());
        let mut other = RequestHeader::build("GET", b"/", None).unwrap();
        other
            .append_header("Cookie", "a=1; passgate_session_x=2")
            .unwrap();
        other.append_header("Cookie", "flag; b=2").unwrap();
        strip_cookie(&mut other, "passgate_session").unwrap();
        let kept: Vec<_> = other.headers.get_all("cookie").iter().collect();
        assert_eq!(
            kept,
            ["a=1; passgate_session_x=2", "flag; b=2"],
            "untouched"
        );
        other.append_header("Cookie", "passgate_session=t").unwrap();
        strip_cookie(&mut other, "passgate_session").unwrap();
        assert_eq!(
            other.headers.get("cookie").unwrap(),
            "a=1; passgate_session_x=2; flag; b=2"
        );

        let p = Principal {
            identity_id: "id1".into(),
            realm: "default".into(),
            username: "alice".into(),
            email: Some("alice@example.com".into()),
            groups: vec!["staff".into(), "ops".into()].into(),
            session_id: "s1".into(),
            auth_time: 0,
            expires_at: 0,
            memo: Default::default(),
        };
        set_identity(&mut req, &IdentityHeaders::default(), &p).unwrap();
        assert_eq!(req.headers.get("x-passgate-user").unwrap(), "alice");
        assert_eq!(req.headers.get("x-passgate-groups").unwrap(), "staff,ops");
        assert_eq!(req.headers.get("x-passgate-identity").unwrap(), "id1");
        assert_eq!(
            req.headers.get("x-passgate-email").unwrap(),
            "alice@example.com"
        );
    }

    #[test]
    fn untrusted_forwarded_headers_are_replaced() {
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        req.append_header("X-Forwarded-For", "6.6.6.6").unwrap();
        req.append_header("X-Forwarded-Proto", "https").unwrap();
        req.append_header("Forwarded", "for=6.6.6.6").unwrap();
        let client: SocketAddr = "10.0.0.1:5555".parse().unwrap();
        set_forwarded(&mut req, Some(client), false, "app.test", false).unwrap();
        assert_eq!(req.headers.get("x-forwarded-for").unwrap(), "10.0.0.1");
        assert_eq!(req.headers.get("x-forwarded-proto").unwrap(), "http");
        assert_eq!(req.headers.get("x-forwarded-host").unwrap(), "app.test");
        assert!(req.headers.get("forwarded").is_none());
    }

    #[test]
    fn trusted_forwarded_headers_are_appended() {
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        req.append_header("X-Forwarded-For", "1.2.3.4").unwrap();
        req.append_header("X-Forwarded-Proto", "https").unwrap();
        let client: SocketAddr = "10.0.0.1:5555".parse().unwrap();
        set_forwarded(&mut req, Some(client), false, "app.test", true).unwrap();
        assert_eq!(
            req.headers.get("x-forwarded-for").unwrap(),
            "1.2.3.4, 10.0.0.1"
        );
        assert_eq!(req.headers.get("x-forwarded-proto").unwrap(), "https");
    }
}
