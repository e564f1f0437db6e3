//! `GET /.passgate/.well-known/openid-configuration`: the provider's metadata (OpenID
//! Connect Discovery 1.0, with RFC 8414 / 9207 / 7009 / 7662 fields).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::request::Parts;
use http::{header, HeaderValue};
use serde_json::{json, Value};

use crate::config::oidc::SUPPORTED_SCOPES;
use crate::config::Config;
use crate::control::state::ControlState;
use crate::idm::oidc::grants::issuer;

/// The discovery document for `config`.
pub fn document(config: &Config) -> Value {
    let iss = issuer(config);
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oidc/authorize"),
        "token_endpoint": format!("{iss}/oidc/token"),
        "userinfo_endpoint": format!("{iss}/oidc/userinfo"),
        "jwks_uri": format!("{iss}/jwks.json"),
        "end_session_endpoint": format!("{iss}/oidc/logout"),
        "revocation_endpoint": format!("{iss}/oidc/revoke"),
        "introspection_endpoint": format!("{iss}/oidc/introspect"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        "scopes_supported": SUPPORTED_SCOPES,
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr",
            "sid", "azp", "preferred_username", "name", "given_name", "family_name", "email",
            "email_verified", "groups"],
        "prompt_values_supported": ["none", "login"],
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    })
}

pub async fn discovery(State(state): State<Arc<ControlState>>, parts: Parts) -> Response {
    if let Err(e) = super::on_auth_host(&state, &parts) {
        return e.into_response();
    }
    let mut resp = Json(document(&state.config)).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    resp
}
