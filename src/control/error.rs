//! The control plane's one error type and the one place it becomes HTTP:
//! `{"code", "message", "details"}` with the matching status, the details in Beyond
//! Identity's types (`FieldViolations`, `ResourceInfo`, `BatchOperationErrors`).

use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::error_code::{json_body, BatchError, Detail, ErrorCode};
use crate::idm::types::Resource;
use crate::idm::ResourceRef;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed input without a field to name (a wrong content type, a bad path).
    #[error("{0}")]
    BadRequest(String),
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("authentication required")]
    Unauthenticated,
    /// Signed in, but longer ago than this action allows: sign in again.
    #[error("this needs a recent sign-in: sign in again")]
    ReauthenticationRequired,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A named resource that does not exist (answered with a `ResourceInfo`).
    #[error("{} not found", .0.resource)]
    Missing(ResourceRef),
    /// Some of the ids a batch names do not exist (`BatchOperationErrors`).
    #[error("{message}")]
    MissingMany {
        message: String,
        resource: Resource,
        ids: Vec<String>,
    },
    #[error("{message}")]
    Conflict {
        message: String,
        resource: Option<ResourceRef>,
    },
    #[error("{0}")]
    Gone(String),
    /// `If-Match` (an expected version) is not the resource's current version.
    #[error("{message}")]
    PreconditionFailed {
        message: String,
        resource: ResourceRef,
    },
    #[error("request body too large")]
    PayloadTooLarge,
    /// `405`, with `Allow` naming the methods the path does allow; `None` only where the
    /// router adds it (a method no handler of a route takes).
    #[error("method not allowed for this endpoint")]
    MethodNotAllowed { allow: Option<&'static str> },
    #[error("{message}")]
    Unprocessable {
        message: String,
        resource: Option<ResourceRef>,
    },
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.error_code().status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    pub fn error_code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) | ApiError::InvalidField { .. } => ErrorCode::BadRequest,
            ApiError::Unauthenticated => ErrorCode::Unauthenticated,
            ApiError::ReauthenticationRequired => ErrorCode::ReauthenticationRequired,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) | ApiError::Missing(_) | ApiError::MissingMany { .. } => {
                ErrorCode::NotFound
            }
            ApiError::Conflict { .. } => ErrorCode::Conflict,
            ApiError::Gone(_) => ErrorCode::Gone,
            ApiError::PreconditionFailed { .. } => ErrorCode::PreconditionFailed,
            ApiError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::Unprocessable { .. } => ErrorCode::UnprocessableEntity,
            ApiError::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            ApiError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// A `400` naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The `details` of the body.
    fn details(&self, message: &str) -> Vec<Detail> {
        let info = |r: &ResourceRef| Detail::ResourceInfo {
            resource_type: r.resource.type_name().to_string(),
            id: r.id.clone(),
            description: message.to_string(),
        };
        match self {
            ApiError::InvalidField { field, message } => vec![Detail::field(field, message)],
            ApiError::Missing(r) | ApiError::PreconditionFailed { resource: r, .. } => {
                vec![info(r)]
            }
            ApiError::Conflict {
                resource: Some(r), ..
            }
            | ApiError::Unprocessable {
                resource: Some(r), ..
            } => vec![info(r)],
            ApiError::MissingMany { resource, ids, .. } => vec![Detail::BatchOperationErrors {
                description: "errors encountered performing batch operation".into(),
                errors: vec![BatchError {
                    description: message.to_string(),
                    ids: ids.clone(),
                    resource_type: resource.type_name().to_string(),
                }],
            }],
            _ => Vec::new(),
        }
    }
}

/// `Retry-After` on a `503` (the store unreachable): the readiness probe's pace, so a
/// client retries about when an operator's balancer would look again.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = crate::dataplane::respond::UNAVAILABLE_RETRY_AFTER;

/// The JSON response for an error; internal details are logged, never sent.
pub fn to_response(err: &ApiError) -> http::Response<Bytes> {
    let message = match err {
        ApiError::Internal(detail) => {
            tracing::error!(detail = %detail, "internal error in the control plane");
            "internal error".to_string()
        }
        other => other.to_string(),
    };
    let body = json_body(err.error_code(), &message, &err.details(&message));
    let mut resp = http::Response::new(body);
    *resp.status_mut() = err.status();
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    if let ApiError::MethodNotAllowed { allow: Some(allow) } = err {
        h.insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
    }
    let retry_after = match err {
        ApiError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
        ApiError::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_SECS),
        _ => None,
    };
    if let Some(secs) = retry_after {
        if let Ok(v) = http::HeaderValue::from_str(&secs.to_string()) {
            h.insert(http::header::RETRY_AFTER, v);
        }
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        to_response(&self).map(axum::body::Body::from)
    }
}

