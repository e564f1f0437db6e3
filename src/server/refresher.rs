//! The data plane's [`SessionRefresher`] answered by the session service: the one place a
//! proxied request may reach the store (once per token lifetime per session).

use std::sync::Arc;

use async_trait::async_trait;

use crate::dataplane::authn::{Refresh, Refreshed, SessionRefresher};
use crate::idm::sessions::{RefreshDenied, Renewal};
use crate::idm::SessionService;

pub struct Refresher(pub Arc<SessionService>);

#[async_trait]
impl SessionRefresher for Refresher {
    async fn refresh(&self, expired_token: &str, secure: bool) -> Refresh {
        match self.0.renew(expired_token).await {
            Ok(Renewal::Reissued(issued)) => Refresh::Reissued(Refreshed {
                principal: issued.principal.clone(),
                set_cookie: self.0.set_cookie(&issued, secure),
            }),
            Ok(Renewal::Kept(p)) => Refresh::Kept(p),
            Err(RefreshDenied::Unavailable(e)) => {
                tracing::debug!(error = %e, "session token not re-issued: the store is unavailable");
                Refresh::Unavailable
            }
            Err(e) => {
                tracing::debug!(reason = %e, "session token not re-issued");
                Refresh::Denied
            }
        }
    }
}
