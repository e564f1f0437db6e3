//! Validation of a route's access keys (`allow_*`, `public_paths`, `rules`, `max_auth_age`)
//! and identity headers (`headers.preset`, `headers.extra`): unknown values and
//! contradictions are reported with their key path.

use std::time::Duration;

use http::{HeaderName, Method};

use super::access::{Access, Allow, Claim, IdentityHeaders, MethodRule, PathPattern, Preset};
use super::file::{OneOrMany, RouteFile};
use super::model::Policy;
use super::problem::Problem;

/// Headers an `extra` mapping may not set: passgate or the HTTP layer owns them.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "cookie",
    "authorization",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "forwarded",
    "x-passgate-jwt-assertion",
];

pub fn access(
    r: &RouteFile,
    path: &str,
    policy: Policy,
    problems: &mut Vec<Problem>,
) -> (Access, IdentityHeaders) {
    let identity = headers(r, path, problems);
    if policy == Policy::Public {
        let set: Vec<&str> = [
            ("allow_groups", r.allow_groups.is_some()),
            ("allow_users", r.allow_users.is_some()),
            ("allow_email_domains", r.allow_email_domains.is_some()),
            ("public_paths", r.public_paths.is_some()),
            ("max_auth_age", r.max_auth_age.is_some()),
            ("rules", !r.rules.is_empty()),
            ("assertion", r.assertion == Some(true)),
            ("login_url", r.login_url.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, on)| on.then_some(k))
        .collect();
        for k in set {
            problems.push(Problem::new(
                format!("{path}.{k}"),
                "contradicts policy = \"public\" (nobody signs in on a public route)",
            ));
        }
        return (Access::default(), identity);
    }
    if policy == Policy::Optional {
        let set: Vec<&str> = [
            ("allow_groups", r.allow_groups.is_some()),
            ("allow_users", r.allow_users.is_some()),
            ("allow_email_domains", r.allow_email_domains.is_some()),
            ("max_auth_age", r.max_auth_age.is_some()),
            ("rules", !r.rules.is_empty()),
            ("login_url", r.login_url.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, on)| on.then_some(k))
        .collect();
        for k in set {
            problems.push(Problem::new(
                format!("{path}.{k}"),
                "contradicts policy = \"optional\" (an optional route lets everyone through, so \
                 it never refuses anyone): make the route \"authenticated\", or give the part \
                 that must be restricted a route of its own",
            ));
        }
    }
    let allow = allow_lists(
        path,
        &r.allow_groups,
        &r.allow_users,
        &r.allow_email_domains,
        problems,
    );
    let max_auth_age = age(path, r.max_auth_age.map(|d| d.0), problems);
    let mut public_paths = Vec::new();
    for (k, p) in r.public_paths.iter().flatten().enumerate() {
        if !p.starts_with('/') || p.contains(['?', '#', ' ']) {
            problems.push(Problem::new(
                format!("{path}.public_paths[{k}]"),
                format!("\"{p}\" must start with / and contain no ?, # or spaces"),
            ));
        } else if let Some(msg) = super::canonical::config_path_problem(p) {
            problems.push(Problem::new(format!("{path}.public_paths[{k}]"), msg));
        } else if p.contains('*') {
            public_paths.push(PathPattern::Glob(p.clone()));
        } else {
            public_paths.push(PathPattern::Prefix(p.clone()));
        }
    }
    let mut rules = Vec::new();
    let mut seen: Vec<(Method, usize)> = Vec::new();
    for (k, rule) in r.rules.iter().enumerate() {
        let rpath = format!("{path}.rules[{k}]");
        let mut methods = Vec::new();
        if rule.methods.is_empty() {
            problems.push(Problem::new(
                format!("{rpath}.methods"),
                "name at least one method",
            ));
        }
        for (m, name) in rule.methods.iter().enumerate() {
            let upper = name.to_ascii_uppercase();
            let Ok(method) = Method::from_bytes(upper.as_bytes()) else {
                problems.push(Problem::new(
                    format!("{rpath}.methods[{m}]"),
                    format!("\"{name}\" is not an HTTP method"),
                ));
                continue;
            };
            if let Some((_, j)) = seen.iter().find(|(x, _)| *x == method) {
                problems.push(Problem::new(
                    format!("{rpath}.methods[{m}]"),
                    format!("{method} is already decided by {path}.rules[{j}]"),
                ));
                continue;
            }
            seen.push((method.clone(), k));
            methods.push(method);
        }
        let allow = allow_lists(
            &rpath,
            &rule.allow_groups,
            &rule.allow_users,
            &rule.allow_email_domains,
            problems,
        );
        let any = rule.allow_any == Some(true);
        if rule.allow_any == Some(false) {
            problems.push(Problem::new(
                format!("{rpath}.allow_any"),
                "only `allow_any = true` means something; remove the key",
            ));
        }
        if any && !allow.is_open() {
            problems.push(Problem::new(
                format!("{rpath}.allow_any"),
                "contradicts the rule's allow_groups / allow_users / allow_email_domains",
            ));
        }
        if !any && allow.is_open() {
            problems.push(Problem::new(
                rpath.clone(),
                "say who is allowed: allow_any = true, or allow_groups / allow_users / allow_email_domains",
            ));
        }
        let max_auth_age = age(&rpath, rule.max_auth_age.map(|d| d.0), problems);
        rules.push(MethodRule {
            methods,
            allow,
            max_auth_age,
        });
    }
    let access = Access {
        allow,
        public_paths,
        rules,
        max_auth_age,
    };
    (access, identity)
}

