//! The one error vocabulary of both planes: every `code` a passgate JSON error can carry,
//! its HTTP status, and the one writer of the `{"code", "message", "details"}` body. The
//! control plane (`control::error`) and the data plane (`dataplane::respond`) both write
//! their JSON errors through [`json_body`].

use bytes::Bytes;
use serde::Serialize;

/// Every error code passgate answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BadRequest,
    InvalidArgument,
    /// A request path with a dot segment or NUL (data plane).
    BadPath,
    /// A request without a usable host (data plane).
    BadHost,
    Unauthenticated,
    ReauthenticationRequired,
    Forbidden,
    NotFound,
    /// No route for this host and path (data plane).
    NoRoute,
    AlreadyExists,
    Gone,
    PayloadTooLarge,
    MethodNotAllowed,
    Unprocessable,
    RateLimited,
    Unavailable,
    /// A transfer coding passgate does not implement (data plane, `501`).
    NotImplemented,
    UpstreamUnavailable,
    UpstreamTimeout,
    Internal,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::BadPath => "bad_path",
            ErrorCode::BadHost => "bad_host",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::ReauthenticationRequired => "reauthentication_required",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NoRoute => "no_route",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::Gone => "gone",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Unprocessable => "unprocessable",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::NotImplemented => "not_implemented",
            ErrorCode::UpstreamUnavailable => "upstream_unavailable",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status this code is answered with.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::InvalidArgument
            | ErrorCode::BadPath
            | ErrorCode::BadHost => 400,
            ErrorCode::Unauthenticated | ErrorCode::ReauthenticationRequired => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound | ErrorCode::NoRoute => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::AlreadyExists => 409,
            ErrorCode::Gone => 410,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::Unprocessable => 422,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::NotImplemented => 501,
            ErrorCode::UpstreamUnavailable => 502,
            ErrorCode::Unavailable => 503,
            ErrorCode::UpstreamTimeout => 504,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `details`: the field (a dotted path into the request body) and what is
/// wrong with it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldDetail<'a> {
    pub field: &'a str,
    pub message: &'a str,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'static str,
    message: &'a str,
    details: &'a [FieldDetail<'a>],
}

/// The JSON error body every passgate API answers with.
pub fn json_body(code: ErrorCode, message: &str, details: &[FieldDetail<'_>]) -> Bytes {
    let body = Body {
        code: code.as_str(),
        message,
        details,
    };
    // Serialising plain strings into a Vec cannot fail.
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_three_fields() {
        let b = json_body(
            ErrorCode::InvalidArgument,
            "bad \"name\"",
            &[FieldDetail {
                field: "identity.traits.username",
                message: "is required",
            }],
        );
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["code"], "invalid_argument");
        assert_eq!(v["message"], "bad \"name\"");
        assert_eq!(v["details"][0]["field"], "identity.traits.username");
        assert_eq!(ErrorCode::UpstreamTimeout.status(), 504);
    }
}
