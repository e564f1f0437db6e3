//! A route's `login_url`: the app's own sign-in page, where unauthenticated browsers go
//! instead of `/.passgate/login`. It must be a path on the route's host (no scheme or
//! host: no open redirect), outside `/.passgate/`, in canonical form, only on an
//! `authenticated` route, and reachable without a session: on the route with the same
//! `host` and the longest matching `path_prefix`, the path is public (a `public` or
//! `optional` route, or under that route's `public_paths`). Otherwise the browser would loop between the page
//! and the redirect.

use std::sync::Arc;

use super::super::canonical::{config_path_problem, RequestPath};
use super::super::model::{Policy, Route};
use super::super::problem::Problem;

const MAX_LEN: usize = 1024;

/// The path part of `raw` (before `?`), or why `raw` is not a usable `login_url`.
pub(super) fn syntax(raw: &str) -> Result<String, String> {
    if !raw.starts_with('/') || raw.starts_with("//") {
        return Err(format!(
            "\"{raw}\" must be a path on the route's host, starting with a single / (no scheme or host)"
        ));
    }
    if raw.len() > MAX_LEN
        || raw
            .bytes()
            .any(|b| b.is_ascii_control() || matches!(b, b' ' | b'#' | b'\\') || !b.is_ascii())
    {
        return Err(format!(
            "\"{raw}\" must be at most {MAX_LEN} printable ASCII characters without spaces, # or \\"
        ));
    }
    let path = raw.split('?').next().unwrap_or(raw);
    if path == "/.passgate" || path.starts_with("/.passgate/") {
        return Err(format!(
            "\"{raw}\" is passgate's own path: login_url names the app's sign-in page (leave it out for /.passgate/login)"
        ));
    }
    if let Some(msg) = config_path_problem(path) {
        return Err(msg);
    }
    Ok(path.to_string())
}