fn age(path: &str, d: Option<Duration>, problems: &mut Vec<Problem>) -> Option<Duration> {
    if d.is_some_and(|d| d.is_zero()) {
        problems.push(Problem::new(
            format!("{path}.max_auth_age"),
            "must be greater than zero",
        ));
    }
    d
}

fn allow_lists(
    path: &str,
    groups: &Option<Vec<String>>,
    users: &Option<Vec<String>>,
    domains: &Option<Vec<String>>,
    problems: &mut Vec<Problem>,
) -> Allow {
    let mut list = |key: &str, v: &Option<Vec<String>>, lower: bool| -> Vec<String> {
        let Some(v) = v else { return Vec::new() };
        if v.is_empty() {
            problems.push(Problem::new(
                format!("{path}.{key}"),
                "an empty list allows nobody; remove the key or name someone",
            ));
        }
        let mut out = Vec::with_capacity(v.len());
        for (k, item) in v.iter().enumerate() {
            let t = item.trim();
            if t.is_empty() || (key == "allow_email_domains" && t.contains('@')) {
                problems.push(Problem::new(
                    format!("{path}.{key}[{k}]"),
                    format!("\"{item}\" is not valid here"),
                ));
            }
            out.push(if lower {
                t.to_ascii_lowercase()
            } else {
                t.to_string()
            });
        }
        out
    };
    Allow {
        groups: list("allow_groups", groups, false),
        users: list("allow_users", users, true),
        email_domains: list("allow_email_domains", domains, true),
    }
}

fn headers(r: &RouteFile, path: &str, problems: &mut Vec<Problem>) -> IdentityHeaders {
    let Some(h) = &r.headers else {
        return IdentityHeaders::default();
    };
    let names: &[String] = match &h.preset {
        None => &[],
        Some(p) => p.as_slice(),
    };
    let mut presets = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let key = match &h.preset {
            Some(OneOrMany::Many(_)) => format!("{path}.headers.preset[{k}]"),
            _ => format!("{path}.headers.preset"),
        };
        match Preset::parse(name) {
            Some(p) if presets.contains(&p) => {
                problems.push(Problem::new(key, format!("\"{name}\" is listed twice")))
            }
            Some(p) => presets.push(p),
            None => problems.push(Problem::new(
                key,
                format!(
                    "\"{name}\" is not a preset: use {}",
                    Preset::NAMES
                        .iter()
                        .map(|(n, _)| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    if h.preset.is_none() {
        presets.push(Preset::Passgate);
    }
    let taken: Vec<&str> = presets
        .iter()
        .flat_map(|p| p.headers())
        .map(|(n, _)| *n)
        .collect();
    let mut extra: Vec<(HeaderName, Claim)> = Vec::new();
    for (name, claim) in &h.extra {
        let key = format!("{path}.headers.extra.\"{name}\"");
        let Ok(hn) = HeaderName::from_bytes(name.as_bytes()) else {
            problems.push(Problem::new(key, "not a valid header name"));
            continue;
        };
        if RESERVED_HEADERS.contains(&hn.as_str()) {
            problems.push(Problem::new(key, "this header is not passgate's to set"));
            continue;
        }
        if taken.contains(&hn.as_str()) || extra.iter().any(|(n, _)| *n == hn) {
            problems.push(Problem::new(key, "this header is already set by a preset"));
            continue;
        }
        match Claim::parse(claim) {
            Some(c) => extra.push((hn, c)),
            None => problems.push(Problem::new(
                key,
                format!(
                    "\"{claim}\" is not a claim the session token carries: use {}",
                    Claim::NAMES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    IdentityHeaders::from_presets(&presets, extra)
}
