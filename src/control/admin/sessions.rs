//! `…/identities/{identity}/sessions`: list the live sessions (`GET`), end all of them
//! (`DELETE`), or one (`DELETE …/sessions/{session}`). Ends take effect on this instance's
//! next request and on every instance within about a second; each is audited.

use axum::Json;
use serde_json::Value;

use super::extract::{Admin, Segments};
use crate::control::error::ApiError;

type Reply = Result<Json<Value>, ApiError>;

pub async fn list(admin: Admin, Segments((t, r, id)): Segments<(String, String, String)>) -> Reply {
    let at = admin.in_realm(&t, &r, "identities:read")?;
    Ok(Json(admin.state.sessions.list_sessions(&at, &id).await?))
}

pub async fn revoke_all(
    admin: Admin,
    Segments((t, r, id)): Segments<(String, String, String)>,
) -> Reply {
    let at = admin.in_realm(&t, &r, "identities:write")?;
    Ok(Json(
        admin.state.sessions.revoke_sessions(&at, &id, None).await?,
    ))
}

pub async fn revoke_one(
    admin: Admin,
    Segments((t, r, id, sid)): Segments<(String, String, String, String)>,
) -> Reply {
    let at = admin.in_realm(&t, &r, "identities:write")?;
    Ok(Json(
        admin
            .state
            .sessions
            .revoke_sessions(&at, &id, Some(&sid))
            .await?,
    ))
}
