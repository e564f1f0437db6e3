//! Re-issuing tokens: an expired token whose session still stands gets a new one (one
//! store read per session per token lifetime, shared by concurrent refreshes), signed with
//! the identity's current groups and email.

use std::sync::Arc;
use std::time::Duration;

use super::{secs, us, IssuedSession, RefreshDenied, SessionService, GROUPS_MAX};
use crate::idm::types::CredentialState;
use crate::idm::IdmError;
use crate::session::claims::SessionClaims;
use crate::session::token;
use crate::session::Principal;
use crate::store::{IdentityRecord, PageRequest, SessionRecord, StoreError};

impl SessionService {
    /// Re-issues an expired token whose session is still valid: signature, issuer and `kid`
    /// checked as always; the session must be neither revoked nor past its absolute end or
    /// idle timeout; the identity must be active and the passkey it began with not revoked. Groups and email are read afresh. The new
    /// token is put in the cache.
    pub async fn refresh(&self, expired: &str) -> Result<Arc<IssuedSession>, RefreshDenied> {
        let now = self.directory.now_us();
        let claims = {
            let params = self.params.load();
            params
                .verifier
                .verify_signed(&self.keys.load(), expired, secs(now))?
        };
        if claims.exp > secs(now) {
            return Err(RefreshDenied::NotExpired);
        }
        let old = Principal::from_claims(&claims);
        if self.cache.is_revoked(&old) {
            return Err(RefreshDenied::Ended("revoked"));
        }
        let sid = claims.sid.clone();
        if let Some(reason) = self.ended.get(&sid) {
            return Err(RefreshDenied::Ended(reason));
        }
        if let Some(cached) = self.reissued.get(&sid).await {
            // Time here is the clock's, not the cache's: drop a re-issue that has expired.
            if cached.principal.expires_at <= secs(now) {
                self.reissued.invalidate(&sid).await;
            }
        }
        let issued = match self
            .reissued
            .try_get_with(sid.clone(), self.reissue(claims, now))
            .await
        {
            Ok(i) => i,
            Err(e) => {
                if let RefreshDenied::Ended(reason) = &*e {
                    self.ended.insert(sid, reason);
                }
                return Err((*e).clone());
            }
        };
        if self.cache.is_revoked(&issued.principal)
            || issued.principal.identity_id() != old.identity_id()
        {
            return Err(RefreshDenied::Ended("revoked"));
        }
        Ok(issued)
    }

    async fn reissue(
        &self,
        claims: SessionClaims,
        now: i64,
    ) -> Result<Arc<IssuedSession>, RefreshDenied> {
        let store = self.directory.store();
        let denied = |e: StoreError| match e {
            StoreError::NotFound(_) => RefreshDenied::Ended("gone"),
            StoreError::Unavailable(m) => RefreshDenied::Unavailable(m),
            other => RefreshDenied::Store(other.to_string()),
        };
        let session = store.get_session(&claims.sid).await.map_err(denied)?;
        let idle = us(self.params.load().settings.idle_timeout);
        if session.identity_id != claims.sub || session.realm_id != claims.realm {
            return Err(RefreshDenied::Ended("mismatch"));
        }
        if session.revoke_us.is_some() {
            return Err(RefreshDenied::Ended("revoked"));
        }
        if session.expire_us <= now {
            return Err(RefreshDenied::Ended("expired"));
        }
        if session.last_seen_us.saturating_add(idle) <= now {
            return Err(RefreshDenied::Ended("idle"));
        }
        let identity = store
            .get_identity(&session.tenant_id, &session.realm_id, &session.identity_id)
            .await
            .map_err(denied)?;
        if !identity.status.is_active() {
            return Err(RefreshDenied::Ended("identity not active"));
        }
        if let Some(cid) = &session.credential_id {
            let passkey = store
                .get_credential(&session.tenant_id, &session.realm_id, cid)
                .await
                .map_err(denied)?;
            if passkey.state != CredentialState::Active {
                return Err(RefreshDenied::Ended("passkey revoked"));
            }
        }
        store
            .touch_session(&session.id, now)
            .await
            .map_err(denied)?;
        let issued = self
            .issue(&identity, session, now)
            .await
            .map_err(|e| match e {
                IdmError::Unavailable(m) => RefreshDenied::Unavailable(m),
                other => RefreshDenied::Store(other.to_string()),
            })?;
        self.cache.insert(&issued.token, issued.principal.clone());
        Ok(Arc::new(issued))
    }

    /// Signs a token for `session` with the identity's current groups and email.
    pub(super) async fn issue(
        &self,
        identity: &IdentityRecord,
        session: SessionRecord,
        now: i64,
    ) -> Result<IssuedSession, IdmError> {
        let params = self.params.load();
        let groups = self
            .directory
            .store()
            .list_identity_groups(&identity.id, PageRequest::first(GROUPS_MAX))
            .await?
            .items
            .into_iter()
            .map(|g| g.display_name)
            .collect();
        let token_end = now
            .saturating_add(us(params.settings.token_ttl))
            .min(session.expire_us);
        let claims = SessionClaims {
            iss: params.verifier.issuer().to_string(),
            sub: identity.id.clone(),
            realm: identity.realm_id.clone(),
            sid: session.id.clone(),
            username: identity.traits.username.clone(),
            email: identity.traits.primary_email_address.clone(),
            groups,
            iat: secs(now),
            nbf: secs(now),
            exp: secs(token_end),
            auth_time: secs(session.auth_us),
            amr: serde_json::from_str(&session.amr).unwrap_or_default(),
        };
        let token = token::sign(&self.keys.load(), &claims)
            .map_err(|e| IdmError::Internal(e.to_string()))?;
        let cookie_max_age =
            Duration::from_micros(u64::try_from(session.expire_us - now).unwrap_or(0));
        Ok(IssuedSession {
            token,
            principal: Arc::new(Principal::from_claims(&claims)),
            session,
            cookie_max_age,
        })
    }
}
