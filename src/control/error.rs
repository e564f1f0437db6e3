//! The control plane's one error type and the one place it becomes HTTP:
//! `{"code", "message", "details"}` with the matching status.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;

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

#[derive(Serialize)]
struct Detail<'a> {
    field: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: String,
    details: Vec<Detail<'a>>,
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
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::InvalidField { .. } => "invalid_argument",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::ReauthenticationRequired => "reauthentication_required",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "already_exists",
            ApiError::Gone(_) => "gone",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
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
    let details = match err {
        ApiError::InvalidField { field, message } => vec![Detail { field, message }],
        _ => Vec::new(),
    };
    let body = serde_json::to_vec(&Body {
        code: err.code(),
        message,
        details,
    })
    .unwrap_or_default();
    let mut resp = http::Response::new(Bytes::from(body));
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
