//! The URL map of `/.passgate/*`. Unknown paths get a JSON 404 in the standard error shape.

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use super::error::ApiError;
use super::state::ControlState;
use super::{admin, bind, health, pages, session_api, verify};

pub fn build(state: Arc<ControlState>) -> Router {
    let api = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
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
        .route("/bind", get(bind::page))
        .route("/api/v1/bind/begin", post(bind::begin))
        .route("/api/v1/bind/finish", post(bind::finish))
        .merge(admin::router(state.config.server.control_body_limit));
    Router::new()
        .nest("/.passgate", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such passgate endpoint".into())
}
