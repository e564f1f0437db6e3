//! Canonical request paths: the one spelling routes, `public_paths` and rules are matched
//! on (unreserved characters percent-decoded, `;params` dropped from every segment, runs of
//! `/` collapsed), and the refusal of dot segments and NUL bytes in either spelling. Pure;
//! a path that already is canonical costs a scan and no allocation.

use std::borrow::Cow;

/// A path passgate refuses: a `.` or `..` segment (percent-encoded, split by `\` or an
/// encoded `/`, or followed by `;params` included) or a NUL byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the path has a . or .. segment (or a NUL byte)")]
pub struct UnsafePath;

/// A request path as the client sent it and in canonical form (the same text when the
/// path needed no change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestPath<'a> {
    pub raw: &'a str,
    pub canonical: &'a str,
}

impl<'a> RequestPath<'a> {
    pub fn new(raw: &'a str, canonical: &'a str) -> Self {
        RequestPath { raw, canonical }
    }

    /// Whether the client sent the canonical spelling.
    #[inline]
    pub fn is_canonical(&self) -> bool {
        std::ptr::eq(self.raw, self.canonical) || self.raw == self.canonical
    }
}

/// For a path known to be canonical (config checks, tests).
impl<'a> From<&'a str> for RequestPath<'a> {
    fn from(p: &'a str) -> Self {
        RequestPath::new(p, p)
    }
}

/// Re-canonicalisations after the first before a path is refused.
const MAX_ROUNDS: usize = 4;

/// The canonical form of `raw` (a request path, without the query), refused when either
/// spelling holds a dot segment or a NUL byte. Borrowed when `raw` needs no change.
pub fn canonical_path(raw: &str) -> Result<Cow<'_, str>, UnsafePath> {
    if has_unsafe_segments(raw) {
        return Err(UnsafePath);
    }
    let mut canonical = canonicalize(raw);
    // Decoding can spell a new escape (`%%32e` → `%2e`, which the next reading decodes to
    // `.`): canonicalise again until nothing changes, so that the canonical form of a
    // canonical path is itself (found by the `canonical_path` fuzz target). A path still
    // changing after a few rounds is built to confuse decoders: refused.
    let mut rounds = 0;
    while let Cow::Owned(c) = &canonical {
        let next = match canonicalize(c) {
            Cow::Borrowed(_) => break,
            Cow::Owned(n) => n,
        };
        rounds += 1;
        if rounds > MAX_ROUNDS {
            return Err(UnsafePath);
        }
        canonical = Cow::Owned(next);
    }
    if let Cow::Owned(c) = &canonical {
        if has_unsafe_segments(c) {
            return Err(UnsafePath);
        }
    }
    Ok(canonical)
}

/// Why a configured path (`path_prefix`, a `public_paths` entry) could never match, if it
/// could not: requests are matched in canonical form, so the configured path must be too.
pub fn config_path_problem(p: &str) -> Option<String> {
    match canonical_path(p) {
        Err(_) => Some(format!("\"{p}\" has a . or .. segment")),
        Ok(Cow::Owned(c)) => Some(format!(
            "\"{p}\" is not in canonical form, so no request would match it; write \"{c}\" \
             (requests are matched with unreserved %XX decoded, ;params dropped and // merged)"
        )),
        Ok(Cow::Borrowed(_)) => None,
    }
}

/// Whether the path holds a `.` or `..` segment or a NUL byte, after percent-decoding
/// everything, splitting on `/` and `\`, and ignoring a segment's `;params` (`..;x` is
/// `..` to Tomcat). Ordinary paths are answered without allocating.
pub fn has_unsafe_segments(path: &str) -> bool {
    if !path.bytes().any(|b| matches!(b, b'.' | b'%' | b'\\')) {
        return false;
    }
    let decoded: Cow<'_, [u8]> = percent_encoding::percent_decode_str(path).into();
    decoded.contains(&0)
        || decoded.split(|b| *b == b'/' || *b == b'\\').any(|seg| {
            let name = seg.split(|b| *b == b';').next().unwrap_or(seg);
            name == b"." || name == b".."
        })
}

