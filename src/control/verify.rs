//! `GET /.passgate/verify`: the forward-auth answer. The original request comes from the
//! proxy's headers (see `dataplane::forward`); the decision, the token re-issue and the
//! identity headers are the data plane's own gate's ([`crate::dataplane::Gate`]).
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
use crate::dataplane::classify::Action;
use crate::dataplane::forward::{rebuild, Rebuilt};
use crate::dataplane::gate::{self, Ask};
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
    let runtime = gate.runtime();
    let ask = Ask {
        req: &req,
        path: RequestPath::new(req.uri.path(), &canonical),
        tls: o.https,
        cookie_secure: Some(o.https || super::web::secure(&parts)),
    };
    let decided = gate.decide(&runtime, &ask).await;
    let mut resp = match decided.action {
        Action::Proxy { route, principal } => {
            let mut resp = answer(200, "text/plain", Bytes::new());
            if let Some(p) = principal {
                let out = resp.headers_mut();
                let host = || request::host(&req);
                let set = gate.identity_headers(&runtime, &route.route, &p, host, |n, _, v| {
                    out.insert(n.clone(), v);
                    Ok(())
                });
                if set.is_err() {
                    return ApiError::Internal("assertion signing failed".into()).into_response();
                }
            }
            resp
        }
        Action::Challenge {
            route,
            redirect,
            step_up,
        } => match redirect.filter(|_| wants_redirect(&parts)) {
            Some(url) => {
                let scheme = if o.https { "https" } else { "http" };
                let origin = format!("{scheme}://{}", o.host);
                let location = gate::login_location(&route.route, &url, Some(&origin));
                let mut resp = answer(302, "text/plain", Bytes::new());
                if let Ok(v) = HeaderValue::from_str(&location) {
                    resp.headers_mut().insert(header::LOCATION, v);
                }
                resp
            }
            None => answer(401, "application/json", respond::challenge_body(step_up)),
        },
        Action::Unavailable { .. } => {
            ApiError::Unavailable(respond::UNAVAILABLE_MESSAGE.into()).into_response()
        }
        Action::Deny {
            route,
            principal,
            redirect,
        } => {
            let switch = gate::switch_account_location(&route.route, redirect.as_deref());
            let (s, ctype, body) =
                respond::forbidden_body(request::accepts_html(&req), &principal, &switch);
            answer(s, ctype, body)
        }
        Action::NoRoute | Action::Control => {
            ApiError::NotFound("passgate has no route for this host and path".into())
                .into_response()
        }
        Action::Refuse(e) => ApiError::BadRequest(e.to_string()).into_response(),
    };
    if let Some(v) = decided
        .set_cookie
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
