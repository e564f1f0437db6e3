//! The session endpoints every host serves: `GET /.passgate/jwks.json` (session keys and
//! the OpenID Connect provider's ID-token keys),
//! `GET|DELETE /.passgate/api/v1/session`, `GET|POST /.passgate/logout`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};
use serde_json::json;

use super::error::ApiError;
use super::state::ControlState;
use super::web;
use crate::dataplane::respond;

fn with_cookie(mut resp: Response, set_cookie: Option<String>) -> Response {
    if let Some(v) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub async fn jwks(State(state): State<Arc<ControlState>>) -> Response {
    let mut doc = state.sessions.keys().load().jwks();
    if let Some(keys) = doc["keys"].as_array_mut() {
        keys.extend(state.sessions.oidc_keys().jwks());
    }
    let mut resp = Json(doc).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    resp
}

/// The signed-in identity (a token past its `exp` is re-issued, as on proxied routes).
pub async fn get_session(State(state): State<Arc<ControlState>>, parts: Parts) -> Response {
    let sessions = &state.sessions;
    let Some(token) = sessions.token_in(&parts.headers) else {
        return ApiError::Unauthenticated.into_response();
    };
    match sessions.current(token).await {
        Ok((p, reissued)) => {
            let body = Json(json!({
                "identity": {
                    "id": p.identity_id(),
                    "realm_id": p.realm(),
                    "username": p.username(),
                    "email": p.email(),
                    "groups": p.groups().iter().map(|g| &**g).collect::<Vec<_>>(),
                },
                "session": {
                    "id": p.session_id(),
                    "auth_time": p.auth_time,
                    "expires_at": p.expires_at,
                },
            }));
            let cookie = reissued.map(|i| sessions.set_cookie(&i, web::secure(&parts)));
            with_cookie(body.into_response(), cookie)
        }
        Err(e @ crate::idm::IdmError::Unavailable(_)) => ApiError::from(e).into_response(),
        Err(_) => ApiError::Unauthenticated.into_response(),
    }
}

/// Signs out: ends the session server-side and clears the cookie (204 either way).
pub async fn delete_session(
    State(state): State<Arc<ControlState>>,
    parts: Parts,
) -> Result<Response, ApiError> {
    end(&state, &parts).await?;
    let clear = state.sessions.clear_cookie(web::secure(&parts));
    Ok(with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        Some(clear),
    ))
}

pub(crate) async fn end(state: &ControlState, parts: &Parts) -> Result<(), ApiError> {
    if let Some(token) = state.sessions.token_in(&parts.headers) {
        state.sessions.sign_out(token).await?;
    }
    Ok(())
}

/// `/.passgate/logout?rd=`: signs out, clears the cookie, then redirects to `rd` when it is
/// on a fronted host, else shows a page.
pub async fn logout(
    State(state): State<Arc<ControlState>>,
    Query(q): Query<HashMap<String, String>>,
    parts: Parts,
) -> Result<Response, ApiError> {
    end(&state, &parts).await?;
    let clear = state.sessions.clear_cookie(web::secure(&parts));
    let target = q
        .get("rd")
        .and_then(|rd| web::safe_redirect(&state.config, rd, &web::host(&parts)));
    let resp = match target {
        Some(to) => match HeaderValue::from_str(&to) {
            Ok(loc) => (StatusCode::FOUND, [(header::LOCATION, loc)]).into_response(),
            Err(_) => signed_out_page(),
        },
        None => signed_out_page(),
    };
    Ok(with_cookie(resp, Some(clear)))
}

pub(crate) fn signed_out_page() -> Response {
    let body = respond::page(
        "Signed out",
        "You are signed out. Close this window, or go to /.passgate/login to sign in again.",
    );
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}
