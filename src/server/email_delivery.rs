//! The background delivery of binding-link emails: jobs whose first attempt failed (state
//! `FAILED_TO_SEND`) and queued batch jobs are (re)sent when due, with a back-off that
//! doubles per failure (`[email] retry_interval`, at most an hour). Runs on its own task,
//! never on a request. Sends with the configuration in force: a reload that changes
//! `[email]` (or adds or removes it) reaches the next round. Every round first marks links
//! whose time has passed expired, so an identity whose only link lapsed is `UNENROLLED`
//! again within a round, mail or no mail.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use crate::config::Config;
use crate::idm::Directory;
use crate::mail::Mailer;

/// What a delivery round sends with: the configuration in force and the mailer built
/// from its `[email]` (`None` without one, or when it could not be built).
pub struct DeliverySettings {
    pub config: Arc<Config>,
    pub mailer: Option<Arc<Mailer>>,
}

/// Replaced by the reloader; read by the delivery task at every round.
pub type SharedDeliverySettings = Arc<ArcSwap<DeliverySettings>>;

pub struct EmailDelivery {
    pub directory: Arc<Directory>,
    pub settings: SharedDeliverySettings,
}

/// How often due deliveries are looked for: the retry interval, between 1 and 5 s.
fn tick(config: &Config) -> Duration {
    config
        .email
        .as_ref()
        .map_or(Duration::from_secs(5), |e| e.retry_interval)
        .clamp(Duration::from_secs(1), Duration::from_secs(5))
}

impl EmailDelivery {
    async fn round(&self) {
        if let Err(e) = self.directory.expire_binding_links().await {
            tracing::warn!(error = %e, "expiring binding links failed");
        }
        let settings = self.settings.load_full();
        let Some(mailer) = settings.mailer.as_deref() else {
            return;
        };
        match self.directory.deliver_due(&settings.config, mailer).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                attempted = n,
                "binding-link emails delivered or rescheduled"
            ),
            Err(e) => tracing::warn!(error = %e, "binding-link email delivery round failed"),
        }
    }
}

#[async_trait]
impl BackgroundService for EmailDelivery {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        loop {
            let pause = tick(&self.settings.load().config);
            tokio::select! {
                _ = tokio::time::sleep(pause) => self.round().await,
                _ = shutdown.changed() => return,
            }
        }
    }
}
