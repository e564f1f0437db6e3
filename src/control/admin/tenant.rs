//! `GET /v1/tenants/{tenant}`.

use axum::Json;
use serde_json::Value;

use super::extract::{Admin, Segments};
use crate::control::error::ApiError;
use crate::idm::realms::tenant_json;

pub async fn get(
    admin: Admin,
    Segments(tenant): Segments<String>,
) -> Result<Json<Value>, ApiError> {
    admin.allow(&tenant, None, "realms:read")?;
    Ok(Json(tenant_json(&tenant)))
}