/// Checks that every route's `login_url` is reachable without a session. `routes` pairs each
/// built route with its index in the file (for the key path).
pub(super) fn reachable(routes: &[(usize, Arc<Route>)], problems: &mut Vec<Problem>) {
    for (i, route) in routes {
        let Some(login) = &route.login_url else {
            continue;
        };
        let key = format!("routes[{i}].login_url");
        let path = login.split('?').next().unwrap_or(login);
        let serving = routes
            .iter()
            .map(|(_, r)| r)
            .filter(|r| r.host == route.host && r.matches_path(path))
            .max_by_key(|r| r.path_prefix.len());
        let Some(serving) = serving else {
            problems.push(Problem::new(
                key,
                format!("\"{path}\": no route with this host serves it"),
            ));
            continue;
        };
        let public = matches!(serving.policy, Policy::Public | Policy::Optional)
            || serving
                .access
                .public_path(RequestPath::new(path, path))
                .is_some();
        if !public {
            problems.push(Problem::new(
                key,
                format!(
                    "\"{path}\" needs a session on route \"{}\" (browsers would loop): add it to that route's public_paths or serve it from a public route",
                    serving.id
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn problems(routes: &str) -> Vec<String> {
        let src = format!(
            "public_url = \"https://auth.example.com\"\n[[listeners]]\naddress = \"127.0.0.1:18443\"\n{routes}"
        );
        match crate::config::from_str(&src, Path::new(".")) {
            Ok(_) => Vec::new(),
            Err(p) => p
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect(),
        }
    }

    const UP: &str = "upstream = \"http://127.0.0.1:9\"\n";

    #[test]
    fn a_public_path_of_the_route_or_a_public_route_is_accepted() {
        let own = format!(
            "[[routes]]\nhost = \"app.example.com\"\n{UP}public_paths = [\"/signin\"]\nlogin_url = \"/signin?from=gate\"\n"
        );
        assert!(problems(&own).is_empty(), "{:?}", problems(&own));
        let other = format!(
            "[[routes]]\nhost = \"app.example.com\"\n{UP}login_url = \"/auth/signin\"\n\
             [[routes]]\nhost = \"app.example.com\"\npath_prefix = \"/auth\"\n{UP}policy = \"public\"\n"
        );
        assert!(problems(&other).is_empty(), "{:?}", problems(&other));
        let optional = other.replace("policy = \"public\"", "policy = \"optional\"");
        assert!(problems(&optional).is_empty(), "{:?}", problems(&optional));
        let c = crate::config::from_str(
            &format!("public_url = \"https://auth.example.com\"\n[[listeners]]\naddress = \"127.0.0.1:18443\"\n{own}"),
            Path::new("."),
        )
        .unwrap();
        assert_eq!(c.routes[0].login_url.as_deref(), Some("/signin?from=gate"));
        let rd = "https://app.example.com/a?b=1&c";
        assert_eq!(
            c.routes[0].login_location(rd),
            "/signin?from=gate&rd=https%3A%2F%2Fapp.example.com%2Fa%3Fb%3D1%26c"
        );
        let mut r = (*c.routes[0]).clone();
        r.login_url = Some("/signin".into());
        assert_eq!(r.login_location("/x"), "/signin?rd=%2Fx");
        r.login_url = Some("/signin?".into());
        assert_eq!(r.login_location("/x"), "/signin?rd=%2Fx");
        r.login_url = None;
        assert_eq!(r.login_location("/x"), "/.passgate/login?rd=%2Fx");
    }

    #[test]
    fn unusable_login_urls_are_reported_with_their_key_path() {
        for (url, needle) in [
            ("https://evil.test/signin", "single /"),
            ("//evil.test/signin", "single /"),
            ("signin", "single /"),
            ("/sign in", "printable"),
            ("/signin#x", "printable"),
            ("/.passgate/login", "passgate's own"),
            ("/a/../signin", "segment"),
        ] {
            let p = problems(&format!(
                "[[routes]]\nhost = \"app.example.com\"\n{UP}public_paths = [\"/\"]\nlogin_url = \"{url}\"\n"
            ));
            assert!(
                p.iter()
                    .any(|l| l.starts_with("routes[0].login_url") && l.contains(needle)),
                "{url}: {p:?}"
            );
        }
        // Needs a session where it is served: refused, naming the route.
        let p = problems(&format!(
            "[[routes]]\nhost = \"app.example.com\"\n{UP}login_url = \"/signin\"\n"
        ));
        assert!(
            p.iter().any(|l| l.starts_with("routes[0].login_url")
                && l.contains("needs a session on route \"app.example.com/\"")),
            "{p:?}"
        );
        // Served by a more specific protected route of the same host.
        let p = problems(&format!(
            "[[routes]]\nhost = \"app.example.com\"\n{UP}public_paths = [\"/auth\"]\nlogin_url = \"/auth/signin\"\n\
             [[routes]]\nhost = \"app.example.com\"\npath_prefix = \"/auth\"\n{UP}"
        ));
        assert!(
            p.iter()
                .any(|l| l.contains("needs a session on route \"app.example.com/auth\"")),
            "{p:?}"
        );
        // No route of that host serves the path.
        let p = problems(&format!(
            "[[routes]]\nhost = \"app.example.com\"\npath_prefix = \"/app\"\n{UP}login_url = \"/signin\"\n"
        ));
        assert!(
            p.iter().any(|l| l.contains("no route with this host")),
            "{p:?}"
        );
        // Public and optional routes never send anyone to sign in.
        for policy in ["public", "optional"] {
            let p = problems(&format!(
                "[[routes]]\nhost = \"app.example.com\"\n{UP}policy = \"{policy}\"\nlogin_url = \"/signin\"\n"
            ));
            assert!(
                p.iter()
                    .any(|l| l.starts_with("routes[0].login_url") && l.contains("contradicts")),
                "{policy}: {p:?}"
            );
        }
    }
}
