//! `GET|POST /.passgate/oidc/logout` (query or form): RP-initiated logout. `id_token_hint` (one of our ID
//! tokens: signature checked with its key's one algorithm) and/or `client_id` name the
//! client; `post_logout_redirect_uri` must be exactly one of that client's, else the
//! request is refused with `invalid_request` and nobody is redirected. The passgate session
//! ends (so do the client's tokens, which are tied to it) and the cookie is cleared.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, HeaderValue};

use super::error::{json_error, redirect_with};
use super::params::{form_params, query_params};
use crate::control::session_api;
use crate::control::state::ControlState;
use crate::control::web;
use crate::idm::oidc::{OidcError, Provider};

pub async fn logout(
    State(state): State<Arc<ControlState>>,
    parts: Parts,
    body: bytes::Bytes,
) -> Response {
    if let Err(e) = super::on_auth_host(&state, &parts) {
        return e.into_response();
    }
    let ip = web::client_ip(&state.config, &parts);
    if let Err(e) = state.limits.check_oidc(ip, state.now_secs()).await {
        return e.into_response();
    }
    let provider = Provider::new(&state.directory, state.sessions.oidc_keys(), &state.config);
    let refused = async |e: OidcError| {
        state.limits.oidc_failed(ip, state.now_secs()).await;
        json_error(&e)
    };
    let params = if parts.method == http::Method::POST {
        form_params(&parts.headers, &body)
    } else {
        query_params(parts.uri.query())
    };
    let params = match params {
        Ok(p) => p,
        Err(e) => return refused(e).await,
    };
    let get = |k: &str| params.get(k).map(String::as_str);
    let hinted = match get("id_token_hint").map(|h| provider.check_id_token_hint(h)) {
        None => None,
        Some(Ok((aud, _sid))) => Some(aud),
        Some(Err(e)) => {
            provider.audit_refusal(get("client_id"), "logout", &e).await;
            return refused(e).await;
        }
    };
    let client_id = match (get("client_id"), hinted.as_deref()) {
        (Some(c), Some(a)) if c != a => {
            return refused(OidcError::InvalidRequest(
                "client_id is not the audience of id_token_hint".into(),
            ))
            .await
        }
        (Some(c), _) => Some(c.to_string()),
        (None, a) => a.map(str::to_string),
    };
    let client = client_id
        .as_deref()
        .and_then(|c| state.config.oidc.client(c));
    let target = match (get("post_logout_redirect_uri"), client) {
        (None, _) => None,
        (Some(uri), Some(c)) if c.post_logout_redirect_uris.iter().any(|u| u == uri) => {
            Some(uri.to_string())
        }
        (Some(_), _) => {
            let e = OidcError::InvalidRequest(
                "post_logout_redirect_uri is not registered for this client".into(),
            );
            provider
                .audit_refusal(client_id.as_deref(), "logout", &e)
                .await;
            return refused(e).await;
        }
    };
    if let Err(e) = session_api::end(&state, &parts).await {
        return e.into_response();
    }
    let clear = state.sessions.clear_cookie(web::secure(&parts));
    let mut resp = match target {
        Some(uri) => {
            let mut params = Vec::new();
            if let Some(s) = get("state") {
                params.push(("state", s));
            }
            redirect_with(&uri, &params)
        }
        None => session_api::signed_out_page(),
    };
    if let Ok(v) = HeaderValue::from_str(&clear) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
