//! Headers on the way upstream: strip what a client could spoof, set `X-Forwarded-*`, and
//! choose the `Host` the upstream sees.

use std::net::SocketAddr;

use pingora::http::{RequestHeader, ResponseHeader};
use pingora::Result;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};

use crate::config::{Claim, HostHeader, Upstream};
use crate::session::{cookie, Principal};

/// Every header whose name starts with this is passgate's to set, never the client's.
pub const RESERVED_PREFIX: &str = "x-passgate-";

/// Removes every `X-Passgate-*` header and every header in `also` (all copies, any
/// letter case: header names are matched lower-cased), and their spellings with `_` for
/// `-` (`X_Passgate_User`): Rack, uWSGI, CGI and older gunicorn read both as one variable.
pub fn strip_reserved(req: &mut RequestHeader, also: &[HeaderName]) {
    let names: Vec<HeaderName> = req
        .headers
        .keys()
        .filter(|n| reserved(n, also))
        .cloned()
        .collect();
    for n in names {
        while req.remove_header(&n).is_some() {}
    }
}

/// Whether a client's header `name` is, or may be read as, one passgate sets.
fn reserved(name: &HeaderName, also: &[HeaderName]) -> bool {
    let n = name.as_str().as_bytes();
    if n.starts_with(RESERVED_PREFIX.as_bytes()) || also.contains(name) {
        return true;
    }
    let prefix = RESERVED_PREFIX.as_bytes();
    n.contains(&b'_')
        && ((n.len() >= prefix.len() && same_dashed(&n[..prefix.len()], prefix))
            || also.iter().any(|a| same_dashed(n, a.as_str().as_bytes())))
}

/// `a == b` with `_` and `-` counted as the same byte.
fn same_dashed(a: &[u8], b: &[u8]) -> bool {
    let dash = |c: u8| if c == b'_' { b'-' } else { c };
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| dash(*x) == dash(*y))
}

/// The value of `claim` for `p` (groups comma-separated); `None` when absent or unsafe.
/// Values are built once per principal (see [`Principal::header_values`]); this takes one.
#[inline]
pub fn claim_value(p: &Principal, claim: Claim) -> Option<HeaderValue> {
    let v = p.header_values();
    match claim {
        Claim::Id => v.id(),
        Claim::Username => v.username(),
        Claim::Email => v.email(),
        Claim::Realm => v.realm(),
        Claim::Groups => v.groups(),
    }
}

/// Removes the session cookie from the `Cookie` headers going upstream (the app never sees
/// the token); other cookies are kept, joined into one header. Requests without it are left
/// untouched, and looking costs no allocation. Works on the header bytes, so a header that
/// also carries non-ASCII cookies is stripped too.
pub fn strip_cookie(req: &mut RequestHeader, name: &str) -> Result<()> {
    let cookies = req.headers.get_all(http::header::COOKIE);
    if !cookies
        .iter()
        .any(|v| cookie::pairs(v.as_bytes()).any(|p| cookie::is_named(p, name)))
    {
        return Ok(());
    }
    let mut kept: Vec<u8> = Vec::new();
    for pair in cookies
        .iter()
        .flat_map(|v| cookie::pairs(v.as_bytes()))
        .filter(|pair| !pair.is_empty() && !cookie::is_named(pair, name))
    {
        if !kept.is_empty() {
            kept.extend_from_slice(b"; ");
        }
        kept.extend_from_slice(pair);
    }
    while req.remove_header(&http::header::COOKIE).is_some() {}
    if !kept.is_empty() {
        // The bytes came from valid header values, joined with "; ": still valid.
        let value = HeaderValue::from_bytes(&kept).map_err(|e| {
            pingora::Error::because(pingora::ErrorType::InternalError, "cookie header", e)
        })?;
        req.insert_header(http::header::COOKIE, value)?;
    }
    Ok(())
}

