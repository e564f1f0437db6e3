//! Per-request state carried across Pingora's phases.

use std::sync::Arc;
use std::time::Instant;

use crate::session::Principal;

use super::runtime::{RouteRuntime, Runtime};

/// How the request was answered, for the access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Proxied,
    Control,
    NoRoute,
    Challenged,
    Denied,
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Proxied => "proxied",
            Outcome::Control => "control",
            Outcome::NoRoute => "no_route",
            Outcome::Challenged => "challenged",
            Outcome::Denied => "denied",
            Outcome::Refused => "refused",
        }
    }
}

pub struct RequestCtx {
    /// The config this request is served under, fixed at its start.
    pub runtime: Arc<Runtime>,
    pub route: Option<Arc<RouteRuntime>>,
    /// Set once a session has been verified.
    pub principal: Option<Arc<Principal>>,
    /// `Set-Cookie` for a token re-issued during this request, added to the response.
    pub set_cookie: Option<String>,
    /// Index of the peer in the route's pool for the current attempt.
    pub peer: Option<usize>,
    pub attempts: u8,
    /// Whether the current attempt got a connection (a failure to connect is counted by
    /// `fail_to_connect`, so `fail_to_proxy` must not count it again).
    pub upstream_connected: bool,
    pub outcome: Outcome,
    /// Status written by passgate itself (control plane, redirects, error pages).
    pub status: Option<u16>,
    pub tls: bool,
    pub start: Instant,
}

impl RequestCtx {
    pub fn new(runtime: Arc<Runtime>) -> Self {
        RequestCtx {
            runtime,
            route: None,
            principal: None,
            set_cookie: None,
            peer: None,
            attempts: 0,
            upstream_connected: false,
            outcome: Outcome::Proxied,
            status: None,
            tls: false,
            start: Instant::now(),
        }
    }
}
