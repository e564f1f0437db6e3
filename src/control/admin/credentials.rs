//! Passkeys in the admin API: `…/identities/{id}/credentials`, `…/credentials/{id}` and
//! `…/credentials/{id}:revoke`.

use axum::Json;
use serde_json::Value;

use super::extract::{split_action, Admin, ListParams, Segments};
use super::identities::no_such_method;
use crate::control::error::ApiError;

type Reply = Result<Json<Value>, ApiError>;
type ItemPath = Segments<(String, String, String)>;

pub async fn list(admin: Admin, Segments((t, r, identity)): ItemPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, "credentials:read")?;
    Ok(Json(
        admin
            .state
            .directory
            .list_identity_credentials(&at, &identity, q.page_size(), q.page_token())
            .await?,
    ))
}

pub async fn get(admin: Admin, Segments((t, r, seg)): ItemPath) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(no_such_method());
    };
    let at = admin.in_realm(&t, &r, "credentials:read")?;
    Ok(Json(admin.state.directory.get_credential(&at, id).await?))
}

pub async fn action(admin: Admin, Segments((t, r, seg)): ItemPath) -> Reply {
    let (id, Some("revoke")) = split_action(&seg) else {
        return Err(no_such_method());
    };
    let at = admin.in_realm(&t, &r, "credentials:write")?;
    let revoked = admin.state.directory.revoke_credential(&at, id).await?;
    // Sessions started with the passkey end too (here at once, elsewhere within a second).
    let target = crate::store::RevokeTarget::Credential(id.to_string());
    admin.state.sessions.revoke(&target, None).await?;
    Ok(Json(revoked))
}
