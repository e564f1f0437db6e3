//! `…/identities/{id|-}/credential-binding-jobs` (create, list, get, `:revoke`) and
//! `…/batch-credential-binding-jobs` (create, get).

use axum::Json;
use serde_json::Value;

use super::extract::{split_action, Admin, JsonBody, ListParams, Segments};
use super::identities::no_such_method;
use crate::control::error::ApiError;

type Reply = Result<Json<Value>, ApiError>;
type IdentityPath = Segments<(String, String, String)>;
type JobPath = Segments<(String, String, String, String)>;
type RealmPath = Segments<(String, String)>;
type BatchPath = Segments<(String, String, String)>;

const READ: &str = "credential-binding-jobs:read";
const WRITE: &str = "credential-binding-jobs:write";

pub async fn create(
    admin: Admin,
    Segments((t, r, id)): IdentityPath,
    JsonBody(body): JsonBody,
) -> Reply {
    let at = admin.in_realm(&t, &r, WRITE)?;
    let s = &admin.state;
    Ok(Json(
        s.directory
            .create_binding_job(&at, &s.config, s.mailer.as_deref(), &id, body)
            .await?,
    ))
}

pub async fn list(admin: Admin, Segments((t, r, id)): IdentityPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, READ)?;
    Ok(Json(
        admin
            .state
            .directory
            .list_binding_jobs(
                &at,
                &id,
                q.get("state"),
                q.get("delivery_method"),
                q.page_size(),
                q.page_token(),
            )
            .await?,
    ))
}

pub async fn get(admin: Admin, Segments((t, r, id, job)): JobPath) -> Reply {
    let (job, None) = split_action(&job) else {
        return Err(no_such_method());
    };
    let at = admin.in_realm(&t, &r, READ)?;
    Ok(Json(
        admin.state.directory.get_binding_job(&at, &id, job).await?,
    ))
}

pub async fn action(admin: Admin, Segments((t, r, id, job)): JobPath) -> Reply {
    let (job, Some("revoke")) = split_action(&job) else {
        return Err(no_such_method());
    };
    let at = admin.in_realm(&t, &r, WRITE)?;
    Ok(Json(
        admin
            .state
            .directory
            .revoke_binding_job(&at, &id, job)
            .await?,
    ))
}

pub async fn create_batch(
    admin: Admin,
    Segments((t, r)): RealmPath,
    JsonBody(body): JsonBody,
) -> Reply {
    let at = admin.in_realm(&t, &r, WRITE)?;
    let s = &admin.state;
    Ok(Json(
        s.directory
            .create_batch_binding_jobs(&at, &s.config, s.mailer.as_deref(), body)
            .await?,
    ))
}

pub async fn get_batch(admin: Admin, Segments((t, r, id)): BatchPath) -> Reply {
    let at = admin.in_realm(&t, &r, READ)?;
    Ok(Json(
        admin
            .state
            .directory
            .get_batch_binding_job(&at, &id)
            .await?,
    ))
}
