//! The identity a verified session stands for, as the data plane passes it on, with what
//! the fast path derives from it once per token instead of once per request: the identity
//! header values and the signed upstream assertions.
//!
//! Kept small, since every cached session holds one (100,000 sessions are a target of
//! issue 15): a principal's own strings live in one buffer, which is also where the
//! identity header values are sliced from, and group lists, which repeat across sessions,
//! are shared (interned).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use http::HeaderValue;

use super::assertion::Signed;

/// The parts of [`Principal::text`], in this order.
const ID: usize = 0;
const USERNAME: usize = 1;
const EMAIL: usize = 2;
const REALM: usize = 3;
const GROUPS: usize = 4;
const SESSION: usize = 5;
const PARTS: usize = 6;

/// Who a request is from, once its session token has been verified.
#[derive(Clone, PartialEq, Eq)]
pub struct Principal {
    /// Identity id, username, email, realm name, group names joined with `,`, session id,
    /// one after the other (where each ends: `ends`).
    text: Bytes,
    ends: [u32; PARTS],
    /// Bit `i`: part `i` is present (only the email can be absent).
    present: u8,
    /// Bit `i`: part `i` may be a header value (no control characters).
    safe: u8,
    /// The group names, shared between principals with the same list.
    groups: Arc<[Arc<str>]>,
    /// When the user last signed in with a passkey (seconds since the Unix epoch).
    pub auth_time: u64,
    /// When the token this principal came from expires (seconds since the Unix epoch).
    pub expires_at: u64,
    /// Derived values, filled on first use; not part of the identity (ignored by `==`,
    /// empty in a clone).
    pub memo: Memo,
}

/// What a principal is made of (see [`Principal::new`]).
pub struct Parts<'a> {
    pub identity_id: &'a str,
    pub realm: &'a str,
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub groups: &'a [String],
    /// Server-side session id (revocation is keyed on it).
    pub session_id: &'a str,
    pub auth_time: u64,
    pub expires_at: u64,
}

