//! The claims of a session token (a JWT signed with EdDSA; see `keys` and `verify`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// `public_url` of the issuing gateway.
    pub iss: String,
    /// Identity id.
    pub sub: String,
    pub realm: String,
    /// Server-side session id: revocation and re-issue are keyed on it.
    pub sid: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Seconds since the Unix epoch.
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    /// When the user last proved presence with a passkey.
    pub auth_time: u64,
    /// Authentication methods, e.g. `["hwk", "user"]` for a user-verified passkey.
    #[serde(default)]
    pub amr: Vec<String>,
}
