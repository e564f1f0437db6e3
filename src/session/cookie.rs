//! The session cookie: finding it in the request's `Cookie` headers without allocating,
//! and writing `Set-Cookie` with the attributes passgate always uses (`HttpOnly`,
//! `SameSite=Lax`, `Path=/`, `Secure` except on plain-http localhost).

use std::time::Duration;

use http::HeaderMap;

use crate::config::SessionSettings;

/// Whether the cookie must carry `Secure`: always, except for plain http on localhost
/// (a browser would drop a `Secure` cookie there and local development would break).
pub fn needs_secure(tls: bool, host: &str) -> bool {
    tls || !crate::config::validate::is_localhost(host)
}

/// `Set-Cookie` value carrying `value` for `max_age`.
pub fn set(settings: &SessionSettings, value: &str, max_age: Duration, secure: bool) -> String {
    let mut c = format!(
        "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax",
        settings.cookie_name,
        max_age.as_secs()
    );
    if let Some(d) = &settings.cookie_domain {
        c.push_str("; Domain=");
        c.push_str(d);
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// `Set-Cookie` value that removes the cookie.
pub fn clear(settings: &SessionSettings, secure: bool) -> String {
    set(settings, "", Duration::ZERO, secure)
}

/// The `name=value` pairs of `Cookie` header bytes, trimmed of spaces. Works on bytes: a
/// header with non-ASCII bytes in another cookie (which `to_str` would refuse) still
/// yields its other pairs.
pub fn pairs(header: &[u8]) -> impl Iterator<Item = &[u8]> {
    // memchr finds each `;` with SIMD: a header holding a token is hundreds of bytes, and a
    // byte-at-a-time split over it was most of a cached check's cost.
    let mut rest = Some(header);
    std::iter::from_fn(move || {
        let r = rest?;
        let (pair, next) = match memchr::memchr(b';', r) {
            Some(i) => (&r[..i], Some(&r[i + 1..])),
            None => (r, None),
        };
        rest = next;
        Some(pair.trim_ascii())
    })
}

/// Whether the cookie pair `pair` (`name=value`) is cookie `name`.
pub fn is_named(pair: &[u8], name: &str) -> bool {
    pair.strip_prefix(name.as_bytes())
        .is_some_and(|rest| rest.trim_ascii_start().first() == Some(&b'='))
}

/// The value of cookie `name`, from any `Cookie` header; the first occurrence wins (a value
/// that is not UTF-8 counts as absent: a session token is ASCII).
pub fn find<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .flat_map(|v| pairs(v.as_bytes()))
        .find(|pair| is_named(pair, name))
        .and_then(|pair| {
            let eq = pair.iter().position(|b| *b == b'=')?;
            let v = std::str::from_utf8(&pair[eq + 1..]).ok()?;
            Some(v.trim().trim_matches('"'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(domain: Option<&str>) -> SessionSettings {
        SessionSettings {
            cookie_name: "passgate_session".into(),
            cookie_domain: domain.map(str::to_string),
            ttl: Duration::from_secs(3600),
            idle_timeout: Duration::from_secs(1800),
            token_ttl: Duration::from_secs(300),
            key_rotation: None,
            outage_grace: Duration::ZERO,
        }
    }

    #[test]
    fn set_cookie_carries_the_safe_attributes() {
        let c = set(
            &settings(Some("example.com")),
            "tok",
            Duration::from_secs(300),
            true,
        );
        assert_eq!(
            c,
            "passgate_session=tok; Path=/; Max-Age=300; HttpOnly; SameSite=Lax; Domain=example.com; Secure"
        );
        let local = set(
            &settings(None),
            "tok",
            Duration::from_secs(60),
            needs_secure(false, "localhost"),
        );
        assert!(!local.contains("Secure") && !local.contains("Domain"));
        assert!(needs_secure(false, "app.example.com"));
        assert!(needs_secure(true, "localhost"));
        assert!(clear(&settings(None), true).contains("Max-Age=0"));
    }

    #[test]
    fn finds_the_named_cookie_among_others_and_headers() {
        let mut h = HeaderMap::new();
        h.append(
            "cookie",
            "a=1; passgate_session=tok.en.sig; b=2".parse().unwrap(),
        );
        assert_eq!(find(&h, "passgate_session"), Some("tok.en.sig"));
        assert_eq!(find(&h, "passgate"), None);
        let mut h2 = HeaderMap::new();
        h2.append("cookie", "x=1".parse().unwrap());
        h2.append("cookie", "passgate_session=\"q\"".parse().unwrap());
        assert_eq!(find(&h2, "passgate_session"), Some("q"));
        h2.append("cookie", "garbage-without-equals".parse().unwrap());
        assert_eq!(find(&h2, "garbage-without-equals"), None);
    }

    #[test]
    fn pairs_split_on_semicolons_and_trim() {
        let got: Vec<&[u8]> = pairs(b" a=1;b=2 ;; c ;").collect();
        assert_eq!(got, [&b"a=1"[..], b"b=2", b"", b"c", b""]);
        assert_eq!(pairs(b"").collect::<Vec<_>>(), [&b""[..]]);
        assert!(is_named(b"sid=x", "sid") && is_named(b"sid =x", "sid"));
        assert!(!is_named(b"sid2=x", "sid") && !is_named(b"sid", "sid"));
    }
}
