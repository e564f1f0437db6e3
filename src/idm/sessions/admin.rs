//! The admin API's view of sessions: list an identity's live sessions, end one or all
//! (audited as `session.revoke`).

use serde_json::{json, Value};

use super::SessionService;
use crate::idm::clock::rfc3339;
use crate::idm::{IdmError, Scope};
use crate::store::{RevokeTarget, SessionRecord};

impl SessionService {
    /// Admin API: the identity's live sessions.
    pub async fn list_sessions(&self, at: &Scope<'_>, identity: &str) -> Result<Value, IdmError> {
        let store = self.directory.store();
        store.get_identity(at.tenant, at.realm, identity).await?;
        let now = self.directory.now_us();
        let sessions = store.list_live_sessions(identity, now).await?;
        Ok(json!({
            "sessions": sessions.iter().map(session_json).collect::<Vec<_>>(),
            "total_size": sessions.len(),
        }))
    }

    /// Admin API: ends one session of the identity (`Some(id)`) or all of them; audited.
    pub async fn revoke_sessions(
        &self,
        at: &Scope<'_>,
        identity: &str,
        session: Option<&str>,
    ) -> Result<Value, IdmError> {
        let store = self.directory.store();
        store.get_identity(at.tenant, at.realm, identity).await?;
        let target = match session {
            Some(sid) => {
                let s = store.get_session(sid).await?;
                if s.identity_id != identity {
                    return Err(IdmError::NotFound("session".into()));
                }
                RevokeTarget::Session(sid.to_string())
            }
            None => RevokeTarget::Identity(identity.to_string()),
        };
        let targets = match &target {
            RevokeTarget::Session(sid) => vec![identity.to_string(), sid.clone()],
            _ => vec![identity.to_string()],
        };
        let audit = self
            .directory
            .audit(at.change("session.revoke", targets, None, None))?;
        let ended = self.revoke(&target, Some(&audit)).await?;
        Ok(json!({ "revoked_session_ids": ended }))
    }
}

/// A session as the admin API shows it.
pub fn session_json(s: &SessionRecord) -> Value {
    json!({
        "id": s.id,
        "identity_id": s.identity_id,
        "realm_id": s.realm_id,
        "tenant_id": s.tenant_id,
        "create_time": rfc3339(s.create_us),
        "expire_time": rfc3339(s.expire_us),
        "auth_time": rfc3339(s.auth_us),
        "last_seen_time": rfc3339(s.last_seen_us),
        "amr": serde_json::from_str::<Value>(&s.amr).unwrap_or(Value::Null),
        "credential_id": s.credential_id,
    })
}
