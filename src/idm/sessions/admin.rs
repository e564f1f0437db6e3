//! The admin API's operations on sessions: list an identity's live sessions, end one or
//! all (audited as `session.revoke`).

use super::SessionService;
use crate::idm::types::Resource;
use crate::idm::{Context, IdmError};
use crate::store::{RevokeTarget, SessionRecord};

impl SessionService {
    /// The identity's live sessions, oldest first.
    pub async fn list_sessions(
        &self,
        at: &Context<'_>,
        identity: &str,
    ) -> Result<Vec<SessionRecord>, IdmError> {
        self.directory.identity(at, identity).await?;
        let now = self.directory.now_us();
        Ok(self
            .directory
            .store()
            .list_live_sessions(identity, now)
            .await?)
    }

    /// Ends one session of the identity (`Some(id)`) or all of them; audited. Returns the
    /// ids of the sessions ended.
    pub async fn revoke_sessions(
        &self,
        at: &Context<'_>,
        identity: &str,
        session: Option<&str>,
    ) -> Result<Vec<String>, IdmError> {
        self.directory.identity(at, identity).await?;
        let store = self.directory.store();
        let target = match session {
            Some(sid) => {
                let not_found = || IdmError::not_found(Resource::Session, sid);
                let s = store.get_session(sid).await.map_err(|_| not_found())?;
                if s.identity_id != identity {
                    return Err(not_found());
                }
                RevokeTarget::Session(sid.to_string())
            }
            None => RevokeTarget::Identity(identity.to_string()),
        };
        let targets = match &target {
            RevokeTarget::Session(sid) => vec![identity.to_string(), sid.clone()],
            _ => vec![identity.to_string()],
        };
        let audit = self.directory.audit(at.change("session.revoke", targets))?;
        self.revoke(&target, Some(&audit)).await
    }
}
