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
            StoreError::Unavailable(m) => IdmError::Unavailable(m),
            other => IdmError::Internal(other.to_string()),
        }
    }
}
