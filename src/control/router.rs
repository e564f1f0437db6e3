//! The URL map of `/.passgate/*`. Unknown paths get a JSON 404 in the standard error shape.

use std::sync::Arc;

use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use super::health;
use super::state::ControlState;

pub fn build(state: Arc<ControlState>) -> Router {
    let api = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    Router::new()
        .nest("/.passgate", api)
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such passgate endpoint".into())
}
