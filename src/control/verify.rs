//! `GET /.passgate/verify`: the forward-auth answer. The original request comes from the
//! proxy's headers (see `dataplane::forward`); the decision is the data plane's own.
//! `200` with the identity headers, `401` (or, with `?rd=1` on a browser navigation, `302`
//! to the sign-in page on the original host), `403`; `404` when no route covers the host;
//! `400` when the original request cannot be made out or the proxy's headers and a
//! client's copies of the other set describe different requests.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};

use super::error::ApiError;
use super::state::ControlState;
use crate::config::RequestPath;
use crate::dataplane::classify::{self, Action};
use crate::dataplane::forward::{rebuild, Original, Rebuilt};
use crate::dataplane::{request, respond};

fn answer(status: u16, ctype: &str, body: Bytes) -> Response {
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(ctype) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn wants_redirect(parts: &Parts) -> bool {
    parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv == "rd=1" || kv == "rd=true"))
}

pub async fn verify(State(state): State<Arc<ControlState>>, parts: Parts) -> Response {
    let Some(gate) = state.gate.clone() else {
        return ApiError::NotFound("forward-auth is not available".into()).into_response();
    };
    let Rebuilt {
        original: o,
        request: req,
        canonical,
    } = match rebuild(&parts.headers) {
        Ok(r) => r,
        Err(e) => return ApiError::BadRequest(e.to_string()).into_response(),
    };
    let path = RequestPath::new(req.uri.path(), &canonical);
    let now = state.now_secs();
    let (runtime, mut action) = gate.classify(&req, path, o.https, now);
    let mut set_cookie = None;
    if let Action::Refresh { route } = action {
        let token = crate::dataplane::authn::session_token(&req, &runtime);
        let refreshed = match token {
            Some(t) => state.sessions.refresh(t).await.ok(),
            None => None,
        };
        let principal = refreshed.map(|issued| {
            set_cookie = Some(
                state
                    .sessions
                    .set_cookie(&issued, o.https || super::web::secure(&parts)),
            );
            issued.principal.clone()
        });
        let principal = principal.filter(|p| *p.realm == *route.route.realm);
        action = classify::decide(&runtime, &route, principal, &req, path, o.https, now);
    }
    let mut resp = match action {
        Action::Proxy { route, principal } => {
            let mut resp = answer(200, "text/plain", Bytes::new());
            if let Some(p) = principal {
                let host = request::host(&req);
                match gate.identity(&runtime, &route.route, &p, &host, now) {
                    Ok(hs) => {
                        for (n, v) in hs {
                            resp.headers_mut().insert(n, v);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "forward-auth: assertion signing failed");
                        return ApiError::Internal("assertion signing failed".into())
                            .into_response();
                    }
                }
            }
            resp
        }
        Action::Challenge {
            redirect, step_up, ..
        } => match redirect.filter(|_| wants_redirect(&parts)) {
            Some(url) => login_redirect(&o, &url),
            None => {
                let (code, msg) = respond::challenge_code(step_up);
                answer(401, "application/json", respond::json_error_body(code, msg))
            }
        },
        Action::Deny { principal, .. } => {
            let (s, ctype, body) = respond::forbidden_body(request::accepts_html(&req), &principal);
            answer(s, ctype, body)
        }
        Action::NoRoute | Action::Control | Action::Refresh { .. } => {
            ApiError::NotFound("passgate has no route for this host and path".into())
                .into_response()
        }
        Action::Refuse(e) => ApiError::BadRequest(e.to_string()).into_response(),
    };
    if let Some(v) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `302` to the sign-in page on the original host, carrying the original URL.
fn login_redirect(o: &Original, original_url: &str) -> Response {
    let rd: String = url::form_urlencoded::byte_serialize(original_url.as_bytes()).collect();
    let scheme = if o.https { "https" } else { "http" };
    let location = format!("{scheme}://{}/.passgate/login?rd={rd}", o.host);
    let mut resp = answer(302, "text/plain", Bytes::new());
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}