/// The one mapping from domain errors to HTTP errors.
impl From<crate::idm::IdmError> for ApiError {
    fn from(e: crate::idm::IdmError) -> Self {
        use crate::idm::IdmError as E;
        match e {
            E::Invalid { field, message } => ApiError::InvalidField { field, message },
            E::NotFound {
                resource,
                id: Some(id),
            } => ApiError::Missing(ResourceRef::new(resource, id)),
            E::NotFound { resource, id: None } => {
                ApiError::NotFound(format!("{resource} not found"))
            }
            e @ E::NotFoundMany { .. } => {
                let message = e.to_string();
                let E::NotFoundMany { resource, ids } = e else {
                    return ApiError::Internal("unreachable".into());
                };
                ApiError::MissingMany {
                    message,
                    resource,
                    ids,
                }
            }
            E::Conflict { message, resource } => ApiError::Conflict { message, resource },
            e @ E::PreconditionFailed { .. } => {
                let message = e.to_string();
                let E::PreconditionFailed { resource, .. } = e else {
                    return ApiError::Internal("unreachable".into());
                };
                ApiError::PreconditionFailed { message, resource }
            }
            E::Gone(m) => ApiError::Gone(m),
            E::Unprocessable { message, resource } => ApiError::Unprocessable { message, resource },
            E::Unauthenticated => ApiError::Unauthenticated,
            E::Forbidden(m) => ApiError::Forbidden(m),
            E::Unavailable(m) => {
                tracing::error!(error = %m, "the store is unavailable");
                ApiError::Unavailable("the store is unavailable".into())
            }
            E::Internal(m) => ApiError::Internal(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idm::IdmError;

    fn body(e: ApiError) -> (u16, serde_json::Value) {
        let r = to_response(&e);
        (
            r.status().as_u16(),
            serde_json::from_slice(r.body()).unwrap(),
        )
    }

    #[test]
    fn domain_errors_become_beyond_identity_bodies() {
        let (s, v) = body(IdmError::not_found(Resource::Group, "g1").into());
        assert_eq!(s, 404);
        assert_eq!(v["code"], "not_found");
        assert_eq!(v["message"], "group not found");
        assert_eq!(v["details"][0]["type"], "ResourceInfo");
        assert_eq!(v["details"][0]["resource_type"], "Group");
        assert_eq!(v["details"][0]["id"], "g1");

        let (s, v) = body(IdmError::invalid("identity.display_name", "must not be empty").into());
        assert_eq!((s, v["code"].as_str()), (400, Some("bad_request")));
        assert_eq!(
            v["details"][0]["field_violations"][0]["field"],
            "identity.display_name"
        );

        let (s, v) = body(
            IdmError::NotFoundMany {
                resource: Resource::Identity,
                ids: vec!["a".into(), "b".into()],
            }
            .into(),
        );
        assert_eq!(s, 404);
        assert_eq!(v["message"], "identities not found");
        assert_eq!(v["details"][0]["type"], "BatchOperationErrors");
        assert_eq!(
            v["details"][0]["errors"][0]["IDs"],
            serde_json::json!(["a", "b"])
        );
        assert_eq!(v["details"][0]["errors"][0]["ResourceType"], "Identity");

        let (s, v) = body(
            IdmError::PreconditionFailed {
                resource: ResourceRef::new(Resource::Identity, "i1"),
                expected: 2,
                current: 3,
            }
            .into(),
        );
        assert_eq!((s, v["code"].as_str()), (412, Some("precondition_failed")));
        assert_eq!(v["details"][0]["resource_type"], "Identity");

        let (s, v) = body(IdmError::Internal("db password is hunter2".into()).into());
        assert_eq!(
            (s, v["code"].as_str()),
            (500, Some("internal_server_error"))
        );
        assert!(!v.to_string().contains("hunter2"));

        let r = to_response(&IdmError::Unavailable("57P01".into()).into());
        assert_eq!(r.status().as_u16(), 503);
        assert_eq!(r.headers()[http::header::RETRY_AFTER], "2");
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["code"], "service_unavailable");
        assert!(!v.to_string().contains("57P01"));
    }
}
