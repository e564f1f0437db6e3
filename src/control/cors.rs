//! CORS for the ceremony, session and passkey API (`/.passgate/api/v1/*`) from the
//! `trusted_origins` of the realms' `embedded` authenticator configurations: an app page on
//! another origin runs the SDK against passgate. For exactly those origins a preflight
//! (`OPTIONS` with `Access-Control-Request-Method`) is answered `204` with the allowed
//! methods and headers, and every answer carries `Access-Control-Allow-Origin: <origin>`
//! and `Access-Control-Allow-Credentials: true` (the session cookie travels). Any other
//! origin gets no CORS header at all (a preflight from it is refused with `403`), so the
//! browser keeps its pages from reading answers. Other paths are left alone (the SDK file
//! has its own `*`, the admin API is bearer-token only).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

use super::error::ApiError;
use crate::config::Config;

/// The paths CORS applies to.
pub const API_PREFIX: &str = "/.passgate/api/v1/";

const METHODS: &str = "GET, POST, PATCH, DELETE";
const HEADERS: &str = "Content-Type, Accept";
/// How long a browser may reuse a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// The request's `Origin` when it is a trusted origin and the path is under
/// [`API_PREFIX`] (where trusted origins may call passgate).
pub fn trusted_origin<'h>(
    config: &Config,
    headers: &'h HeaderMap,
    path: &str,
) -> Option<&'h HeaderValue> {
    if !path.starts_with(API_PREFIX) {
        return None;
    }
    headers
        .get(header::ORIGIN)
        .filter(|o| o.to_str().is_ok_and(|o| config.is_trusted_origin(o)))
}

/// The middleware (see the module docs).
pub async fn cors(State(config): State<Arc<Config>>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with(API_PREFIX) {
        return next.run(req).await;
    }
    let origin = trusted_origin(&config, req.headers(), req.uri().path()).cloned();
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut resp = if preflight {
        match &origin {
            Some(_) => {
                let mut r = StatusCode::NO_CONTENT.into_response();
                let h = r.headers_mut();
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static(METHODS),
                );
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static(HEADERS),
                );
                h.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static(MAX_AGE),
                );
                r
            }
            None => {
                tracing::warn!(
                    origin = ?req.headers().get(header::ORIGIN),
                    path = req.uri().path(),
                    "refused a CORS preflight from an untrusted origin"
                );
                ApiError::Forbidden(
                    "This origin is not a trusted origin of any authenticator configuration."
                        .into(),
                )
                .into_response()
            }
        }
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(o) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After"),
        );
    }
    resp
}
