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
    /// Keyed by suffix such as `.example.com`; looked up suffix by suffix, longest first.
    wildcard: HashMap<Box<str>, HostRoutes>,
    any: HostRoutes,
}

impl Router {
    pub fn new(routes: impl IntoIterator<Item = Arc<RouteRuntime>>) -> Self {
        let mut r = Router::default();
        for rt in routes {
            match &rt.route.host {
                HostPattern::Exact(h) => r
                    .exact
                    .entry(h.as_str().into())
                    .or_default()
                    .routes
                    .push(rt),
                HostPattern::Wildcard(s) => r
                    .wildcard
                    .entry(s.as_str().into())
                    .or_default()
                    .routes
                    .push(rt),
                HostPattern::Any => r.any.routes.push(rt),
            }
        }
        r.exact.values_mut().for_each(HostRoutes::sort);
        r.wildcard.values_mut().for_each(HostRoutes::sort);
        r.any.sort();
        r
    }

    /// `host` must already be lower-cased and without a port.
    pub fn find(&self, host: &str, path: &str) -> Option<&Arc<RouteRuntime>> {
        if let Some(found) = self.exact.get(host).and_then(|h| h.find(path)) {
            return Some(found);
        }
        if !self.wildcard.is_empty() {
            // `a.b.example.com` tries `.b.example.com`, then `.example.com`, then `.com`.
            for (i, _) in host.match_indices('.') {
                if i == 0 {
                    continue;
                }
                if let Some(found) = self.wildcard.get(&host[i..]).and_then(|h| h.find(path)) {
                    return Some(found);
                }
            }
        }
        self.any.find(path)
    }

    /// Whether the config fronts this host at all (used to vet `rd` targets).
    pub fn fronts_host(&self, host: &str) -> bool {
        self.exact.contains_key(host)
            || host
                .match_indices('.')
                .any(|(i, _)| i > 0 && self.wildcard.contains_key(&host[i..]))
            || !self.any.routes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::dataplane::Runtime;

    fn runtime() -> Runtime {
        let toml = r#"
public_url = "http://localhost:8080"
[[listeners]]
address = "127.0.0.1:8080"
[[routes]]
id = "deep"
host = "*.eu.example.com"
upstream = "http://127.0.0.1:9"
[[routes]]
id = "wide"
host = "*.example.com"
upstream = "http://127.0.0.1:9"
[[routes]]
id = "wide-api"
host = "*.example.com"
path_prefix = "/api"
upstream = "http://127.0.0.1:9"
[[routes]]
id = "exact"
host = "app.eu.example.com"
path_prefix = "/only"
upstream = "http://127.0.0.1:9"
"#;
        let cfg = crate::config::from_str(toml, std::path::Path::new(".")).unwrap();
        Runtime::new(Arc::new(cfg))
    }

    fn id(rt: &Runtime, host: &str, path: &str) -> Option<String> {
        rt.router.find(host, path).map(|r| r.route.id.clone())
    }

    #[test]
    fn longest_wildcard_suffix_then_prefix() {
        let rt = runtime();
        assert_eq!(id(&rt, "a.eu.example.com", "/"), Some("deep".into()));
        assert_eq!(id(&rt, "x.y.eu.example.com", "/api"), Some("deep".into()));
        assert_eq!(id(&rt, "a.example.com", "/api/v1"), Some("wide-api".into()));
        assert_eq!(id(&rt, "a.b.example.com", "/"), Some("wide".into()));
        // An exact host without a matching prefix falls through to the wildcards.
        assert_eq!(
            id(&rt, "app.eu.example.com", "/only/x"),
            Some("exact".into())
        );
        assert_eq!(id(&rt, "app.eu.example.com", "/other"), Some("deep".into()));
        // A wildcard never matches the bare domain, nor a look-alike.
        assert_eq!(id(&rt, "example.com", "/"), None);
        assert_eq!(id(&rt, "badexample.com", "/"), None);
        assert!(rt.router.fronts_host("z.example.com"));
        assert!(!rt.router.fronts_host("example.org"));
    }
}
