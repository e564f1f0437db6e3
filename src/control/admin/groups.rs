//! `…/realms/{realm}/groups`: list, create, and per group get, patch, delete,
//! `:addMembers`, `:deleteMembers`, `:listMembers`.

use axum::Json;
use serde_json::{json, Value};

use super::extract::{split_action, Admin, JsonBody, ListParams, Segments};
use super::identities::no_such_method;
use crate::control::error::ApiError;

type Reply = Result<Json<Value>, ApiError>;
type RealmPath = Segments<(String, String)>;
type ItemPath = Segments<(String, String, String)>;

pub async fn list(admin: Admin, Segments((t, r)): RealmPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, "groups:read")?;
    let dir = &admin.state.directory;
    Ok(Json(
        dir.list_groups(&at, q.page_size(), q.page_token()).await?,
    ))
}

pub async fn create(admin: Admin, Segments((t, r)): RealmPath, JsonBody(body): JsonBody) -> Reply {
    let at = admin.in_realm(&t, &r, "groups:write")?;
    Ok(Json(admin.state.directory.create_group(&at, body).await?))
}

pub async fn get(admin: Admin, Segments((t, r, seg)): ItemPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, "groups:read")?;
    let dir = &admin.state.directory;
    match split_action(&seg) {
        (id, None) => Ok(Json(dir.get_group(&at, id).await?)),
        (id, Some("listMembers")) => Ok(Json(
            dir.list_members(&at, id, q.page_size(), q.page_token())
                .await?,
        )),
        _ => Err(no_such_method()),
    }
}

pub async fn patch(
    admin: Admin,
    Segments((t, r, seg)): ItemPath,
    JsonBody(body): JsonBody,
) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(no_such_method());
    };
    let at = admin.in_realm(&t, &r, "groups:write")?;
    Ok(Json(
        admin.state.directory.patch_group(&at, id, body).await?,
    ))
}

pub async fn delete(admin: Admin, Segments((t, r, seg)): ItemPath) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(no_such_method());
    };
    let at = admin.in_realm(&t, &r, "groups:write")?;
    admin.state.directory.delete_group(&at, id).await?;
    Ok(Json(json!({})))
}

/// `POST …/groups/{id}:addMembers` and `:deleteMembers`.
pub async fn action(
    admin: Admin,
    Segments((t, r, seg)): ItemPath,
    JsonBody(body): JsonBody,
) -> Reply {
    let (id, add) = match split_action(&seg) {
        (id, Some("addMembers")) => (id, true),
        (id, Some("deleteMembers")) => (id, false),
        _ => return Err(no_such_method()),
    };
    let at = admin.in_realm(&t, &r, "groups:write")?;
    Ok(Json(
        admin
            .state
            .directory
            .change_members(&at, id, add, body)
            .await?,
    ))
}
