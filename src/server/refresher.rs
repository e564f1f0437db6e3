//! The data plane's [`SessionRefresher`] answered by the session service: the one place a
//! proxied request may reach the store (once per token lifetime per session).

use std::sync::Arc;

use async_trait::async_trait;

use crate::dataplane::authn::{Refreshed, SessionRefresher};
use crate::idm::SessionService;

pub struct Refresher(pub Arc<SessionService>);

#[async_trait]
impl SessionRefresher for Refresher {
    async fn refresh(&self, expired_token: &str, secure: bool) -> Option<Refreshed> {
        match self.0.refresh(expired_token).await {
            Ok(issued) => Some(Refreshed {
                principal: issued.principal.clone(),
                set_cookie: self.0.set_cookie(&issued, secure),
            }),
            Err(e) => {
                tracing::debug!(reason = %e, "session token not re-issued");
                None
            }
        }
    }
}
