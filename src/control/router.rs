//! The URL map of `/.passgate/*`. Unknown paths get a JSON 404 in the standard error shape.

use std::sync::Arc;

use axum::routing::{get, patch, post};
use axum::Router;

use super::error::ApiError;
use super::state::ControlState;
use super::{
    admin, bind, console, cors, cross_site, health, pages, sdk, self_service, session_api, signin,
    verify,
};

pub fn build(state: Arc<ControlState>) -> Router {
    let api = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/v1/openapi.json", get(super::openapi::serve))
        .route("/jwks.json", get(session_api::jwks))
        .route("/verify", get(verify::verify))
        .route(
            "/api/v1/session",
            get(session_api::get_session).delete(session_api::delete_session),
        )
        .route(
            "/logout",
            get(session_api::logout).post(session_api::logout),
        )
        .route("/assets/{name}", get(pages::asset))
        .route("/sdk.js", get(sdk::js))
        .route("/sdk.d.ts", get(sdk::dts))
        .route("/sdk/{version}/{name}", get(sdk::versioned))
        .route("/bind", get(bind::page))
        .route("/login", get(signin::page))
        .route("/api/v1/authenticate/begin", post(signin::begin))
        .route("/api/v1/authenticate/finish", post(signin::finish))
        .route(
            "/recover",
            get(self_service::recover_page).post(self_service::recover_form),
        )
        .route("/api/v1/recover", post(self_service::recover_api))
        .route("/passkeys", get(self_service::passkeys_page))
        .route("/api/v1/passkeys", get(self_service::list))
        .route("/api/v1/passkeys/link", post(self_service::add_link))
        .route(
            "/api/v1/passkeys/{id}",
            patch(self_service::rename).delete(self_service::remove),
        )
        .route("/api/v1/bind/begin", post(bind::begin))
        .route("/api/v1/bind/finish", post(bind::finish))
        .merge(admin::router(state.config.server.control_body_limit))
        // The admin console (its own module; see `console`).
        .merge(console::router())
        // The OpenID Connect provider (auth host only).
        .merge(super::oidc::router())
        .merge(super::scim::router(state.config.server.control_body_limit));
    Router::new()
        .nest("/.passgate", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.config.clone(),
            cross_site::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.config.clone(),
            cors::cors,
        ))
        .with_state(state)
}

/// A method no handler of the route takes: axum adds `Allow` with the route's methods.
async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed { allow: None }
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such passgate endpoint".into())
}
