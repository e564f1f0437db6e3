//! `/v1/tenants/{tenant}/realms[/{realm}]`: list, create, get, patch, delete.

use axum::Json;
use serde_json::{json, Value};

use super::extract::{Admin, JsonBody, ListParams, Segments};
use crate::control::error::ApiError;

type Reply = Result<Json<Value>, ApiError>;

pub async fn list(admin: Admin, Segments(tenant): Segments<String>, q: ListParams) -> Reply {
    admin.allow(&tenant, None, "realms:read")?;
    let dir = &admin.state.directory;
    Ok(Json(
        dir.list_realms(&tenant, q.page_size(), q.page_token())
            .await?,
    ))
}

pub async fn create(
    admin: Admin,
    Segments(tenant): Segments<String>,
    JsonBody(body): JsonBody,
) -> Reply {
    admin.allow(&tenant, None, "realms:write")?;
    let host = &admin.state.config.auth_host;
    let realm = admin
        .state
        .directory
        .create_realm(&tenant, &admin.actor, host, body)
        .await?;
    Ok(Json(realm))
}

pub async fn get(admin: Admin, Segments((tenant, realm)): Segments<(String, String)>) -> Reply {
    admin.allow(&tenant, Some(&realm), "realms:read")?;
    Ok(Json(
        admin.state.directory.get_realm(&tenant, &realm).await?,
    ))
}

pub async fn patch(
    admin: Admin,
    Segments((tenant, realm)): Segments<(String, String)>,
    JsonBody(body): JsonBody,
) -> Reply {
    admin.allow(&tenant, Some(&realm), "realms:write")?;
    let host = &admin.state.config.auth_host;
    let updated = admin
        .state
        .directory
        .patch_realm(&tenant, &realm, &admin.actor, host, body)
        .await?;
    Ok(Json(updated))
}

pub async fn delete(admin: Admin, Segments((tenant, realm)): Segments<(String, String)>) -> Reply {
    admin.allow(&tenant, None, "realms:write")?;
    admin
        .state
        .directory
        .delete_realm(&tenant, &realm, &admin.actor)
        .await?;
    Ok(Json(json!({})))
}
