//! The OpenID Connect provider's endpoints, on the auth host only (issuer
//! `{public_url}/.passgate`): discovery, authorize, token, userinfo, logout, revocation and
//! introspection. Keys are published in `/.passgate/jwks.json` beside the session keys.
//! Handlers are thin: parameters in, `idm::oidc::Provider` call, answer out; refusals
//! become HTTP in `error.rs`.

mod authorize;
pub mod discovery;
pub mod error;
mod logout;
mod params;
mod token;
mod userinfo;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use http::request::Parts;

use super::admin::extract::request_host;
use super::error::ApiError;
use super::state::ControlState;

pub fn router() -> Router<Arc<ControlState>> {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::discovery),
        )
        .route("/oidc/authorize", get(authorize::authorize))
        .route("/oidc/token", axum::routing::post(token::token))
        .route(
            "/oidc/userinfo",
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route("/oidc/logout", get(logout::logout).post(logout::logout))
        .route("/oidc/revoke", axum::routing::post(token::revoke))
        .route("/oidc/introspect", axum::routing::post(token::introspect))
}

/// The provider answers on the auth host only (elsewhere: the usual 404).
fn on_auth_host(state: &ControlState, parts: &Parts) -> Result<(), ApiError> {
    if request_host(parts).as_deref() == Some(state.config.auth_host.as_str()) {
        Ok(())
    } else {
        Err(ApiError::NotFound("no such passgate endpoint".into()))
    }
}
