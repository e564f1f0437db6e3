//! `GET|POST /.passgate/oidc/userinfo` with `Authorization: Bearer <access token>`: the
//! user's claims for the granted scopes (RFC 6750 errors).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::request::Parts;

use super::error::{json_error, no_store};
use crate::control::admin::extract::bearer;
use crate::control::state::ControlState;
use crate::control::web;
use crate::idm::oidc::{OidcError, Provider};

pub async fn userinfo(State(state): State<Arc<ControlState>>, parts: Parts) -> Response {
    if let Err(e) = super::on_auth_host(&state, &parts) {
        return e.into_response();
    }
    let ip = web::client_ip(&state.config, &parts);
    if let Err(e) = state.limits.check_oidc(ip, state.now_secs()).await {
        return e.into_response();
    }
    let Some(token) = bearer(&parts) else {
        return json_error(&OidcError::InvalidToken("no bearer token".into()));
    };
    let provider = Provider::new(&state.directory, state.sessions.oidc_keys(), &state.config);
    match provider.userinfo(token).await {
        Ok(v) => no_store(Json(v).into_response()),
        Err(e) => {
            state.limits.oidc_failed(ip, state.now_secs()).await;
            provider.audit_refusal(None, "userinfo", &e).await;
            json_error(&e)
        }
    }
}
