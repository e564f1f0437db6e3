//! The background round of the session service: every second, apply revocations written by
//! any instance to this instance's cache, follow signing-key rotation, prune; and say
//! whether the store answered (`passgate_store_reachable`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use crate::idm::{IdmError, SessionService};
use crate::metrics::events;

/// How often the store's revocation feed and signing keys are read.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

pub struct SessionSync {
    pub sessions: Arc<SessionService>,
}

#[async_trait]
impl BackgroundService for SessionSync {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut tick = tokio::time::interval(SYNC_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let round = self.sessions.sync().await;
                    match &round {
                        Ok(()) => events().store_reachable(true),
                        Err(IdmError::Unavailable(_)) => events().store_reachable(false),
                        Err(_) => {}
                    }
                    match round {
                        Ok(()) if failing => {
                            failing = false;
                            tracing::info!("session sync recovered");
                        }
                        Ok(()) => {}
                        Err(e) if !failing => {
                            failing = true;
                            tracing::warn!(error = %e, "session sync failed (revocations from other instances are late)");
                        }
                        Err(_) => {}
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    }
}
