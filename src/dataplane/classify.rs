//! The request decision, free of I/O: which route, and whether to hand off to the control
//! plane, proxy, challenge (sign in) or deny. `request_filter` carries the decision out;
//! keeping it pure makes it cheap to reason about and to benchmark.

use std::sync::Arc;

use pingora::http::RequestHeader;

use crate::config::Policy;
use crate::session::Principal;

use super::authz::{self, Decision};
use super::runtime::{RouteRuntime, Runtime};
use super::{authn, request};

pub const CONTROL_PREFIX: &str = "/.passgate";

pub enum Action {
    /// `/.passgate/*`: answered by the control plane on every host.
    Control,
    NoRoute,
    Proxy {
        route: Arc<RouteRuntime>,
        principal: Option<Principal>,
    },
    /// Sign-in needed: `redirect` holds the original URL for browser navigations (302 to
    /// the sign-in page); `None` means answer 401.
    Challenge {
        route: Arc<RouteRuntime>,
        redirect: Option<String>,
    },
    Deny {
        route: Arc<RouteRuntime>,
        principal: Principal,
    },
}

pub fn is_control_path(path: &str) -> bool {
    path.strip_prefix(CONTROL_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

pub fn classify(runtime: &Runtime, req: &RequestHeader, tls: bool) -> Action {
    let path = req.uri.path();
    if is_control_path(path) {
        return Action::Control;
    }
    let host = request::host(req);
    let Some(route) = runtime.router.find(&host, path) else {
        return Action::NoRoute;
    };
    let principal = match route.route.policy {
        Policy::Public => None,
        Policy::Authenticated => authn::authenticate(req, runtime),
    };
    match authz::decide(&route.route, principal.as_ref()) {
        Decision::Allow => Action::Proxy {
            route: route.clone(),
            principal,
        },
        Decision::Challenge => Action::Challenge {
            route: route.clone(),
            redirect: request::is_browser_navigation(req).then(|| original_url(req, tls)),
        },
        Decision::Deny => match principal {
            Some(principal) => Action::Deny {
                route: route.clone(),
                principal,
            },
            None => Action::Challenge {
                route: route.clone(),
                redirect: None,
            },
        },
    }
}

/// The URL the client asked for, for the sign-in page's `rd`.
fn original_url(req: &RequestHeader, tls: bool) -> String {
    let host = request::raw_host(req);
    let scheme = if tls { "https" } else { "http" };
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