impl Principal {
    pub fn new(parts: Parts<'_>) -> Principal {
        let groups = interned_groups(parts.groups);
        let joined = parts.groups.join(",");
        let values = [
            Some(parts.identity_id),
            Some(parts.username),
            parts.email,
            Some(parts.realm),
            Some(joined.as_str()),
            Some(parts.session_id),
        ];
        let mut text = Vec::with_capacity(values.iter().flatten().map(|v| v.len()).sum());
        let mut ends = [0u32; PARTS];
        let (mut present, mut safe) = (0u8, 0u8);
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                text.extend_from_slice(v.as_bytes());
                present |= 1 << i;
                if is_safe(v) {
                    safe |= 1 << i;
                } else if i != SESSION {
                    tracing::warn!(
                        identity = %parts.identity_id.escape_debug(),
                        "an identity value is not valid in a header; it is left out"
                    );
                }
            }
            // A token is at most a few KiB: its claims cannot reach 4 GiB.
            ends[i] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Principal {
            text: Bytes::from(text),
            ends,
            present,
            safe,
            groups,
            auth_time: parts.auth_time,
            expires_at: parts.expires_at,
            memo: Memo::default(),
        }
    }

    pub fn from_claims(c: &super::claims::SessionClaims) -> Principal {
        Principal::new(Parts {
            identity_id: &c.sub,
            realm: &c.realm,
            username: &c.username,
            email: c.email.as_deref(),
            groups: &c.groups,
            session_id: &c.sid,
            auth_time: c.auth_time,
            expires_at: c.exp,
        })
    }

    /// Where part `i` is in `text`.
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        start as usize..self.ends[i] as usize
    }

    fn part(&self, i: usize) -> &str {
        // Built from `&str`s cut at their own ends: each part is UTF-8.
        std::str::from_utf8(&self.text[self.range(i)]).unwrap_or_default()
    }

    pub fn identity_id(&self) -> &str {
        self.part(ID)
    }

    pub fn realm(&self) -> &str {
        self.part(REALM)
    }

    pub fn username(&self) -> &str {
        self.part(USERNAME)
    }

    pub fn email(&self) -> Option<&str> {
        (self.present & (1 << EMAIL) != 0).then(|| self.part(EMAIL))
    }

    pub fn groups(&self) -> &[Arc<str>] {
        &self.groups
    }

    /// Server-side session id (revocation is keyed on it).
    pub fn session_id(&self) -> &str {
        self.part(SESSION)
    }

    /// The identity header values (each a slice of the principal's one buffer: taking one
    /// is a reference count and a check of its few bytes).
    pub fn header_values(&self) -> HeaderValues<'_> {
        HeaderValues(self)
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("identity_id", &self.identity_id())
            .field("realm", &self.realm())
            .field("username", &self.username())
            .field("email", &self.email())
            .field("groups", &self.groups)
            .field("session_id", &self.session_id())
            .field("auth_time", &self.auth_time)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Distinct group names and group lists shared between principals (at most this many of
/// each; past that, new ones are not shared).
const MAX_INTERNED: usize = 4096;

#[derive(Default)]
struct Interned {
    names: HashMap<Box<str>, Arc<str>>,
    groups: HashMap<Vec<String>, Arc<[Arc<str>]>>,
}

fn interned() -> std::sync::MutexGuard<'static, Interned> {
    static INTERNED: OnceLock<Mutex<Interned>> = OnceLock::new();
    INTERNED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// One shared copy of a group name (the verification path only: not per request).
fn interned_name(name: &str) -> Arc<str> {
    let mut i = interned();
    if let Some(a) = i.names.get(name) {
        return a.clone();
    }
    let a: Arc<str> = Arc::from(name);
    if i.names.len() < MAX_INTERNED {
        i.names.insert(name.into(), a.clone());
    }
    a
}

/// One shared copy of a list of group names (compared exactly, order included).
fn interned_groups(groups: &[String]) -> Arc<[Arc<str>]> {
    let i = interned();
    if let Some(a) = i.groups.get(groups) {
        return a.clone();
    }
    drop(i);
    let list: Arc<[Arc<str>]> = groups.iter().map(|g| interned_name(g)).collect();
    let mut i = interned();
    if i.groups.len() < MAX_INTERNED {
        i.groups.insert(groups.to_vec(), list.clone());
    }
    list
}

/// What the fast path caches on a principal (see [`Principal::memo`]).
#[derive(Default)]
pub struct Memo {
    /// Assertions signed for this token, one per audience (see `session::assertion`).
    pub(crate) assertions: ArcSwapOption<Vec<Signed>>,
}

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl PartialEq for Memo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Memo {}

impl fmt::Debug for Memo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Memo")
    }
}

/// Each claim of a principal as a header value; `None` where the claim is absent or not
/// valid in a header (a control character would let a value forge headers).
#[derive(Clone, Copy)]
pub struct HeaderValues<'a>(&'a Principal);

impl HeaderValues<'_> {
    fn get(&self, i: usize) -> Option<HeaderValue> {
        let p = self.0;
        if p.safe & (1 << i) == 0 {
            return None;
        }
        // Checked when built (`is_safe`); this check cannot fail.
        HeaderValue::from_maybe_shared(p.text.slice(p.range(i))).ok()
    }

    pub fn id(&self) -> Option<HeaderValue> {
        self.get(ID)
    }

    pub fn username(&self) -> Option<HeaderValue> {
        self.get(USERNAME)
    }

    pub fn email(&self) -> Option<HeaderValue> {
        self.get(EMAIL)
    }

    pub fn realm(&self) -> Option<HeaderValue> {
        self.get(REALM)
    }

    /// Group names, comma-separated.
    pub fn groups(&self) -> Option<HeaderValue> {
        self.get(GROUPS)
    }
}

