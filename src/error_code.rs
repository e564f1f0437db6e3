//! The one error vocabulary of both planes: every `code` a passgate JSON error can carry,
//! its HTTP status, the detail types (Beyond Identity's `FieldViolations`, `ResourceInfo`
//! and `BatchOperationErrors`), and the one writer of the `{"code", "message", "details"}`
//! body. The control plane (`control::error`) and the data plane (`dataplane::respond`)
//! both write their JSON errors through [`json_body`].
//!
//! Codes follow Beyond Identity's rule: the HTTP status's name in lower snake case
//! (`bad_request`, `unauthorized`, `not_found`, `conflict`, `unprocessable_entity`, …).
//! Situations only a proxy meets keep a code of their own (`bad_path`, `bad_host`,
//! `no_route`, `upstream_unavailable`, `upstream_timeout`), as does the step-up answer
//! `reauthentication_required`.

use bytes::Bytes;
use serde::Serialize;

/// Every error code passgate answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Malformed input: bad JSON, a missing, unknown, mistyped or invalid field (with
    /// `FieldViolations`), a wrong content type.
    BadRequest,
    /// A request path with a dot segment or NUL (data plane).
    BadPath,
    /// A request without a usable host (data plane).
    BadHost,
    /// Not signed in, or no valid API token (`unauthorized`, HTTP's name for 401).
    Unauthenticated,
    /// Signed in, but too long ago for this route or action.
    ReauthenticationRequired,
    Forbidden,
    NotFound,
    /// No route for this host and path (data plane).
    NoRoute,
    MethodNotAllowed,
    /// The request conflicts with the current state (a taken username, a job no longer open).
    Conflict,
    Gone,
    /// An `If-Match` (or an expected version) that is not the resource's current one.
    PreconditionFailed,
    PayloadTooLarge,
    /// Well-formed, but impossible for this resource (an EMAIL job without an address).
    UnprocessableEntity,
    TooManyRequests,
    Internal,
    /// A transfer coding passgate does not implement (data plane, `501`).
    NotImplemented,
    UpstreamUnavailable,
    ServiceUnavailable,
    UpstreamTimeout,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::BadPath => "bad_path",
            ErrorCode::BadHost => "bad_host",
            ErrorCode::Unauthenticated => "unauthorized",
            ErrorCode::ReauthenticationRequired => "reauthentication_required",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NoRoute => "no_route",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Gone => "gone",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnprocessableEntity => "unprocessable_entity",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::Internal => "internal_server_error",
            ErrorCode::NotImplemented => "not_implemented",
            ErrorCode::UpstreamUnavailable => "upstream_unavailable",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
        }
    }

    /// The HTTP status this code is answered with.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::BadPath | ErrorCode::BadHost => 400,
            ErrorCode::Unauthenticated | ErrorCode::ReauthenticationRequired => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound | ErrorCode::NoRoute => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::Gone => 410,
            ErrorCode::PreconditionFailed => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnprocessableEntity => 422,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Internal => 500,
            ErrorCode::NotImplemented => 501,
            ErrorCode::UpstreamUnavailable => 502,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::UpstreamTimeout => 504,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invalid field: its dotted path into the request body and what is wrong with it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

/// One group of ids a batch operation failed on.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct BatchError {
    #[serde(rename = "Description")]
    pub description: String,
    #[serde(rename = "IDs")]
    pub ids: Vec<String>,
    #[serde(rename = "ResourceType")]
    pub resource_type: String,
}

/// One entry of `details`, tagged by `type` as Beyond Identity does.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(tag = "type")]
pub enum Detail {
    FieldViolations {
        field_violations: Vec<FieldViolation>,
    },
    ResourceInfo {
        resource_type: String,
        id: String,
        description: String,
    },
    BatchOperationErrors {
        description: String,
        errors: Vec<BatchError>,
    },
}

impl Detail {
    /// `FieldViolations` with one field.
    pub fn field(field: &str, description: &str) -> Detail {
        Detail::FieldViolations {
            field_violations: vec![FieldViolation {
                field: field.to_string(),
                description: description.to_string(),
            }],
        }
    }
}

/// The signed-in user a `403` from the gate names, beside `code`, `message` and `details`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Who<'a> {
    pub username: &'a str,
    pub realm_id: &'a str,
}

/// The error body (in the OpenAPI document as `Error`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    /// The status's name in lower snake case (`bad_request`, `not_found`, …).
    code: &'static str,
    message: &'a str,
    details: &'a [Detail],
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<Who<'a>>,
}

/// The JSON error body every passgate API answers with.
pub fn json_body(code: ErrorCode, message: &str, details: &[Detail]) -> Bytes {
    write(&ErrorBody {
        code: code.as_str(),
        message,
        details,
        identity: None,
    })
}

/// [`json_body`] naming the signed-in user (`"identity": {"username", "realm_id"}`), for
/// the gate's `403`.
pub fn json_body_naming(code: ErrorCode, message: &str, who: Who<'_>) -> Bytes {
    write(&ErrorBody {
        code: code.as_str(),
        message,
        details: &[],
        identity: Some(who),
    })
}

fn write(body: &ErrorBody<'_>) -> Bytes {
    // Serialising plain strings into a Vec cannot fail.
    Bytes::from(serde_json::to_vec(body).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_three_fields_and_typed_details() {
        let b = json_body(
            ErrorCode::BadRequest,
            "bad \"name\"",
            &[Detail::field("identity.traits.username", "is required")],
        );
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["code"], "bad_request");
        assert_eq!(v["message"], "bad \"name\"");
        assert_eq!(v["details"][0]["type"], "FieldViolations");
        assert_eq!(
            v["details"][0]["field_violations"][0]["field"],
            "identity.traits.username"
        );
        assert_eq!(
            v["details"][0]["field_violations"][0]["description"],
            "is required"
        );
        let r = json_body(
            ErrorCode::NotFound,
            "group not found",
            &[Detail::ResourceInfo {
                resource_type: "Group".into(),
                id: "g1".into(),
                description: "group not found".into(),
            }],
        );
        let v: serde_json::Value = serde_json::from_slice(&r).unwrap();
        assert_eq!(
            v["details"][0],
            serde_json::json!({"type": "ResourceInfo", "resource_type": "Group", "id": "g1",
                               "description": "group not found"})
        );
        let empty: serde_json::Value =
            serde_json::from_slice(&json_body(ErrorCode::Unauthenticated, "x", &[])).unwrap();
        assert_eq!(empty["code"], "unauthorized");
        assert_eq!(empty["details"], serde_json::json!([]));
        assert!(empty.get("identity").is_none());
        let named: serde_json::Value = serde_json::from_slice(&json_body_naming(
            ErrorCode::Forbidden,
            "no",
            Who {
                username: "alice",
                realm_id: "default",
            },
        ))
        .unwrap();
        assert_eq!(
            named,
            serde_json::json!({"code": "forbidden", "message": "no", "details": [],
                               "identity": {"username": "alice", "realm_id": "default"}})
        );
        assert_eq!(ErrorCode::UpstreamTimeout.status(), 504);
        assert_eq!(ErrorCode::PreconditionFailed.status(), 412);
    }
}
