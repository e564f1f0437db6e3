//! The domain's one error type (no HTTP here: the control plane maps it to a status and
//! Beyond Identity's error details, SCIM will map it to its own).

use super::types::Resource;
use crate::store::{Duplicate, StoreError};

/// A resource by kind and id, as errors name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRef {
    pub resource: Resource,
    pub id: String,
}

impl ResourceRef {
    pub fn new(resource: Resource, id: impl Into<String>) -> ResourceRef {
        ResourceRef {
            resource,
            id: id.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdmError {
    /// A field is missing, of the wrong type, too long or otherwise invalid. `field` is
    /// its dotted path in the request (inputs carry paths relative to the resource, e.g.
    /// `traits.username`; [`IdmError::within`] prefixes the body's key).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The named resource does not exist (`id: None` when naming it would reveal a secret,
    /// e.g. a binding link's token).
    #[error("{resource} not found")]
    NotFound {
        resource: Resource,
        id: Option<String>,
    },
    /// Some of the ids a batch operation names do not exist (nothing was done).
    #[error("{} not found", plural(*resource))]
    NotFoundMany {
        resource: Resource,
        ids: Vec<String>,
    },
    #[error("{message}")]
    Conflict {
        message: String,
        resource: Option<ResourceRef>,
    },
    /// The caller's expected version is not the resource's current one (`If-Match`).
    #[error("{} {} has changed: expected version {expected}, current version {current}", .resource.resource, .resource.id)]
    PreconditionFailed {
        resource: ResourceRef,
        expected: i64,
        current: i64,
    },
    /// The thing existed but can no longer be used (an expired, used or revoked link).
    #[error("{0}")]
    Gone(String),
    /// The request is well-formed but cannot be carried out for this resource (e.g. an
    /// EMAIL job for an identity without an email address).
    #[error("{message}")]
    Unprocessable {
        message: String,
        resource: Option<ResourceRef>,
    },
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

fn plural(r: Resource) -> &'static str {
    match r {
        Resource::Identity => "identities",
        Resource::Group => "groups",
        Resource::Credential => "credentials",
        _ => "resources",
    }
}

impl IdmError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        IdmError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(resource: Resource, id: impl Into<String>) -> Self {
        IdmError::NotFound {
            resource,
            id: Some(id.into()),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        IdmError::Conflict {
            message: message.into(),
            resource: None,
        }
    }

    pub fn unprocessable(resource: ResourceRef, message: impl Into<String>) -> Self {
        IdmError::Unprocessable {
            message: message.into(),
            resource: Some(resource),
        }
    }

    /// Prefixes the field path of an `Invalid` error with `key` (the body's member the
    /// resource came in, e.g. `identity`); other errors pass unchanged.
    pub fn within(self, key: &str) -> Self {
        match self {
            IdmError::Invalid { field, message } => IdmError::Invalid {
                field: if field.is_empty() {
                    key.to_string()
                } else {
                    format!("{key}.{field}")
                },
                message,
            },
            other => other,
        }
    }
}

/// A store error about `resource` `id`: `NotFound` names it.
pub(crate) fn about(resource: Resource, id: &str) -> impl FnOnce(StoreError) -> IdmError + '_ {
    move |e| match e {
        StoreError::NotFound(r) if r == resource => IdmError::not_found(resource, id),
        other => other.into(),
    }
}

impl From<StoreError> for IdmError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(resource) => IdmError::NotFound { resource, id: None },
            StoreError::NotFoundMany { resource, ids } => IdmError::NotFoundMany { resource, ids },
            StoreError::Duplicate(d) => IdmError::conflict(match d {
                Duplicate::Username => "username already exists",
                Duplicate::CredentialId => "this passkey is already registered to an account",
                Duplicate::Other => "the resource already exists",
            }),
            StoreError::Reference(what) => IdmError::conflict(format!(
                "the request refers to a {what} that does not exist"
            )),
            StoreError::Gone(what) => IdmError::Gone(format!("{what} is no longer valid")),
            StoreError::Stale { .. } => {
                IdmError::conflict("the resource was changed by another request; try again")
            }
            StoreError::Unavailable(m) => IdmError::Unavailable(m),
            other => IdmError::Internal(other.to_string()),
        }
    }
}
