//! Rows for sessions: server-side sessions, the signing keys session tokens are signed
//! with, and the revocation feed every instance polls.

use crate::idm::types::RevocationKind;

/// A server-side session: what a session token is re-issued from while it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: String,
    pub identity_id: String,
    pub create_us: i64,
    /// Absolute end (`create_us` + `session.ttl`).
    pub expire_us: i64,
    pub revoke_us: Option<i64>,
    /// When the user last proved presence with a passkey.
    pub auth_us: i64,
    /// Last use, as seen when a token was (re-)issued (the idle timeout counts from it).
    pub last_seen_us: i64,
    /// Authentication methods, a JSON array (`["hwk","user"]`).
    pub amr: String,
    /// The passkey (`credentials.id`) the session was started with, if any.
    pub credential_id: Option<String>,
}

/// Everything one successful sign-in writes, in one transaction: the ceremony is used up,
/// the passkey's counter and `last_used_us` recorded, the session created. Committed only
/// while the ceremony is unused and unexpired, and the passkey and its identity active;
/// otherwise nothing is written.
#[derive(Clone)]
pub struct SignInCompletion {
    pub ceremony_id: String,
    /// `credentials.id` of the passkey used.
    pub credential: String,
    pub sign_count: i64,
    /// The passkey's JSON after the sign-in (counter, backup state).
    pub passkey: String,
    pub session: SessionRecord,
    pub now_us: i64,
}

impl std::fmt::Debug for SignInCompletion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInCompletion")
            .field("ceremony_id", &"<redacted>")
            .field("credential", &self.credential)
            .field("sign_count", &self.sign_count)
            .field("session", &self.session.id)
            .field("now_us", &self.now_us)
            .finish()
    }
}

/// An Ed25519 signing key as stored (base64url); the private half never appears in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub private_pkcs8: String,
    pub public_key: String,
    pub create_us: i64,
    /// It signs from this time on (verifies at once), so every instance knows it first.
    pub activate_us: i64,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("private_pkcs8", &"<redacted>")
            .field("create_us", &self.create_us)
            .field("activate_us", &self.activate_us)
            .finish()
    }
}

/// What a revocation ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeTarget {
    Session(String),
    /// Every session of the identity.
    Identity(String),
    /// Every session started with this passkey (`credentials.id`).
    Credential(String),
}

/// One entry of the revocation feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRecord {
    pub seq: i64,
    pub kind: RevocationKind,
    pub target_id: String,
    pub create_us: i64,
}