/// Removes every `Set-Cookie` of the upstream's that would set passgate's session cookie:
/// an app behind passgate must not plant a session in its users' browsers (with
/// `cookie_domain`, for every host under it). Returns whether one was removed; responses
/// without one are left untouched and looking costs no allocation.
pub fn strip_session_set_cookie(resp: &mut ResponseHeader, name: &str) -> Result<bool> {
    let sets_session = |v: &HeaderValue| {
        cookie::pairs(v.as_bytes())
            .next()
            .is_some_and(|first| cookie::is_named(first, name))
    };
    let all = resp.headers.get_all(http::header::SET_COOKIE);
    if !all.iter().any(sets_session) {
        return Ok(false);
    }
    let kept: Vec<HeaderValue> = all.iter().filter(|v| !sets_session(v)).cloned().collect();
    while resp.remove_header(&http::header::SET_COOKIE).is_some() {}
    for v in kept {
        resp.append_header(http::header::SET_COOKIE, v)?;
    }
    Ok(true)
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");

/// Sets `X-Forwarded-For`, `-Proto` and `-Host`. Untrusted (the default): the client's own
/// values, and `Forwarded`, are replaced. Trusted (behind a load balancer): the client
/// address is appended and an existing proto/host kept. Names are looked up as constants
/// (no parsing per request) and the client's list is read only when it is kept.
pub fn set_forwarded(
    req: &mut RequestHeader,
    client: Option<SocketAddr>,
    tls: bool,
    original_host: &str,
    trusted: bool,
) -> Result<()> {
    let ip = client.map(|a| ip_text(a.ip()));
    let xff = if trusted && req.headers.contains_key(&X_FORWARDED_FOR) {
        let prior = req
            .headers
            .get_all(&X_FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ");
        match (prior.is_empty(), ip) {
            (false, Some(ip)) => Some(format!("{prior}, {ip}")),
            (false, None) => Some(prior),
            (true, ip) => ip,
        }
    } else {
        ip
    };
    while req.remove_header(&X_FORWARDED_FOR).is_some() {}
    if let Some(v) = xff {
        req.insert_header(Bytes::from_static(b"X-Forwarded-For"), v)?;
    }
    let keep = |req: &RequestHeader, name: &HeaderName| trusted && req.headers.contains_key(name);
    if !keep(req, &X_FORWARDED_PROTO) {
        let proto = HeaderValue::from_static(if tls { "https" } else { "http" });
        req.insert_header(Bytes::from_static(b"X-Forwarded-Proto"), proto)?;
    }
    if !keep(req, &X_FORWARDED_HOST) && !original_host.is_empty() {
        req.insert_header(Bytes::from_static(b"X-Forwarded-Host"), original_host)?;
    }
    if !trusted {
        while req.remove_header(&FORWARDED).is_some() {}
    }
    Ok(())
}

/// An address as `X-Forwarded-For` carries it. IPv4 is written by hand: `Display` through
/// `core::fmt` cost about 1,200 instructions per request (issue 15's callgrind figures).
pub fn ip_text(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let mut s = String::with_capacity(15);
            for (i, o) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    s.push('.');
                }
                if o >= 100 {
                    s.push(char::from(b'0' + o / 100));
                }
                if o >= 10 {
                    s.push(char::from(b'0' + o / 10 % 10));
                }
                s.push(char::from(b'0' + o % 10));
            }
            s
        }
        std::net::IpAddr::V6(_) => ip.to_string(),
    }
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
    fn client_addresses_are_written_as_display_writes_them() {
        for o in 0..=255u8 {
            for ip in [
                std::net::Ipv4Addr::new(o, 0, 10, 255),
                std::net::Ipv4Addr::new(1, o, 99, 100),
                std::net::Ipv4Addr::new(255, 9, o, o),
            ] {
                assert_eq!(ip_text(ip.into()), ip.to_string());
            }
        }
        let v6: std::net::IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(ip_text(v6), "2001:db8::1");
    }

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
    fn upstreams_cannot_set_the_session_cookie() {
        let mut resp = ResponseHeader::build(200, None).unwrap();
        resp.append_header("Set-Cookie", "app=1; Path=/").unwrap();
        resp.append_header("Set-Cookie", "passgate_session=planted; Domain=example.com")
            .unwrap();
        resp.append_header("Set-Cookie", " passgate_session =x")
            .unwrap();
        resp.append_header("Set-Cookie", "passgate_session_x=ok")
            .unwrap();
        assert!(strip_session_set_cookie(&mut resp, "passgate_session").unwrap());
        let left: Vec<_> = resp.headers.get_all("set-cookie").iter().collect();
        assert_eq!(left, ["app=1; Path=/", "passgate_session_x=ok"]);
        assert!(!strip_session_set_cookie(&mut resp, "passgate_session").unwrap());
        assert_eq!(resp.headers.get_all("set-cookie").iter().count(), 2);
    }

    #[test]
    fn strips_underscore_spellings_too() {
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        for (name, value) in [
            ("X_Passgate_User", "mallory"),
            ("x-passgate_email", "ceo@corp"),
            ("X_PASSGATE-Groups", "admins"),
            ("Remote_User", "eve"),
            ("X_Forwarded_Something", "kept"),
            ("X_Other", "kept"),
            ("X_Passgat", "kept: not the prefix"),
        ] {
            req.append_header(name, value).unwrap();
        }
        strip_reserved(&mut req, &[HeaderName::from_static("remote-user")]);
        let mut left: Vec<&str> = req.headers.keys().map(|k| k.as_str()).collect();
        left.sort_unstable();
        assert_eq!(
            left,
            ["x_forwarded_something", "x_other", "x_passgat"],
            "{left:?}"
        );
    }

    #[test]
    fn the_session_cookie_is_removed_and_other_cookies_kept() {
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

        // Another cookie with non-ASCII bytes in the same header: still found and removed.
        let mut latin = RequestHeader::build("GET", b"/", None).unwrap();
        let raw = HeaderValue::from_bytes(b"zz=\xc3\xa9; passgate_session=tok; b=2").unwrap();
        latin.append_header("Cookie", raw).unwrap();
        assert_eq!(
            cookie::find(&latin.headers, "passgate_session"),
            Some("tok")
        );
        strip_cookie(&mut latin, "passgate_session").unwrap();
        assert_eq!(
            latin.headers.get("cookie").unwrap().as_bytes(),
            b"zz=\xc3\xa9; b=2"
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