/// The byte `%XY` at `i` stands for, when it is an unreserved character (RFC 3986: ALPHA,
/// DIGIT, `-`, `.`, `_`, `~`), the only ones every decoder agrees on.
fn unreserved_at(b: &[u8], i: usize) -> Option<u8> {
    if b.get(i) != Some(&b'%') {
        return None;
    }
    let hex = |c: u8| (c as char).to_digit(16);
    let hi = hex(*b.get(i + 1)?)?;
    let lo = hex(*b.get(i + 2)?)?;
    let v = u8::try_from(hi * 16 + lo).ok()?;
    (v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~')).then_some(v)
}

fn needs_change(b: &[u8]) -> bool {
    b.iter().enumerate().any(|(i, c)| match c {
        b';' => true,
        b'/' => b.get(i + 1) == Some(&b'/'),
        b'%' => unreserved_at(b, i).is_some(),
        _ => false,
    })
}

/// The canonical spelling, without checks.
fn canonicalize(raw: &str) -> Cow<'_, str> {
    let b = raw.as_bytes();
    if !needs_change(b) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut in_params = false;
    // Start of the run of bytes not yet copied; every cut falls on an ASCII byte, so each
    // slice is valid UTF-8.
    let mut run = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' => {
                if !in_params {
                    out.push_str(&raw[run..i]);
                }
                in_params = false;
                if !out.ends_with('/') {
                    out.push('/');
                }
                i += 1;
                run = i;
            }
            _ if in_params => i += 1,
            b';' => {
                out.push_str(&raw[run..i]);
                in_params = true;
                i += 1;
            }
            b'%' => match unreserved_at(b, i) {
                Some(v) => {
                    out.push_str(&raw[run..i]);
                    out.push(char::from(v));
                    i += 3;
                    run = i;
                }
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    if !in_params {
        out.push_str(&raw[run..]);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzz target `canonical_path`): decoding `%32` after a stray `%` spelled
    /// `%2e`, so the canonical form was not canonical.
    #[test]
    fn canonical_forms_are_fixed_points() {
        let c = canon("/a%%32e%3e;x/b//c%4").unwrap();
        assert_eq!(c, "/a.%3e/b/c%4");
        assert_eq!(canon(&c).unwrap(), c);
        // The escape spelled by decoding is checked like any other.
        assert_eq!(canon("/x/%%32e%%32e/y"), Err(UnsafePath));
    }

    fn canon(p: &str) -> Result<String, UnsafePath> {
        canonical_path(p).map(|c| c.into_owned())
    }

    #[test]
    fn canonical_paths_are_borrowed() {
        for p in [
            "/",
            "/admin/users",
            "/a%2Cb%20c",
            "/group%2Fproject",
            "/v1.2/file..txt",
            "/%E2%82%AC",
            "/caf\u{e9}",
            "/a/",
            "*",
        ] {
            assert!(
                matches!(canonical_path(p), Ok(Cow::Borrowed(_))),
                "{p} is canonical"
            );
        }
    }

    #[test]
    fn unreserved_are_decoded_params_dropped_slashes_collapsed() {
        assert_eq!(canon("/%61dmin").unwrap(), "/admin");
        assert_eq!(canon("/%41%7a%30%2D%5f%7E").unwrap(), "/Az0-_~");
        assert_eq!(canon("/admin;x/users").unwrap(), "/admin/users");
        assert_eq!(canon("/admin;jsessionid=1").unwrap(), "/admin");
        assert_eq!(canon("/admin/;x/users").unwrap(), "/admin/users");
        assert_eq!(canon("/admin/export;.css").unwrap(), "/admin/export");
        assert_eq!(canon("//admin").unwrap(), "/admin");
        assert_eq!(canon("/a///b//").unwrap(), "/a/b/");
        assert_eq!(canon("/file%2Ejs").unwrap(), "/file.js");
        // Reserved characters stay encoded, as sent (hex case included).
        assert_eq!(canon("/a%2fb;x/%2C%3b").unwrap(), "/a%2fb/%2C%3b");
        assert_eq!(canon("/caf\u{e9};x/%62").unwrap(), "/caf\u{e9}/b");
        // A lone or malformed % is kept.
        assert_eq!(canon("/100%;x/%zz%6").unwrap(), "/100%/%zz%6");
    }

    #[test]
    fn configured_paths_must_be_canonical() {
        assert_eq!(config_path_problem("/app/static"), None);
        assert_eq!(config_path_problem("/**.css"), None);
        assert!(config_path_problem("/%61pp").is_some_and(|m| m.contains("\"/app\"")));
        assert!(config_path_problem("/a//b").is_some());
        assert!(config_path_problem("/a;v=1").is_some());
        assert!(config_path_problem("/a/../b").is_some_and(|m| m.contains("..")));
    }

    #[test]
    fn dot_segments_are_refused_in_either_spelling() {
        for bad in [
            "/public/../secret",
            "/public/./x",
            "/public/%2e%2e/secret",
            "/public/%2E%2e/secret",
            "/public/..%2Fsecret",
            "/public\\..\\secret",
            "/public/..",
            "/a%00b",
            "/x/..;/y",
            "/static/..;/x",
            "/x/.;a/y",
            "/x/%2e%2e;a/y",
            "/x/..%3Bx/y",
            "/x/.%2e;/y",
        ] {
            assert_eq!(canon(bad), Err(UnsafePath), "{bad} should be refused");
        }
        for ok in [
            "/",
            "/public/file.txt",
            "/a/..b/c",
            "/a/..b;x/c",
            "/v1.2/x",
            "/group%2Fproject",
            "/.well-known/x",
            "/x/...;/y",
        ] {
            assert!(canon(ok).is_ok(), "{ok} should pass");
        }
    }
}
