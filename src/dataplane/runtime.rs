//! The runtime objects built from one validated config: the route table with each route's
//! upstream pool and metric handles. Swapped whole on reload (`ArcSwap<Runtime>`), so a
//! request sees one consistent config from start to end.

use std::sync::Arc;

use crate::config::{Config, Route};
use crate::metrics::{metrics, RouteMetrics};
use crate::session::token::{self, TokenVerifier};

use super::router::Router;
use super::upstream::UpstreamPool;

pub struct RouteRuntime {
    pub route: Arc<Route>,
    pub pool: UpstreamPool,
    pub metrics: RouteMetrics,
}

pub struct Runtime {
    pub config: Arc<Config>,
    pub router: Router,
    /// Metrics for requests answered by the control plane.
    pub control_metrics: RouteMetrics,
    /// Metrics for requests no route matched.
    pub unrouted_metrics: RouteMetrics,
    /// Session tokens must be issued by this config's `public_url`.
    pub verifier: TokenVerifier,
}

impl Runtime {
    pub fn new(config: Arc<Config>) -> Self {
        let m = metrics();
        let routes = config.routes.iter().map(|r| {
            Arc::new(RouteRuntime {
                pool: UpstreamPool::new(r),
                metrics: m.for_route(&r.id),
                route: r.clone(),
            })
        });
        Runtime {
            router: Router::new(routes.collect::<Vec<_>>()),
            control_metrics: m.for_pseudo_route("passgate"),
            unrouted_metrics: m.for_pseudo_route("none"),
            verifier: TokenVerifier::new(&token::issuer(&config.public_url)),
            config,
        }
    }
}
