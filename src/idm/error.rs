//! The domain's one error type (no HTTP here: the control plane maps it to a status).

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IdmError {
    /// A request field is missing, of the wrong type, too long or otherwise invalid.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The thing existed but can no longer be used (an expired, used or revoked link).
    #[error("{0}")]
    Gone(String),
    /// The request is well-formed but cannot be carried out for this resource (e.g. an
    /// EMAIL job for an identity without an email address).
    #[error("{0}")]
    Unprocessable(String),
    /// No credentials, or credentials that are not (or no longer) valid.
    #[error("a valid API token is required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl IdmError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        IdmError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for IdmError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => IdmError::NotFound(what.to_string()),
            StoreError::Conflict(m) => IdmError::Conflict(m),
            StoreError::Gone(what) => IdmError::Gone(format!("{what} is no longer valid")),
            StoreError::Unavailable(m) => IdmError::Unavailable(m),
            other => IdmError::Internal(other.to_string()),
        }
    }
}
