//! The URL map of `/.passgate/*`. Unknown paths get a JSON 404 in the standard error shape.

use std::sync::Arc;

use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use super::state::ControlState;
use super::{admin, health};

pub fn build(state: Arc<ControlState>) -> Router {
    let api = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
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
