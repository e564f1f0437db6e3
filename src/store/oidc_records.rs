//! Rows of the OpenID Connect provider: its signing keys, grants (one authorization of a
//! client by a signed-in user) and the tokens issued under a grant, kept by hash only.

/// An ID-token signing key as stored (base64url DER); the private half never appears in
/// `Debug`. `alg` is `RS256` or `EdDSA`.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcKeyRecord {
    pub kid: String,
    pub alg: String,
    pub private_pkcs8: String,
    pub public_key: String,
    pub create_us: i64,
    /// It signs from this time on (published at once).
    pub activate_us: i64,
}

impl std::fmt::Debug for OidcKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcKeyRecord")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private_pkcs8", &"<redacted>")
            .field("create_us", &self.create_us)
            .field("activate_us", &self.activate_us)
            .finish()
    }
}

/// One authorization of a client by a signed-in user, tied to the passgate session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcGrantRecord {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: String,
    pub client_id: String,
    pub identity_id: String,
    pub session_id: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    pub nonce: Option<String>,
    pub redirect_uri: String,
    /// PKCE S256 challenge, when the client sent one.
    pub code_challenge: Option<String>,
    /// When the user last proved presence with a passkey (the ID token's `auth_time`).
    pub auth_us: i64,
    /// JSON array of RFC 8176 values.
    pub amr: String,
    pub create_us: i64,
    pub revoke_us: Option<i64>,
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcTokenKind {
    Code,
    Access,
    Refresh,
}

impl OidcTokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OidcTokenKind::Code => "code",
            OidcTokenKind::Access => "access",
            OidcTokenKind::Refresh => "refresh",
        }
    }

    pub fn parse(s: &str) -> Option<OidcTokenKind> {
        match s {
            "code" => Some(OidcTokenKind::Code),
            "access" => Some(OidcTokenKind::Access),
            "refresh" => Some(OidcTokenKind::Refresh),
            _ => None,
        }
    }
}

/// A code, access token or refresh token: only its SHA-256 (hex) is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcTokenRecord {
    pub token_hash: String,
    pub grant_id: String,
    pub kind: OidcTokenKind,
    pub create_us: i64,
    pub expire_us: i64,
    /// A code or refresh token: when it was used (each is used once).
    pub use_us: Option<i64>,
}

/// A token found by its hash, with its grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcTokenFound {
    pub token: OidcTokenRecord,
    pub grant: OidcGrantRecord,
}

/// The outcome of using a single-use token (a code or a refresh token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcUse {
    /// No such token of that kind.
    Unknown,
    /// Used now, for the first time.
    First(OidcTokenFound),
    /// It had been used before: a replay.
    Replayed(OidcTokenFound),
}
