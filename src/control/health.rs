//! `/.passgate/healthz` (the process answers) and `/.passgate/readyz` (it can serve: the
//! configuration is loaded and the store answers a query; 503 otherwise).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::error::ApiError;
use super::state::ControlState;

/// How long `/readyz` waits for the store.
const STORE_PING_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn readyz(State(state): State<Arc<ControlState>>) -> Result<Json<Value>, ApiError> {
    let store = state.directory.store();
    match tokio::time::timeout(STORE_PING_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => Ok(Json(json!({
            "status": "ready",
            "routes": state.config.routes.len(),
            "store": store.backend(),
        }))),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the store is unreachable");
            Err(ApiError::Unavailable("the store is unreachable".into()))
        }
        Err(_) => {
            tracing::warn!("readiness: the store did not answer in time");
            Err(ApiError::Unavailable(
                "the store did not answer in time".into(),
            ))
        }
    }
}
