//! Per-request state carried across Pingora's phases.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use pingora::http::RequestHeader;

use crate::config::RequestPath;
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
    /// `503`: a session needed the store, and the store is out.
    Unavailable,
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
            Outcome::Unavailable => "unavailable",
        }
    }
}

pub struct RequestCtx {
    /// The config this request is served under, fixed at its start.
    pub runtime: Arc<Runtime>,
    pub route: Option<Arc<RouteRuntime>>,
    /// The canonical form of the request path when it differs from the path as sent;
    /// `None` when the path as sent is canonical (the common case: nothing allocated).
    /// Set once by `request_filter`; read through [`RequestCtx::path`].
    pub canonical_path: Option<String>,
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
            canonical_path: None,
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

    /// Keeps the canonical path computed for this request (an owned one only).
    pub fn keep_canonical_path(&mut self, canonical: Cow<'_, str>) {
        self.canonical_path = match canonical {
            Cow::Borrowed(_) => None,
            Cow::Owned(c) => Some(c),
        };
    }

    /// The path of `req` (this context's request) as sent and in canonical form.
    pub fn path<'a>(&'a self, req: &'a RequestHeader) -> RequestPath<'a> {
        let raw = req.uri.path();
        RequestPath::new(raw, self.canonical_path.as_deref().unwrap_or(raw))
    }
}