/// Whether `v` may be a header value: UTF-8 passes as obs-text, control characters never.
fn is_safe(v: &str) -> bool {
    !v.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

/// A header value for `v`: UTF-8 bytes as they are (non-ASCII passes as obs-text), but
/// `None` for anything with a control character (CR, LF, NUL, …), which would let a value
/// forge headers or be refused by the upstream.
pub fn safe_value(v: &str) -> Option<HeaderValue> {
    if !is_safe(v) {
        return None;
    }
    HeaderValue::from_bytes(v.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(username: &str, email: Option<&str>, groups: &[&str]) -> Principal {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        Principal::new(Parts {
            identity_id: "id1",
            realm: "default",
            username,
            email,
            groups: &groups,
            session_id: "s1",
            auth_time: 7,
            expires_at: 9,
        })
    }

    #[test]
    fn parts_read_back_and_unsafe_header_values_are_left_out() {
        let p = principal("bad\r\nX-Evil: 1", None, &["staff", "ops"]);
        assert_eq!(p.identity_id(), "id1");
        assert_eq!(p.realm(), "default");
        assert_eq!(
            p.username(),
            "bad\r\nX-Evil: 1",
            "kept as it is, only not as a header"
        );
        assert_eq!(p.email(), None);
        assert_eq!(p.session_id(), "s1");
        assert_eq!(p.groups().len(), 2);
        assert_eq!((p.auth_time, p.expires_at), (7, 9));
        let v = p.header_values();
        assert_eq!(v.groups().unwrap(), "staff,ops");
        assert_eq!(v.id().unwrap(), "id1");
        assert!(v.username().is_none(), "CR LF never reaches a header");
        assert!(v.email().is_none());
        assert_eq!(v.realm().unwrap(), "default");
        let c = p.clone();
        assert_eq!(c, p, "the memo is not part of the identity");
        assert_ne!(
            p,
            principal("bad\r\nX-Evil: 1", Some(""), &["staff", "ops"])
        );
        assert_eq!(
            principal("a", None, &[]).header_values().groups().unwrap(),
            ""
        );
        let q = principal("Zoë", Some("zoe@example.com"), &["a"]);
        let v = q.header_values();
        assert_eq!(q.username(), "Zoë");
        assert_eq!(q.email(), Some("zoe@example.com"));
        assert_eq!(v.username().unwrap().as_bytes(), "Zoë".as_bytes());
        assert_eq!(v.email().unwrap(), "zoe@example.com");
        assert_eq!(v.realm().unwrap(), "default");
        assert_eq!(v.groups().unwrap(), "a");
        let e = principal("e", Some(""), &[]);
        assert_eq!(e.email(), Some(""), "an empty email is present, not absent");
        assert_eq!(e.header_values().email().unwrap(), "");
    }

    #[test]
    fn group_lists_are_shared_between_principals() {
        let claims = |groups: &[&str]| super::super::claims::SessionClaims {
            iss: "i".into(),
            sub: "id1".into(),
            realm: "default".into(),
            sid: "s1".into(),
            username: "alice".into(),
            email: None,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            iat: 0,
            nbf: 0,
            exp: 0,
            auth_time: 0,
            amr: vec![],
        };
        let a = Principal::from_claims(&claims(&["staff", "ops"]));
        let b = Principal::from_claims(&claims(&["staff", "ops"]));
        let c = Principal::from_claims(&claims(&["ops", "staff"]));
        assert!(Arc::ptr_eq(&a.groups, &b.groups));
        assert!(
            !Arc::ptr_eq(&a.groups, &c.groups),
            "order is part of the list"
        );
        assert_eq!(&*c.groups[0], "ops");
        assert!(
            Arc::ptr_eq(&a.groups[0], &c.groups[1]),
            "names are shared too"
        );
    }

    #[test]
    fn safe_values() {
        assert!(safe_value("a\r\nX-Evil: 1").is_none());
        assert!(safe_value("nul\0").is_none());
        assert_eq!(safe_value("Zoë").unwrap().as_bytes(), "Zoë".as_bytes());
    }
}
