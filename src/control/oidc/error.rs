//! The one place the provider's refusals ([`OidcError`]) become HTTP: a JSON body
//! `{"error", "error_description"}` (RFC 6749 §5.2) with 400, 401 for client
//! authentication (with `WWW-Authenticate: Basic`) and bearer tokens (RFC 6750
//! `WWW-Authenticate: Bearer error="invalid_token"`), 500 for internal errors; or, at the
//! authorization endpoint once the redirect URI is trusted, a redirect carrying `error`,
//! `state` and `iss` (RFC 9207).

use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{header, HeaderValue, StatusCode};
use serde_json::json;

use crate::idm::oidc::OidcError;

/// Headers every OAuth JSON answer carries (RFC 6749 §5.1).
pub fn no_store(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

/// The JSON answer for `e`.
pub fn json_error(e: &OidcError) -> Response {
    let status = match e {
        OidcError::InvalidClient(_) | OidcError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
        OidcError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = Json(json!({"error": e.code(), "error_description": e.description()}));
    let mut resp = no_store((status, body).into_response());
    let challenge = match e {
        OidcError::InvalidClient(_) => Some("Basic realm=\"passgate\"".to_string()),
        OidcError::InvalidToken(_) => Some(format!(
            "Bearer realm=\"passgate\", error=\"invalid_token\", error_description=\"{}\"",
            e.description().replace(['"', '\\'], "")
        )),
        _ => None,
    };
    if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

impl IntoResponse for OidcError {
    fn into_response(self) -> Response {
        json_error(&self)
    }
}

/// `redirect_uri?error=…&error_description=…&state=…&iss=…` (a 302).
pub fn redirect_error(
    redirect_uri: &str,
    state: Option<&str>,
    iss: &str,
    e: &OidcError,
) -> Response {
    let desc = e.description();
    let mut params = vec![("error", e.code()), ("error_description", desc.as_str())];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", iss));
    redirect_with(redirect_uri, &params)
}

/// A 302 to `uri` with `params` added to its query.
pub fn redirect_with(uri: &str, params: &[(&str, &str)]) -> Response {
    let mut url = match url::Url::parse(uri) {
        Ok(u) => u,
        Err(_) => {
            return json_error(&OidcError::InvalidRequest("bad redirect URI".into()));
        }
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    match HeaderValue::from_str(url.as_str()) {
        Ok(loc) => no_store((StatusCode::FOUND, [(header::LOCATION, loc)]).into_response()),
        Err(_) => json_error(&OidcError::InvalidRequest("bad redirect URI".into())),
    }
}
