//! The request decision, free of I/O: which route, and whether to hand off to the control
//! plane, proxy, challenge (sign in) or deny. `request_filter` carries the decision out;
//! keeping it pure makes it cheap to reason about and to benchmark.

use std::sync::Arc;

use pingora::http::RequestHeader;

use crate::config::{Policy, RequestPath};
use crate::session::Principal;

use super::authn::{self, Authn, SessionCheck};
use super::authz::{self, Decision};
use super::request::{self, BadRequest};
use super::runtime::{RouteRuntime, Runtime};

pub const CONTROL_PREFIX: &str = "/.passgate";

pub enum Action {
    /// Refused with 400 before any route is looked at: a path with dot segments (`..`,
    /// `.`, also percent-encoded or behind `;params`) or NUL, so that no prefix rule can be
    /// sidestepped by a path the upstream normalises; or no usable host.
    Refuse(BadRequest),
    /// `/.passgate/*`: answered by the control plane on every host.
    Control,
    NoRoute,
    Proxy {
        route: Arc<RouteRuntime>,
        principal: Option<Arc<Principal>>,
    },
    /// The session token is genuine but expired: re-issue it (an async step the caller
    /// takes), then [`decide`] with the principal it yields.
    Refresh {
        route: Arc<RouteRuntime>,
    },
    /// Sign-in needed: `redirect` holds the original URL for browser navigations (302 to
    /// the sign-in page); `None` means answer 401. `step_up`: the user is signed in, but
    /// longer ago than the route's `max_auth_age` allows.
    Challenge {
        route: Arc<RouteRuntime>,
        redirect: Option<String>,
        step_up: bool,
    },
    Deny {
        route: Arc<RouteRuntime>,
        principal: Arc<Principal>,
    },
}

pub fn is_control_path(path: &str) -> bool {
    path.strip_prefix(CONTROL_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The decision for `req` at `now` (seconds since the Unix epoch). `path` is the request's
/// path with its canonical form ([`crate::config::canonical_path`], which refuses dot
/// segments): routes, public paths and rules are matched on the canonical form.
pub fn classify(
    runtime: &Runtime,
    check: &SessionCheck,
    req: &RequestHeader,
    path: RequestPath<'_>,
    tls: bool,
    now: u64,
) -> Action {
    if is_control_path(path.raw) || is_control_path(path.canonical) {
        return Action::Control;
    }
    let host = match request::route_host(req) {
        Ok(h) => h,
        Err(e) => return Action::Refuse(e),
    };
    let Some(route) = runtime.router.find(&host, path.canonical) else {
        return Action::NoRoute;
    };
    let principal = match authz::public_rule(&route.route, path) {
        Some(_) => None,
        None => match authn::authenticate(req, runtime, check, &route.route.realm, now) {
            Authn::Verified(p) => Some(p),
            Authn::Expired => {
                return Action::Refresh {
                    route: route.clone(),
                }
            }
            Authn::Missing => None,
        },
    };
    decide(runtime, route, principal, req, path, tls, now)
}

/// The route's policy applied to `principal` (the second half of [`classify`]).
pub fn decide(
    runtime: &Runtime,
    route: &Arc<RouteRuntime>,
    principal: Option<Arc<Principal>>,
    req: &RequestHeader,
    path: RequestPath<'_>,
    tls: bool,
    now: u64,
) -> Action {
    let verdict = authz::decide(&route.route, principal.as_deref(), &req.method, path, now);
    authz::log(&route.route, principal.as_ref(), &req.method, path, verdict);
    if route.route.policy != Policy::Public && !matches!(verdict.rule, authz::Rule::PublicPath(_)) {
        route
            .metrics
            .by_session(verdict.decision != Decision::AllowAnonymous && principal.is_some());
    }
    let challenge = |step_up: bool| Action::Challenge {
        route: route.clone(),
        redirect: request::is_browser_navigation(req)
            .then(|| original_url(req, tls, runtime.config.server.trust_forwarded_headers)),
        step_up,
    };
    match verdict.decision {
        Decision::Allow => Action::Proxy {
            route: route.clone(),
            principal,
        },
        Decision::AllowAnonymous => Action::Proxy {
            route: route.clone(),
            principal: None,
        },
        Decision::Challenge => challenge(false),
        Decision::StepUp => challenge(true),
        Decision::Deny => match principal {
            Some(principal) => Action::Deny {
                route: route.clone(),
                principal,
            },
            None => challenge(false),
        },
    }
}

/// The URL the client asked for, for the sign-in page's `rd`. Behind a trusted load
/// balancer its `X-Forwarded-Proto` names the scheme the client used.
fn original_url(req: &RequestHeader, tls: bool, trust_forwarded: bool) -> String {
    let host = request::raw_host(req);
    let forwarded = trust_forwarded
        .then(|| req.headers.get("x-forwarded-proto"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or("").trim())
        .filter(|v| *v == "https" || *v == "http");
    let scheme = forwarded.unwrap_or(if tls { "https" } else { "http" });
    format!("{scheme}://{host}{}", request::path_and_query(req))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_prefix_is_segment_aware() {
        assert!(is_control_path("/.passgate"));
        assert!(is_control_path("/.passgate/healthz"));
        assert!(!is_control_path("/.passgatex"));
        assert!(!is_control_path("/app/.passgate/healthz"));
    }
}
