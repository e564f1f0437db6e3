//! `POST /.passgate/oidc/token` (authorization code and refresh token grants),
//! `/oidc/revoke` (RFC 7009) and `/oidc/introspect` (RFC 7662, confidential clients), and
//! client authentication for all three: each client by the one method it is registered
//! with (`client_secret_basic`, `client_secret_post` or `none`), anything else is
//! `invalid_client`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use http::request::Parts;
use http::StatusCode;
use serde_json::json;

use super::error::{json_error, no_store};
use super::params::form_params;
use crate::config::oidc::{OidcClient, TokenAuthMethod};
use crate::control::state::ControlState;
use crate::control::web;
use crate::idm::oidc::{OidcError, Provider};

fn pct(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The client the request authenticates as.
fn client_auth(
    state: &ControlState,
    parts: &Parts,
    form: &HashMap<String, String>,
) -> Result<Arc<OidcClient>, OidcError> {
    let fail = || OidcError::InvalidClient("client authentication failed".into());
    let basic = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, b)| b.trim().to_string());
    if let Some(b) = basic {
        if form.contains_key("client_secret") {
            return Err(OidcError::InvalidRequest(
                "use one client authentication method, not two".into(),
            ));
        }
        let decoded = STANDARD.decode(b).map_err(|_| fail())?;
        let decoded = String::from_utf8(decoded).map_err(|_| fail())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(fail)?;
        let (id, secret) = (pct(id), pct(secret));
        if form.get("client_id").is_some_and(|c| *c != id) {
            return Err(fail());
        }
        let client = state.config.oidc.client(&id).ok_or_else(fail)?;
        let ok = client.auth_method == TokenAuthMethod::ClientSecretBasic
            && client.secret.as_ref().is_some_and(|s| s.matches(&secret));
        return if ok { Ok(client.clone()) } else { Err(fail()) };
    }
    let id = form.get("client_id").ok_or_else(fail)?;
    let client = state.config.oidc.client(id).ok_or_else(fail)?;
    match (client.auth_method, form.get("client_secret")) {
        (TokenAuthMethod::ClientSecretPost, Some(secret))
            if client.secret.as_ref().is_some_and(|s| s.matches(secret)) =>
        {
            Ok(client.clone())
        }
        (TokenAuthMethod::None, None) => Ok(client.clone()),
        _ => Err(fail()),
    }
}

/// The common start: auth host, rate limit, form, client.
async fn begin(
    state: &ControlState,
    parts: &Parts,
    body: &[u8],
    what: &str,
) -> Result<(HashMap<String, String>, Arc<OidcClient>), Response> {
    super::on_auth_host(state, parts).map_err(IntoResponse::into_response)?;
    let ip = web::client_ip(&state.config, parts);
    state
        .limits
        .check_oidc(ip, state.now_secs())
        .await
        .map_err(IntoResponse::into_response)?;
    let provider = Provider::new(&state.directory, state.sessions.oidc_keys(), &state.config);
    let form = match form_params(&parts.headers, body) {
        Ok(f) => f,
        Err(e) => {
            // No client is known yet: counted against the address, audited tenant-wide.
            state.limits.oidc_failed(ip, state.now_secs()).await;
            provider.audit_refusal(None, what, &e).await;
            return Err(json_error(&e));
        }
    };
    match client_auth(state, parts, &form) {
        Ok(c) => Ok((form, c)),
        Err(e) => {
            state.limits.oidc_failed(ip, state.now_secs()).await;
            provider
                .audit_refusal(form.get("client_id").map(String::as_str), what, &e)
                .await;
            Err(json_error(&e))
        }
    }
}

pub async fn token(State(state): State<Arc<ControlState>>, parts: Parts, body: Bytes) -> Response {
    let (form, client) = match begin(&state, &parts, &body, "token").await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let provider = Provider::new(&state.directory, state.sessions.oidc_keys(), &state.config);
    let get = |k: &str| form.get(k).map(String::as_str);
    let result = match get("grant_type") {
        Some("authorization_code") => match get("code") {
            Some(code) => {
                provider
                    .exchange_code(&client, code, get("redirect_uri"), get("code_verifier"))
                    .await
            }
            None => Err(OidcError::InvalidRequest("code is missing".into())),
        },
        Some("refresh_token") => match get("refresh_token") {
            Some(r) => provider.refresh(&client, r).await,
            None => Err(OidcError::InvalidRequest("refresh_token is missing".into())),
        },
        Some(other) => Err(OidcError::UnsupportedGrantType(format!(
            "\"{other}\" is not supported"
        ))),
        None => Err(OidcError::InvalidRequest("grant_type is missing".into())),
    };
    match result {
        Ok(t) => {
            let mut body = json!({
                "access_token": t.access_token,
                "token_type": "Bearer",
                "expires_in": t.expires_in,
                "id_token": t.id_token,
                "scope": t.scope,
            });
            if let Some(r) = t.refresh_token {
                body["refresh_token"] = json!(r);
            }
            no_store(Json(body).into_response())
        }
        Err(e) => {
            let ip = web::client_ip(&state.config, &parts);
            state.limits.oidc_failed(ip, state.now_secs()).await;
            provider.audit_refusal(Some(&client.id), "token", &e).await;
            json_error(&e)
        }
    }
}

pub async fn revoke(State(state): State<Arc<ControlState>>, parts: Parts, body: Bytes) -> Response {
    let (form, client) = match begin(&state, &parts, &body, "revoke").await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(token) = form.get("token") else {
        return json_error(&OidcError::InvalidRequest("token is missing".into()));
    };
    let provider = Provider::new(&state.directory, state.sessions.oidc_keys(), &state.config);
    match provider.revoke(&client, token).await {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => json_error(&e),
    }
}

pub async fn introspect(
    State(state): State<Arc<ControlState>>,
    parts: Parts,
    body: Bytes,
) -> Response {
    let (form, client) = match begin(&state, &parts, &body, "introspect").await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    if !client.is_confidential() {
        return json_error(&OidcError::InvalidClient(
            "introspection is for confidential clients".into(),
        ));
    }
    let Some(token) = form.get("token") else {
        return json_error(&OidcError::InvalidRequest("token is missing".into()));
    };
    let provider = Provider::new(&state.directory, state.sessions.oidc_keys(), &state.config);
    match provider.introspect(&client, token).await {
        Ok(v) => no_store(Json(v).into_response()),
        Err(e) => json_error(&e),
    }
}
