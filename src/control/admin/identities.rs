//! `…/realms/{realm}/identities`: list, create, `:batchDelete`, and per identity get,
//! patch, delete and `:listGroups`.

use axum::Json;
use serde_json::{json, Value};

use super::extract::{split_action, Admin, JsonBody, ListParams, Segments};
use crate::control::error::ApiError;

type Reply = Result<Json<Value>, ApiError>;
type RealmPath = Segments<(String, String)>;
type ItemPath = Segments<(String, String, String)>;

pub async fn list(admin: Admin, Segments((t, r)): RealmPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, "identities:read")?;
    let dir = &admin.state.directory;
    Ok(Json(
        dir.list_identities(&at, q.page_size(), q.page_token(), q.filter())
            .await?,
    ))
}

pub async fn create(admin: Admin, Segments((t, r)): RealmPath, JsonBody(body): JsonBody) -> Reply {
    let at = admin.in_realm(&t, &r, "identities:write")?;
    Ok(Json(
        admin.state.directory.create_identity(&at, body).await?,
    ))
}

pub async fn batch_delete(
    admin: Admin,
    Segments((t, r)): RealmPath,
    JsonBody(body): JsonBody,
) -> Reply {
    let at = admin.in_realm(&t, &r, "identities:write")?;
    admin
        .state
        .directory
        .batch_delete_identities(&at, body)
        .await?;
    Ok(Json(json!({})))
}

pub async fn get(admin: Admin, Segments((t, r, seg)): ItemPath, q: ListParams) -> Reply {
    let dir = &admin.state.directory;
    match split_action(&seg) {
        (id, None) => {
            let at = admin.in_realm(&t, &r, "identities:read")?;
            Ok(Json(dir.get_identity(&at, id).await?))
        }
        (id, Some("listGroups")) => {
            let at = admin.in_realm(&t, &r, "groups:read")?;
            Ok(Json(
                dir.list_identity_groups(&at, id, q.page_size(), q.page_token())
                    .await?,
            ))
        }
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
    let at = admin.in_realm(&t, &r, "identities:write")?;
    Ok(Json(
        admin.state.directory.patch_identity(&at, id, body).await?,
    ))
}

pub async fn delete(admin: Admin, Segments((t, r, seg)): ItemPath) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(no_such_method());
    };
    let at = admin.in_realm(&t, &r, "identities:write")?;
    admin.state.directory.delete_identity(&at, id).await?;
    Ok(Json(json!({})))
}

pub(super) fn no_such_method() -> ApiError {
    ApiError::NotFound("no such passgate endpoint".into())
}
