//! SCIM's error schema (RFC 7644 §3.12): `{"schemas": [Error], "status": "400",
//! "scimType": "invalidFilter", "detail": "…"}` with the matching HTTP status, as
//! `application/scim+json`. Domain errors map here, in one place.

use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::idm::IdmError;
use crate::scim::filter::ParseError;
use crate::scim::patch::PatchError;
use crate::scim::schema;

pub const CONTENT_TYPE: &str = "application/scim+json";

/// An error answered in SCIM's shape.
#[derive(Debug)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        ScimError::new(400, Some(scim_type), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ScimError::new(404, None, detail)
    }

    pub fn filter(e: ParseError) -> Self {
        ScimError::bad("invalidFilter", e.0)
    }
}

impl From<PatchError> for ScimError {
    fn from(e: PatchError) -> Self {
        ScimError::bad(e.scim_type, e.detail)
    }
}

impl From<IdmError> for ScimError {
    fn from(e: IdmError) -> Self {
        let detail = e.to_string();
        match e {
            IdmError::Invalid { .. } | IdmError::Unprocessable { .. } => {
                ScimError::bad("invalidValue", detail)
            }
            IdmError::NotFoundMany { ids, .. } => {
                ScimError::bad("invalidValue", format!("no such user: {}", ids.join(", ")))
            }
            IdmError::NotFound { .. } => ScimError::not_found(detail),
            IdmError::Conflict { message, .. } if message.contains("username") => {
                ScimError::new(409, Some("uniqueness"), "userName is already taken")
            }
            IdmError::Conflict { .. } => ScimError::new(409, None, detail),
            IdmError::PreconditionFailed { .. } => ScimError::new(412, None, detail),
            IdmError::Gone(_) => ScimError::new(410, None, detail),
            IdmError::Unauthenticated => {
                ScimError::new(401, None, "a valid bearer token is required")
            }
            IdmError::Forbidden(m) => ScimError::new(403, None, m),
            IdmError::Unavailable(_) => ScimError::new(503, None, "the store is unavailable"),
            IdmError::Internal(m) => {
                tracing::error!(error = %m, "SCIM request failed");
                ScimError::new(500, None, "internal error")
            }
        }
    }
}

/// The JSON body of a SCIM error (also written by the data plane for a body over the limit).
pub fn body(status: u16, scim_type: Option<&str>, detail: &str) -> String {
    let mut v = json!({
        "schemas": [schema::ERROR],
        "status": status.to_string(),
        "detail": detail,
    });
    if let Some(t) = scim_type {
        v["scimType"] = t.into();
    }
    v.to_string()
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let status = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, body(self.status, self.scim_type, &self.detail)).into_response();
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(CONTENT_TYPE),
        );
        if self.status == 401 {
            resp.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer"),
            );
        }
        if self.status == 503 {
            resp.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from(crate::control::error::UNAVAILABLE_RETRY_AFTER_SECS),
            );
        }
        resp
    }
}
