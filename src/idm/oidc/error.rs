//! The provider's typed refusals, named by the OAuth error codes of RFC 6749, 7009, 7662,
//! 6750 and OpenID Connect Core; `control::oidc::error` is the one place they become HTTP.

use crate::idm::IdmError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// Client authentication failed (unknown client, wrong secret, wrong method).
    #[error("invalid_client: {0}")]
    InvalidClient(String),
    /// The code or refresh token is unknown, used, expired, another client's, or its
    /// redirect URI or PKCE verifier does not match.
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(String),
    #[error("unsupported_grant_type: {0}")]
    UnsupportedGrantType(String),
    #[error("unsupported_response_type: {0}")]
    UnsupportedResponseType(String),
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    #[error("access_denied: {0}")]
    AccessDenied(String),
    #[error("login_required: {0}")]
    LoginRequired(String),
    #[error("request_not_supported: {0}")]
    RequestNotSupported(String),
    /// A bearer token (RFC 6750) that is unknown, expired or revoked.
    #[error("invalid_token: {0}")]
    InvalidToken(String),
    #[error("{0}")]
    Internal(#[from] IdmError),
}

impl From<StoreError> for OidcError {
    fn from(e: StoreError) -> Self {
        OidcError::Internal(e.into())
    }
}

impl OidcError {
    /// The OAuth `error` value.
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::InvalidRequest(_) => "invalid_request",
            OidcError::InvalidClient(_) => "invalid_client",
            OidcError::InvalidGrant(_) => "invalid_grant",
            OidcError::UnauthorizedClient(_) => "unauthorized_client",
            OidcError::UnsupportedGrantType(_) => "unsupported_grant_type",
            OidcError::UnsupportedResponseType(_) => "unsupported_response_type",
            OidcError::InvalidScope(_) => "invalid_scope",
            OidcError::AccessDenied(_) => "access_denied",
            OidcError::LoginRequired(_) => "login_required",
            OidcError::RequestNotSupported(_) => "request_not_supported",
            OidcError::InvalidToken(_) => "invalid_token",
            OidcError::Internal(_) => "server_error",
        }
    }

    /// The `error_description` (nothing internal is revealed).
    pub fn description(&self) -> String {
        match self {
            OidcError::Internal(_) => "internal error".into(),
            OidcError::InvalidRequest(m)
            | OidcError::InvalidClient(m)
            | OidcError::InvalidGrant(m)
            | OidcError::UnauthorizedClient(m)
            | OidcError::UnsupportedGrantType(m)
            | OidcError::UnsupportedResponseType(m)
            | OidcError::InvalidScope(m)
            | OidcError::AccessDenied(m)
            | OidcError::LoginRequired(m)
            | OidcError::RequestNotSupported(m)
            | OidcError::InvalidToken(m) => m.clone(),
        }
    }
}
