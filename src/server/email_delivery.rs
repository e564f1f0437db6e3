//! The background delivery of binding-link emails: jobs whose first attempt failed (state
//! `FAILED_TO_SEND`) and queued batch jobs are (re)sent when due, with a back-off that
//! doubles per failure (`[email] retry_interval`, at most an hour). Runs on its own task,
//! never on a request. Uses the configuration the server started with (a reload that
//! changes `[email]` takes effect on restart).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use crate::config::Config;
use crate::idm::Directory;
use crate::mail::Mailer;

pub struct EmailDelivery {
    pub directory: Arc<Directory>,
    pub config: Arc<Config>,
    pub mailer: Arc<Mailer>,
}

impl EmailDelivery {
    /// How often due deliveries are looked for: the retry interval, between 1 and 5 s.
    fn tick(&self) -> Duration {
        self.config
            .email
            .as_ref()
            .map_or(Duration::from_secs(5), |e| e.retry_interval)
            .clamp(Duration::from_secs(1), Duration::from_secs(5))
    }
}

#[async_trait]
impl BackgroundService for EmailDelivery {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut tick = tokio::time::interval(self.tick());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    match self.directory.deliver_due(&self.config, &self.mailer).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(attempted = n, "binding-link emails delivered or rescheduled"),
                        Err(e) => tracing::warn!(error = %e, "binding-link email delivery round failed"),
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    }
}
