//! The control plane's one error type and the one place it becomes HTTP:
//! `{"code", "message", "details"}` with the matching status.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::error_code::{json_body, ErrorCode, FieldDetail};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
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
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("method not allowed for this endpoint")]
    MethodNotAllowed,
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            ApiError::BadRequest(_) | ApiError::InvalidField { .. } => S::BAD_REQUEST,
            ApiError::Unauthenticated | ApiError::ReauthenticationRequired => S::UNAUTHORIZED,
            ApiError::Forbidden(_) => S::FORBIDDEN,
            ApiError::NotFound(_) => S::NOT_FOUND,
            ApiError::Conflict(_) => S::CONFLICT,
            ApiError::Gone(_) => S::GONE,
            ApiError::PayloadTooLarge => S::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed => S::METHOD_NOT_ALLOWED,
            ApiError::Unprocessable(_) => S::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => S::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => S::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => S::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    pub fn error_code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::InvalidField { .. } => ErrorCode::InvalidArgument,
            ApiError::Unauthenticated => ErrorCode::Unauthenticated,
            ApiError::ReauthenticationRequired => ErrorCode::ReauthenticationRequired,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Conflict(_) => ErrorCode::AlreadyExists,
            ApiError::Gone(_) => ErrorCode::Gone,
            ApiError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            ApiError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            ApiError::Unprocessable(_) => ErrorCode::Unprocessable,
            ApiError::TooManyRequests { .. } => ErrorCode::RateLimited,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// The JSON response for an error; internal details are logged, never sent.
pub fn to_response(err: &ApiError) -> http::Response<Bytes> {
    let message = match err {
        ApiError::Internal(detail) => {
            tracing::error!(detail = %detail, "internal error in the control plane");
            "internal error".to_string()
        }
        other => other.to_string(),
    };
    let body = match err {
        ApiError::InvalidField { field, message: m } => json_body(
            err.error_code(),
            &message,
            &[FieldDetail { field, message: m }],
        ),
        _ => json_body(err.error_code(), &message, &[]),
    };
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
    if let ApiError::TooManyRequests { retry_after_secs } = err {
        if let Ok(v) = http::HeaderValue::from_str(&retry_after_secs.to_string()) {
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
            E::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            E::Conflict(m) => ApiError::Conflict(m),
            E::Gone(m) => ApiError::Gone(m),
            E::Unprocessable(m) => ApiError::Unprocessable(m),
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
