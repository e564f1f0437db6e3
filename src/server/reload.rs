//! SIGHUP: re-read the config file; a valid one replaces the routing table, the control
//! plane's state, the email delivery settings and the listeners' certificates; an invalid one is refused
//! with the same messages as `passgate check`, and the running config stays. The store stays
//! open across reloads; newly declared `[[realms]]` are synced into it.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use tokio::signal::unix::{signal, SignalKind};

use crate::config::{self, Config};
use crate::control::{ControlPlane, ControlState};
use crate::dataplane::Runtime;
use crate::idm::{Directory, SessionService};

use super::email_delivery::{DeliverySettings, SharedDeliverySettings};
use super::listeners::{cert_set, TlsListener};

pub struct Reloader {
    pub path: Option<PathBuf>,
    pub runtime: Arc<ArcSwap<Runtime>>,
    pub control: Arc<ControlPlane>,
    /// Handed to each new control state, for `/.passgate/verify`.
    pub gate: Arc<crate::dataplane::Gate>,
    /// Kept across reloads: the store is opened once per process.
    pub directory: Arc<Directory>,
    pub sessions: Arc<SessionService>,
    pub tls_listeners: Vec<TlsListener>,
    /// The email delivery task's settings, replaced with each new config's `[email]`.
    pub delivery: SharedDeliverySettings,
    pub current: ArcSwap<Config>,
}

/// Installs a SIGHUP handler at once, so a SIGHUP that arrives while the server is still
/// starting does not kill the process (the default action); the reload service listens later.
pub fn ignore_sighup_until_ready() {
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        rt.block_on(async {
            if let Err(e) = signal(SignalKind::hangup()) {
                tracing::warn!(error = %e, "could not install the SIGHUP handler");
            }
        });
    }
}

impl Reloader {
    async fn reload(&self) {
        let Some(path) = self.path.clone() else {
            tracing::warn!("SIGHUP ignored: this server runs on embedded defaults, not a file");
            return;
        };
        let loaded = tokio::task::spawn_blocking(move || config::load(&path)).await;
        let new = match loaded {
            Ok(Ok(c)) => Arc::new(c),
            Ok(Err(e)) => {
                for p in &e.problems {
                    tracing::error!(problem = %p, "config reload rejected");
                }
                tracing::error!(
                    file = %e.file,
                    problems = e.problems.len(),
                    "config reload rejected; still serving the previous configuration"
                );
                crate::metrics::events().reload(false);
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "config reload failed");
                crate::metrics::events().reload(false);
                return;
            }
        };

        let old = self.current.load_full();
        let same_listeners = old.listeners.len() == new.listeners.len()
            && old
                .listeners
                .iter()
                .zip(&new.listeners)
                .all(|(a, b)| a.address == b.address && a.is_tls() == b.is_tls());
        if !same_listeners || old.metrics != new.metrics || old.server.threads != new.server.threads
        {
            tracing::warn!("listener, metrics or thread changes take effect after a restart");
        }
        if old.store != new.store {
            tracing::warn!("store changes take effect after a restart");
        }
        if same_listeners {
            for (l, tls) in new
                .listeners
                .iter()
                .filter(|l| l.is_tls())
                .zip(&self.tls_listeners)
            {
                match cert_set(l) {
                    Ok(set) => tls.resolver.replace(set),
                    Err(e) => {
                        tracing::error!(address = %tls.address, error = %e, "certificates not reloaded")
                    }
                }
            }
        }

        if let Err(e) = self.directory.sync_config_realms(&new).await {
            tracing::error!(error = %e, "the configured realms could not be synced into the store");
        }
        self.runtime.store(Arc::new(Runtime::new(new.clone())));
        self.sessions.reconfigure(&new);
        let mut state =
            ControlState::new(new.clone(), self.directory.clone(), self.sessions.clone());
        state.gate = Some(self.gate.clone());
        self.delivery.store(Arc::new(DeliverySettings {
            config: new.clone(),
            mailer: state.mailer.clone(),
        }));
        self.control.update(state);
        self.current.store(new.clone());
        crate::metrics::events().reload(true);
        tracing::info!(routes = new.routes.len(), "configuration reloaded");
    }
}

#[async_trait]
impl BackgroundService for Reloader {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGHUP; reload disabled");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = hup.recv() => self.reload().await,
                _ = shutdown.changed() => return,
            }
        }
    }
}
