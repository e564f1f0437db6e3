//! `/.passgate/healthz` (the process answers) and `/.passgate/readyz` (it can serve:
//! configuration loaded; the store joins this check when it exists).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::state::ControlState;

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn readyz(State(state): State<Arc<ControlState>>) -> Json<Value> {
    Json(json!({
        "status": "ready",
        "routes": state.config.routes.len(),
    }))
}
