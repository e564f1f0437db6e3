//! The pure halves of the request decision, free of I/O: which route (or an answer
//! without one: refuse, control plane, no route), and the route's policy applied to who is
//! asking (proxy, challenge, deny). [`super::gate::Gate::decide`] runs them around the one
//! async step (re-issuing an expired session token); keeping them pure makes them cheap
//! to reason about and to benchmark.

use std::sync::Arc;

use pingora::http::RequestHeader;

use crate::config::{Policy, RequestPath};
use crate::session::Principal;

use super::authz::{self, Decision};
use super::request::{self, BadRequest};
use super::runtime::{RouteRuntime, Runtime};

pub const CONTROL_PREFIX: &str = "/.passgate";

/// What to do with a request: the gate's answer to both planes.
pub enum Action {
    /// Refused with 400 before any route is looked at: a path with dot segments (`..`,
    /// `.`, also percent-encoded or behind `;params`) or NUL, so that no prefix rule can be
    /// sidestepped by a path the upstream normalises; or no usable host.
    Refuse(BadRequest),
    /// `/.passgate/*`: answered by the control plane on every host.
    Control,
    NoRoute,
    /// Allowed: `principal` is the signed-in user whose identity headers go upstream
    /// (`None`: nobody is named, e.g. a public route).
    Proxy {
        route: Arc<RouteRuntime>,
        principal: Option<Arc<Principal>>,
    },
    /// Sign-in needed: `redirect` holds the original URL for browser navigations (302 to
    /// the sign-in page, see [`super::gate::login_location`]); `None` means answer 401.
    /// `step_up`: the user is signed in, but longer ago than the route's `max_auth_age`
    /// allows.
    Challenge {
        route: Arc<RouteRuntime>,
        redirect: Option<String>,
        step_up: bool,
    },
    /// Signed in but not allowed: `redirect` holds the original URL for browser
    /// navigations (the 403 page's "Switch account" goes to the route's sign-in page with
    /// it, see [`super::gate::switch_account_location`]).
    Deny {
        route: Arc<RouteRuntime>,
        principal: Arc<Principal>,
        redirect: Option<String>,
    },
    /// The session's token expired and could not be re-issued because the store is out
    /// (past `session.outage_grace`): `503` with `Retry-After`, not a sign-in.
    Unavailable {
        route: Arc<RouteRuntime>,
    },
}

pub fn is_control_path(path: &str) -> bool {
    path.strip_prefix(CONTROL_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The first half: the route for `req`, or the answer when there is none. `path` is the
/// request's path with its canonical form ([`crate::config::canonical_path`], which
/// refuses dot segments): routes, public paths and rules are matched on the canonical form.
#[inline]
pub fn route<'r>(
    runtime: &'r Runtime,
    req: &RequestHeader,
    path: RequestPath<'_>,
) -> Result<&'r Arc<RouteRuntime>, Action> {
    if is_control_path(path.raw) || is_control_path(path.canonical) {
        return Err(Action::Control);
    }
    let host = request::route_host(req).map_err(Action::Refuse)?;
    runtime
        .router
        .find(&host, path.canonical)
        .ok_or(Action::NoRoute)
}

/// Whether the route's policy looks at the session for `path` (a public route or public
/// path does not: its session cookie is not even read).
#[inline]
pub fn reads_session(route: &RouteRuntime, path: RequestPath<'_>) -> bool {
    authz::public_rule(&route.route, path).is_none()
}

/// The second half: the route's policy applied to `principal` at `now` (seconds).
pub fn policy(
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
            .by_session(principal.is_some() && verdict.rule != authz::Rule::Realm);
    }
    let redirect = || {
        request::is_browser_navigation(req)
            .then(|| original_url(req, tls, runtime.config.server.trust_forwarded_headers))
    };
    let challenge = |step_up: bool| Action::Challenge {
        route: route.clone(),
        redirect: redirect(),
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
                redirect: redirect(),
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
