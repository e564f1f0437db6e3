//! The identity a verified session stands for, as the data plane passes it on, with what
//! the fast path derives from it once per token instead of once per request: the identity
//! header values and the signed upstream assertions.
//!
//! Kept small, since every cached session holds one: realm names and group lists, which
//! repeat across sessions, are shared (interned), and the header values are slices of one
//! buffer.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use http::HeaderValue;

use super::assertion::Signed;

/// Who a request is from, once its session token has been verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub identity_id: Arc<str>,
    pub realm: Arc<str>,
    pub username: Arc<str>,
    pub email: Option<Arc<str>>,
    pub groups: Arc<[Arc<str>]>,
    /// Server-side session id (revocation is keyed on it).
    pub session_id: Arc<str>,
    /// When the user last signed in with a passkey (seconds since the Unix epoch).
    pub auth_time: u64,
    /// When the token this principal came from expires (seconds since the Unix epoch).
    pub expires_at: u64,
    /// Derived values, filled on first use; not part of the identity (ignored by `==`,
    /// empty in a clone).
    pub memo: Memo,
}

impl Principal {
    pub fn from_claims(c: &super::claims::SessionClaims) -> Principal {
        Principal {
            identity_id: Arc::from(c.sub.as_str()),
            realm: interned_name(&c.realm),
            username: Arc::from(c.username.as_str()),
            email: c.email.as_deref().map(Arc::from),
            groups: interned_groups(&c.groups),
            session_id: Arc::from(c.sid.as_str()),
            auth_time: c.auth_time,
            expires_at: c.exp,
            memo: Memo::default(),
        }
    }

    /// The identity header values, built on first use and shared by every later request
    /// carrying the same token (a clone of a `HeaderValue` is a reference count).
    pub fn header_values(&self) -> &HeaderValues {
        self.memo.headers.get_or_init(|| HeaderValues::of(self))
    }
}

/// Distinct realm names and group lists shared between principals (at most this many of
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

/// One shared copy of a realm name (the verification path only: not per request).
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
    headers: OnceLock<HeaderValues>,
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

/// Each claim as a header value; `None` where the claim is absent or not valid in a header
/// (a control character would let a value forge headers). The values are slices of one
/// buffer: taking one is a reference count and a check of its few bytes.
#[derive(Debug, Clone)]
pub struct HeaderValues {
    buf: Bytes,
    /// Where each value ends in `buf` (each starts where the one before ends), in the
    /// order id, username, email, realm, groups.
    ends: [u16; 5],
    /// Bit `i`: value `i` is present.
    present: u8,
}

impl HeaderValues {
    fn of(p: &Principal) -> HeaderValues {
        let groups = p.groups.join(",");
        let values = [
            Some(&*p.identity_id),
            Some(&*p.username),
            p.email.as_deref(),
            Some(&*p.realm),
            Some(groups.as_str()),
        ];
        let mut buf = Vec::with_capacity(values.iter().flatten().map(|v| v.len()).sum());
        let mut ends = [0u16; 5];
        let mut present = 0u8;
        for (i, v) in values.iter().enumerate() {
            if let Some(v) =
                v.filter(|v| is_safe(v) && buf.len() + v.len() <= usize::from(u16::MAX))
            {
                buf.extend_from_slice(v.as_bytes());
                present |= 1 << i;
            } else if v.is_some() {
                tracing::warn!(
                    identity = %p.identity_id.escape_debug(),
                    "an identity value is not valid in a header; it is left out"
                );
            }
            ends[i] = buf.len() as u16;
        }
        HeaderValues {
            buf: Bytes::from(buf),
            ends,
            present,
        }
    }

    fn get(&self, i: usize) -> Option<HeaderValue> {
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let part = self
            .buf
            .slice(usize::from(start)..usize::from(self.ends[i]));
        // Checked once when built (`is_safe`); this check cannot fail.
        HeaderValue::from_maybe_shared(part).ok()
    }

    pub fn id(&self) -> Option<HeaderValue> {
        self.get(0)
    }

    pub fn username(&self) -> Option<HeaderValue> {
        self.get(1)
    }

    pub fn email(&self) -> Option<HeaderValue> {
        self.get(2)
    }

    pub fn realm(&self) -> Option<HeaderValue> {
        self.get(3)
    }

    /// Group names, comma-separated.
    pub fn groups(&self) -> Option<HeaderValue> {
        self.get(4)
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

    fn principal(groups: &[&str]) -> Principal {
        Principal {
            identity_id: "id1".into(),
            realm: "default".into(),
            username: "bad\r\nX-Evil: 1".into(),
            email: None,
            groups: groups.iter().map(|g| Arc::from(*g)).collect(),
            session_id: "s1".into(),
            auth_time: 0,
            expires_at: 0,
            memo: Memo::default(),
        }
    }

    #[test]
    fn header_values_are_built_once_and_unsafe_ones_left_out() {
        let p = principal(&["staff", "ops"]);
        let v = p.header_values();
        assert_eq!(v.groups().unwrap(), "staff,ops");
        assert_eq!(v.id().unwrap(), "id1");
        assert!(v.username().is_none(), "CR LF never reaches a header");
        assert!(v.email().is_none());
        assert_eq!(v.realm().unwrap(), "default");
        assert!(std::ptr::eq(v, p.header_values()), "computed once");
        let c = p.clone();
        assert_eq!(c, p, "the memo is not part of the identity");
        assert_eq!(principal(&[]).header_values().groups().unwrap(), "");
        let mut q = principal(&["a"]);
        q.username = "Zoë".into();
        q.email = Some("zoe@example.com".into());
        let v = q.header_values();
        assert_eq!(v.username().unwrap().as_bytes(), "Zoë".as_bytes());
        assert_eq!(v.email().unwrap(), "zoe@example.com");
        assert_eq!(v.realm().unwrap(), "default");
        assert_eq!(v.groups().unwrap(), "a");
    }

    #[test]
    fn realms_and_group_lists_are_shared_between_principals() {
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
        assert!(Arc::ptr_eq(&a.realm, &b.realm));
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
