//! Sign-in over HTTP: the hosted page `/.passgate/login?rd=` and the JSON API
//! `/.passgate/api/v1/authenticate/begin|finish`. Thin: extract → `idm::signin_ceremony`
//! → start the session → cookie and `{"identity", "redirect"}` (`rd` only to a fronted
//! host, else the default `/`).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::state::ControlState;
use super::{pages, web};
use crate::idm::identities::{identity_json, USERNAME_MAX};
use crate::idm::IdmError;

type Shared = State<Arc<ControlState>>;

/// Where a sign-in without a usable `rd` lands.
pub const DEFAULT_REDIRECT: &str = "/";

/// `GET /.passgate/login?rd=`.
pub async fn page(State(state): Shared, parts: Parts) -> Response {
    let realm_id = web::realm_for(&state.config, &web::host(&parts));
    let realm = match state
        .directory
        .store()
        .get_realm(&state.config.tenant_id, &realm_id)
        .await
    {
        Ok(r) => r.display_name,
        Err(_) => realm_id,
    };
    pages::html(
        StatusCode::OK,
        pages::render(pages::LOGIN_HTML, &[("realm", &realm)]),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BeginBody {
    #[serde(default)]
    username: Option<String>,
}

/// `POST /.passgate/api/v1/authenticate/begin {}` or `{"username"}`.
pub async fn begin(State(state): Shared, parts: Parts, body: Bytes) -> Result<Response, ApiError> {
    let b: BeginBody = web::json_body(&parts.headers, &body)?;
    let ip = web::client_ip(&state.config, &parts);
    state.limits.check_ceremony(ip, state.now_secs())?;
    if let Some(u) = b.username.as_deref() {
        if u.trim().len() > USERNAME_MAX {
            return Err(ApiError::InvalidField {
                field: "username".into(),
                message: "is too long".into(),
            });
        }
        state.limits.check_username(u, state.now_secs())?;
    }
    let realm = web::realm_for(&state.config, &web::host(&parts));
    let out = state
        .directory
        .begin_sign_in(
            &state.config,
            &state.config.tenant_id,
            &realm,
            b.username.as_deref(),
        )
        .await?;
    Ok(no_store(Json(out).into_response()))
}

#[derive(Deserialize)]
struct FinishBody {
    ceremony: String,
    credential: Value,
    #[serde(default)]
    rd: Option<String>,
}

/// `POST /.passgate/api/v1/authenticate/finish {"ceremony", "credential", "rd"}`.
pub async fn finish(State(state): Shared, parts: Parts, body: Bytes) -> Result<Response, ApiError> {
    let b: FinishBody = web::json_body(&parts.headers, &body)?;
    let ip = web::client_ip(&state.config, &parts);
    state.limits.check_ceremony(ip, state.now_secs())?;
    let outcome = match state
        .directory
        .finish_sign_in(&state.config, &b.ceremony, b.credential)
        .await
    {
        Ok(o) => o,
        Err(e) => {
            // The client's failure counts, not the store's.
            if !matches!(e, IdmError::Unavailable(_) | IdmError::Internal(_)) {
                state.limits.failed(ip, state.now_secs());
            }
            return Err(e.into());
        }
    };
    let issued = state
        .sessions
        .start(
            &outcome.identity,
            &["hwk", "user"],
            Some(&outcome.credential.id),
        )
        .await?;
    let host = web::host(&parts);
    let redirect =
        b.rd.as_deref()
            .and_then(|rd| web::safe_redirect(&state.config, rd, &host))
            .unwrap_or_else(|| DEFAULT_REDIRECT.to_string());
    let mut resp = Json(json!({
        "identity": identity_json(&outcome.identity),
        "redirect": redirect,
    }))
    .into_response();
    let cookie = state.sessions.set_cookie(&issued, web::secure(&parts));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(no_store(resp))
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
