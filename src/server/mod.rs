//! Assembly: a validated config becomes one Pingora `Server` with the proxy service on
//! every listener, the SIGHUP reload service and the optional metrics listener. This is
//! the one module that wires the data plane to the control plane.

mod listeners;
mod metrics_service;
mod reload;

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use pingora::server::configuration::ServerConf;
use pingora::server::{RunArgs, Server};
use pingora::services::background::background_service;

use crate::config::Config;
use crate::control::{ControlPlane, ControlState};
use crate::dataplane::{Gateway, Runtime};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("TLS listener {address}: {message}")]
    Tls { address: String, message: String },
    #[error("cannot listen on {address}: {message}")]
    Bind { address: String, message: String },
}

/// Everything needed to run: call [`Assembled::run`] to serve until SIGTERM/SIGINT.
pub struct Assembled {
    server: Server,
}

impl Assembled {
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

    let conf = ServerConf {
        threads: config.server.threads,
        grace_period_seconds: Some(whole_seconds(config.server.grace_period)),
        graceful_shutdown_timeout_seconds: Some(whole_seconds(
            config.server.graceful_shutdown_timeout,
        )),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);

    let runtime = Arc::new(ArcSwap::from_pointee(Runtime::new(config.clone())));
    let control = Arc::new(ControlPlane::new(ControlState::new(config.clone())));
    let gateway = Gateway::new(runtime.clone(), control.clone());

    let mut proxy = pingora::proxy::http_proxy_service_with_name(
        &server.configuration,
        gateway,
        "passgate proxy",
    );
    listeners::probe_addresses(&config)?;
    let tls_listeners = listeners::add_all(&mut proxy, &config)?;
    server.add_service(proxy);

    let reloader = reload::Reloader {
        path: config_path,
        runtime,
        control,
        tls_listeners,
        current: ArcSwap::new(config.clone()),
    };
    server.add_service(background_service("config reload", reloader));

    if let Some(addr) = config.metrics {
        server.add_service(background_service(
            "metrics",
            metrics_service::MetricsService { addr },
        ));
    }

    server.bootstrap();
    Ok(Assembled { server })
}
