//! `…/identities/{identity}/sessions`: list the live sessions (`GET`), end all of them
//! (`DELETE`), or one (`DELETE …/sessions/{session}`). Ends take effect on this instance's
//! next request and on every instance within about a second; each is audited.

use serde_json::json;

use super::extract::{Admin, Segments};
use super::reply::{ok, Reply};
use crate::idm::tokens::{Action, Family};
use crate::idm::views;

type IdentityPath = Segments<(String, String, String)>;

pub async fn list(admin: Admin, Segments((t, r, id)): IdentityPath) -> Reply {
    let at = admin.in_realm(&t, &r, Family::Identities, Action::Read)?;
    let sessions = admin.state.sessions.list_sessions(&at, &id).await?;
    let list: Vec<_> = sessions.iter().map(views::session).collect();
    ok(json!({"sessions": list, "total_size": list.len()}))
}

pub async fn revoke_all(admin: Admin, Segments((t, r, id)): IdentityPath) -> Reply {
    let at = admin.in_realm(&t, &r, Family::Identities, Action::Update)?;
    let ended = admin.state.sessions.revoke_sessions(&at, &id, None).await?;
    ok(json!({ "revoked_session_ids": ended }))
}

pub async fn revoke_one(
    admin: Admin,
    Segments((t, r, id, sid)): Segments<(String, String, String, String)>,
) -> Reply {
    let at = admin.in_realm(&t, &r, Family::Identities, Action::Update)?;
    let ended = admin
        .state
        .sessions
        .revoke_sessions(&at, &id, Some(&sid))
        .await?;
    ok(json!({ "revoked_session_ids": ended }))
}
