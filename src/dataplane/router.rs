//! Route lookup: exact host, then the longest matching wildcard suffix, then `*`; within a
//! host, the longest matching path prefix. Built once per config, read lock-free.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::HostPattern;

use super::runtime::RouteRuntime;

#[derive(Default)]
struct HostRoutes {
    /// Longest prefix first.
    routes: Vec<Arc<RouteRuntime>>,
}

impl HostRoutes {
    fn find(&self, path: &str) -> Option<&Arc<RouteRuntime>> {
        self.routes.iter().find(|r| r.route.matches_path(path))
    }

    fn sort(&mut self) {
        self.routes
            .sort_by_key(|r| std::cmp::Reverse(r.route.path_prefix.len()));
    }
}

#[derive(Default)]
pub struct Router {
    exact: HashMap<Box<str>, HostRoutes>,
    /// (suffix such as `.example.com`, routes), longest suffix first.
    wildcard: Vec<(Box<str>, HostRoutes)>,
    any: HostRoutes,
}

impl Router {
    pub fn new(routes: impl IntoIterator<Item = Arc<RouteRuntime>>) -> Self {
        let mut r = Router::default();
        let mut wild: HashMap<Box<str>, HostRoutes> = HashMap::new();
        for rt in routes {
            match &rt.route.host {
                HostPattern::Exact(h) => r
                    .exact
                    .entry(h.as_str().into())
                    .or_default()
                    .routes
                    .push(rt),
                HostPattern::Wildcard(s) => {
                    wild.entry(s.as_str().into()).or_default().routes.push(rt)
                }
                HostPattern::Any => r.any.routes.push(rt),
            }
        }
        r.wildcard = wild.into_iter().collect();
        r.wildcard.sort_by_key(|w| std::cmp::Reverse(w.0.len()));
        r.exact.values_mut().for_each(HostRoutes::sort);
        r.wildcard.iter_mut().for_each(|(_, h)| h.sort());
        r.any.sort();
        r
    }

    /// `host` must already be lower-cased and without a port.
    pub fn find(&self, host: &str, path: &str) -> Option<&Arc<RouteRuntime>> {
        if let Some(found) = self.exact.get(host).and_then(|h| h.find(path)) {
            return Some(found);
        }
        for (suffix, routes) in &self.wildcard {
            if host.len() > suffix.len() && host.ends_with(&**suffix) {
                if let Some(found) = routes.find(path) {
                    return Some(found);
                }
            }
        }
        self.any.find(path)
    }

    /// Whether the config fronts this host at all (used to vet `rd` targets).
    pub fn fronts_host(&self, host: &str) -> bool {
        self.exact.contains_key(host)
            || self
                .wildcard
                .iter()
                .any(|(s, _)| host.len() > s.len() && host.ends_with(&**s))
            || !self.any.routes.is_empty()
    }
}
