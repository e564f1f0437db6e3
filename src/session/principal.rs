//! The identity a verified session stands for, as the data plane passes it on, with what
//! the fast path derives from it once per token instead of once per request: the identity
//! header values and the signed upstream assertions.

use std::fmt;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwapOption;
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
            realm: Arc::from(c.realm.as_str()),
            username: Arc::from(c.username.as_str()),
            email: c.email.as_deref().map(Arc::from),
            groups: c.groups.iter().map(|g| Arc::from(g.as_str())).collect(),
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
/// (a control character would let a value forge headers).
#[derive(Debug, Clone)]
pub struct HeaderValues {
    pub id: Option<HeaderValue>,
    pub username: Option<HeaderValue>,
    pub email: Option<HeaderValue>,
    pub realm: Option<HeaderValue>,
    /// Group names, comma-separated.
    pub groups: Option<HeaderValue>,
}

impl HeaderValues {
    fn of(p: &Principal) -> HeaderValues {
        let groups = p.groups.join(",");
        let v = HeaderValues {
            id: safe_value(&p.identity_id),
            username: safe_value(&p.username),
            email: p.email.as_deref().and_then(safe_value),
            realm: safe_value(&p.realm),
            groups: safe_value(&groups),
        };
        if v.id.is_none() || v.username.is_none() || v.realm.is_none() || v.groups.is_none() {
            tracing::warn!(
                identity = ?v.id,
                "an identity value is not valid in a header; it is left out"
            );
        }
        v
    }
}

/// A header value for `v`: UTF-8 bytes as they are (non-ASCII passes as obs-text), but
/// `None` for anything with a control character (CR, LF, NUL, …), which would let a value
/// forge headers or be refused by the upstream.
pub fn safe_value(v: &str) -> Option<HeaderValue> {
    if v.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
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
        assert_eq!(v.groups.as_ref().unwrap(), "staff,ops");
        assert_eq!(v.id.as_ref().unwrap(), "id1");
        assert!(v.username.is_none(), "CR LF never reaches a header");
        assert!(v.email.is_none());
        assert!(std::ptr::eq(v, p.header_values()), "computed once");
        let c = p.clone();
        assert_eq!(c, p, "the memo is not part of the identity");
        assert_eq!(principal(&[]).header_values().groups.as_ref().unwrap(), "");
    }

    #[test]
    fn safe_values() {
        assert!(safe_value("a\r\nX-Evil: 1").is_none());
        assert!(safe_value("nul\0").is_none());
        assert_eq!(safe_value("Zoë").unwrap().as_bytes(), "Zoë".as_bytes());
    }
}
