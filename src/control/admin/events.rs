//! `GET …/realms/{realm}/events`: the realm's audit log, oldest first, paged.

use axum::Json;
use serde_json::Value;

use super::extract::{Admin, ListParams, Segments};
use crate::control::error::ApiError;

pub async fn list(
    admin: Admin,
    Segments((t, r)): Segments<(String, String)>,
    q: ListParams,
) -> Result<Json<Value>, ApiError> {
    admin.allow(&t, Some(&r), "events:read")?;
    let dir = &admin.state.directory;
    Ok(Json(
        dir.list_events(&t, &r, q.page_size(), q.page_token())
            .await?,
    ))
}
