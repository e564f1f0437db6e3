//! What control-plane handlers share: the config they were built for (rebuilt on reload),
//! the directory service over the store and the session service (both opened once at
//! start-up, kept across reloads).

use std::sync::Arc;

use crate::config::Config;
use crate::dataplane::Gate;
use crate::idm::{Directory, SessionService};
use crate::mail::Mailer;

use super::limits::RateLimits;

#[derive(Clone)]
pub struct ControlState {
    pub config: Arc<Config>,
    pub directory: Arc<Directory>,
    /// Starts sessions (`start` + `set_cookie` after a ceremony), signs out, revokes.
    pub sessions: Arc<SessionService>,
    /// SMTP delivery of binding links, built from `[email]` (`None` without it).
    pub mailer: Option<Arc<Mailer>>,
    /// Rate limits of the ceremony and recovery endpoints (counted in the store).
    pub limits: Arc<RateLimits>,
    /// The data plane's decision for `/.passgate/verify` (set by the server).
    pub gate: Option<Arc<Gate>>,
}

impl ControlState {
    pub fn new(
        config: Arc<Config>,
        directory: Arc<Directory>,
        sessions: Arc<SessionService>,
    ) -> Self {
        let mailer = config.email.as_ref().and_then(|e| match Mailer::new(e) {
            Ok(m) => Some(Arc::new(m)),
            Err(err) => {
                tracing::error!(error = %err, "email delivery is unavailable");
                None
            }
        });
        let limits = Arc::new(RateLimits::new(directory.store().clone()));
        ControlState {
            config,
            directory,
            sessions,
            mailer,
            limits,
            gate: None,
        }
    }

    /// Now, in seconds since the Unix epoch, by the directory's clock.
    pub fn now_secs(&self) -> u64 {
        u64::try_from(self.directory.now_us() / 1_000_000).unwrap_or(0)
    }
}
