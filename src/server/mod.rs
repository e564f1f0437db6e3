//! Assembly: a validated config becomes one Pingora `Server` with the proxy service on
//! every listener, the SIGHUP reload service and the optional metrics listener. This is
//! the one module that wires the data plane to the control plane.

mod email_delivery;
mod head_watch;
mod header_deadline;
mod listeners;
mod metrics_service;
mod park;
mod refresher;
mod reload;
mod session_sync;

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use pingora::server::configuration::ServerConf;
use pingora::server::{RunArgs, Server};
use pingora::services::background::background_service;

use crate::clock::{self, Clock};
use crate::config::Config;
use crate::control::{ControlPlane, ControlState};
use crate::dataplane::authn::SessionCheck;
use crate::dataplane::{Gate, Gateway, Runtime};
use crate::idm::{Directory, SessionService, SystemClock};
use crate::session::cache::PrincipalCache;
use crate::store::{self, StoreOptions};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("TLS listener {address}: {message}")]
    Tls { address: String, message: String },
    #[error("cannot listen on {address}: {message}")]
    Bind { address: String, message: String },
    #[error("the store runtime could not start: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("syncing the configured realms into the store: {0}")]
    Realms(#[from] crate::idm::IdmError),
    #[error("loading the session signing keys: {0}")]
    Sessions(crate::idm::IdmError),
}

/// Verified sessions the data plane keeps (one entry per live token).
const CACHE_CAPACITY: u64 = 1_000_000;

/// Everything needed to run: call [`Assembled::run`] to serve until SIGTERM/SIGINT.
pub struct Assembled {
    server: Server,
    /// Runs the store's connection pool; lives as long as the server.
    store_runtime: tokio::runtime::Runtime,
    directory: Arc<Directory>,
}

/// Opens and migrates the store on a small runtime of its own (Pingora's runtimes do not
/// exist yet, and the pool's connections must outlive any one of them), then syncs the
/// configured realms into it.
pub fn open_directory(
    config: &Config,
) -> Result<(tokio::runtime::Runtime, Arc<Directory>), StartError> {
    open_directory_on(config, Arc::new(SystemClock))
}

/// [`open_directory`] with the domain on `clock`.
pub fn open_directory_on(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<(tokio::runtime::Runtime, Arc<Directory>), StartError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("passgate-store")
        .enable_all()
        .build()
        .map_err(StartError::Runtime)?;
    let directory = runtime.block_on(async {
        let store = store::open(&StoreOptions::from(&config.store)).await?;
        let directory = Arc::new(Directory::new(store, clock));
        directory.sync_config_realms(config).await?;
        Ok::<_, StartError>(directory)
    })?;
    Ok((runtime, directory))
}

impl Assembled {
    /// Runs `f` with the directory on the store's runtime before serving (used by
    /// `passgate demo` to provision its first user).
    pub fn with_directory<F, Fut, T>(&self, f: F) -> T
    where
        F: FnOnce(Arc<Directory>) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        self.store_runtime.block_on(f(self.directory.clone()))
    }

    /// Blocks until the server has shut down.
    pub fn run(self) {
        self.server.run(RunArgs::default());
    }
}

/// Pingora counts these in whole seconds: round up, so "500ms" is not silently zero.
fn whole_seconds(d: std::time::Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Builds the server for `config`, read from `config_path` (re-read on SIGHUP).
pub fn assemble(config_path: Option<PathBuf>, config: Config) -> Result<Assembled, StartError> {
    reload::ignore_sighup_until_ready();
    let config = Arc::new(config);
    // The one clock of the process: the domain, the principal cache and the gate share it.
    let clock = clock::for_server();
    let (store_runtime, directory) = open_directory_on(&config, clock.clone())?;
    tracing::info!(
        backend = directory.store().backend(),
        "store open and migrated"
    );

    let conf = ServerConf {
        threads: config.server.threads,
        grace_period_seconds: Some(whole_seconds(config.server.grace_period)),
        graceful_shutdown_timeout_seconds: Some(whole_seconds(
            config.server.graceful_shutdown_timeout,
        )),
        // Every timeout of a second or more (the upstream reads and writes, the idle wait of
        // a kept-alive connection) on tokio's timer wheel rather than Pingora's shared
        // timer map: fewer instructions per request by callgrind (docs/performance.md), and
        // a cancelled timeout is removed at once instead of kept until its deadline.
        fast_timeout_to_tokio_threshold_seconds: Some(0),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);

    let cache = Arc::new(PrincipalCache::with_clock(
        CACHE_CAPACITY,
        // A kept token (session.outage_grace) outlives its exp by up to the grace.
        config.session.token_ttl + config.session.outage_grace,
        clock.clone(),
    ));
    let sessions = Arc::new(
        store_runtime
            .block_on(SessionService::open(
                directory.clone(),
                cache.clone(),
                &config,
            ))
            .map_err(StartError::Sessions)?,
    );
    let runtime = Arc::new(ArcSwap::from_pointee(Runtime::new(config.clone())));
    // One gate for the proxy and `/.passgate/verify`.
    let gate = Arc::new(Gate::new(
        runtime.clone(),
        SessionCheck {
            cache,
            keys: sessions.keys(),
        },
        Arc::new(refresher::Refresher(sessions.clone())),
        clock,
    ));
    let mut control_state = ControlState::new(config.clone(), directory.clone(), sessions.clone());
    control_state.gate = Some(gate.clone());
    let mailer = control_state.mailer.clone();
    let control = Arc::new(ControlPlane::new(control_state));
    let gateway =
        Gateway::new(gate.clone(), control.clone()).with_header_hold(head_watch::hold_header);

    // Pingora's proxy behind the request-head deadline (server.header_timeout).
    let proxy = pingora::proxy::http_proxy(&server.configuration, gateway);
    let mut proxy = pingora::services::listening::Service::new(
        "passgate proxy".to_string(),
        header_deadline::HeaderDeadline::new(proxy, runtime.clone()),
    );
    listeners::probe_addresses(&config)?;
    let tls_listeners = listeners::add_all(&mut proxy, &config)?;
    server.add_service(proxy);

    // Runs with or without `[email]`: a reload may add it, and queued jobs go out then.
    let delivery = Arc::new(ArcSwap::from_pointee(email_delivery::DeliverySettings {
        config: config.clone(),
        mailer,
    }));
    server.add_service(background_service(
        "email delivery",
        email_delivery::EmailDelivery {
            directory: directory.clone(),
            settings: delivery.clone(),
        },
    ));
    let demo_directory = directory.clone();
    let reloader = reload::Reloader {
        path: config_path,
        runtime,
        control,
        gate,
        directory,
        sessions: sessions.clone(),
        tls_listeners,
        delivery,
        current: ArcSwap::new(config.clone()),
    };
    server.add_service(background_service("config reload", reloader));
    server.add_service(background_service(
        "session sync",
        session_sync::SessionSync { sessions },
    ));

    if let Some(addr) = config.metrics {
        server.add_service(background_service(
            "metrics",
            metrics_service::MetricsService { addr },
        ));
    }

    server.bootstrap();
    Ok(Assembled {
        server,
        store_runtime,
        directory: demo_directory,
    })
}
