//! Re-issuing while the store is out: [`SessionService::renew`] is `refresh` bounded by
//! the store's deadline, and, when the store cannot answer, keeps a genuine token that
//! expired less than `session.outage_grace` ago (not revoked in memory) for a few seconds
//! at a time, so an outage does not sign people out; past the grace, or with the grace at
//! zero, the answer is "unavailable" (`503`), never "signed out".

use std::sync::Arc;

use super::{secs, RefreshDenied, SessionService};
use crate::session::Principal;

/// How long a kept token is served from the cache before the store is asked again.
const RETRY_SECS: u64 = 2;

/// What renewing an expired token gave.
pub enum Renewal {
    /// A new token (set it as the cookie).
    Reissued(Arc<super::IssuedSession>),
    /// The store is out and the old token is within `session.outage_grace`: it stands, for
    /// at most [`RETRY_SECS`] before the store is tried again (no new cookie).
    Kept(Arc<Principal>),
}

impl SessionService {
    /// Re-issues `expired` ([`SessionService::refresh`], waiting at most
    /// `store.connect_timeout` + `store.timeout` for the store); when the store is
    /// unavailable, keeps it within `session.outage_grace`.
    pub async fn renew(&self, expired: &str) -> Result<Renewal, RefreshDenied> {
        let deadline = self.params.load().store_deadline;
        let refreshed = match tokio::time::timeout(deadline, self.refresh(expired)).await {
            Ok(r) => r,
            Err(_) => Err(RefreshDenied::Unavailable(format!(
                "the store did not answer within {deadline:?}"
            ))),
        };
        match refreshed {
            Ok(issued) => Ok(Renewal::Reissued(issued)),
            Err(RefreshDenied::Unavailable(m)) => self.keep(expired, m),
            Err(other) => Err(other),
        }
    }

    /// The outage grace for a genuine, expired token (see the module's doc).
    fn keep(&self, expired: &str, why: String) -> Result<Renewal, RefreshDenied> {
        let now = secs(self.directory.now_us());
        let params = self.params.load();
        let grace = params.settings.outage_grace.as_secs();
        let claims = params
            .verifier
            .verify_signed(&self.keys.load(), expired, now)?;
        let grace_end = claims.exp.saturating_add(grace);
        if grace == 0 || grace_end <= now {
            return Err(RefreshDenied::Unavailable(why));
        }
        let mut p = Principal::from_claims(&claims);
        if self.cache.is_revoked(&p) || self.ended.get(&claims.sid).is_some() {
            return Err(RefreshDenied::Ended("revoked"));
        }
        p.expires_at = grace_end.min(now.saturating_add(RETRY_SECS));
        let p = Arc::new(p);
        self.cache.insert(expired, p.clone());
        // Debug: every kept session logs this every 2 s while the store is out (the
        // outage itself is logged by the sync loop and readiness).
        tracing::debug!(
            error = %why,
            session_grace_left_s = grace_end - now,
            "store unavailable: an expired session token is kept (session.outage_grace)"
        );
        Ok(Renewal::Kept(p))
    }
}
