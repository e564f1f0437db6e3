//! The identity a verified session stands for, as the data plane passes it on.

use std::sync::Arc;

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
        }
    }
}
