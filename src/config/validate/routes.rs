//! `[[routes]]`: host patterns, path prefixes, upstreams, realm, timeouts, upstream TLS,
//! ids; the access rules and identity headers are checked in `validate_access`.

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::super::file::RouteFile;
use super::super::model::*;
use super::super::problem::Problem;
use super::{resolve, DEFAULT_REALM, RESERVED_ROUTE_IDS};
use crate::tls::pem;

pub(super) fn routes(
    items: &[(usize, RouteFile)],
    realms: &[Realm],
    base_dir: &Path,
    options: crate::config::LoadOptions,
    problems: &mut Vec<Problem>,
) -> Vec<Arc<Route>> {
    let mut out: Vec<(usize, Arc<Route>)> = Vec::new();
    let mut seen: HashMap<(HostPattern, String), usize> = HashMap::new();
    let mut ids: HashSet<String> = HashSet::new();
    for (i, r) in items {
        let path = format!("routes[{i}]");
        let before = problems.len();

        let host = parse_host_pattern(&r.host).unwrap_or_else(|msg| {
            problems.push(Problem::new(format!("{path}.host"), msg));
            HostPattern::Any
        });
        let path_prefix = r.path_prefix.clone().unwrap_or_else(|| "/".into());
        if !path_prefix.starts_with('/') || path_prefix.contains(['?', '#', ' ']) {
            problems.push(Problem::new(
                format!("{path}.path_prefix"),
                format!("\"{path_prefix}\" must start with / and contain no ?, # or spaces"),
            ));
        } else if path_prefix.starts_with("/.passgate") {
            problems.push(Problem::new(
                format!("{path}.path_prefix"),
                "/.passgate/ is reserved for passgate's own pages and APIs",
            ));
        } else if let Some(msg) = super::super::canonical::config_path_problem(&path_prefix) {
            problems.push(Problem::new(format!("{path}.path_prefix"), msg));
        }
        if let Some(j) = seen.insert((host.clone(), path_prefix.clone()), *i) {
            problems.push(Problem::new(
                format!("{path}.path_prefix"),
                format!(
                    "routes[{j}] already routes host \"{}\" with path_prefix \"{path_prefix}\"",
                    r.host
                ),
            ));
        }

        let upstreams = upstreams(
            r.upstream.as_slice(),
            &format!("{path}.upstream"),
            options.resolve_upstreams,
            problems,
        );

        let policy = match r.policy.as_deref() {
            None | Some("authenticated") => Policy::Authenticated,
            Some("public") => Policy::Public,
            Some("optional") => Policy::Optional,
            Some(other) => {
                problems.push(Problem::new(
                    format!("{path}.policy"),
                    format!(
                        "\"{other}\" is not a policy: use \"authenticated\" (a session is required; \
                         the default), \"optional\" (everyone is let through; a signed-in user \
                         arrives with the identity headers, for a gradual rollout) or \"public\" \
                         (nobody signs in; identity headers are only stripped)"
                    ),
                ));
                Policy::Authenticated
            }
        };

        let realm = match &r.realm {
            Some(id) => id.clone(),
            None if realms.iter().any(|x| x.id == DEFAULT_REALM) => DEFAULT_REALM.into(),
            None => realms.first().map(|x| x.id.clone()).unwrap_or_default(),
        };
        if !realms.iter().any(|x| x.id == realm) {
            let known: Vec<&str> = realms.iter().map(|x| x.id.as_str()).collect();
            problems.push(Problem::new(
                format!("{path}.realm"),
                format!(
                    "realm \"{realm}\" is not defined (defined: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }

        let host_header = match r.host_header.as_deref() {
            None | Some("preserve") => HostHeader::Preserve,
            Some("upstream") => HostHeader::Upstream,
            Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic()) => {
                HostHeader::Fixed(v.to_string())
            }
            Some(v) => {
                problems.push(Problem::new(
                    format!("{path}.host_header"),
                    format!("\"{v}\" is not \"preserve\", \"upstream\" or a valid host"),
                ));
                HostHeader::Preserve
            }
        };

        let positive = |problems: &mut Vec<Problem>,
                        key: &str,
                        d: Option<super::super::duration::ConfigDuration>,
                        default: u64| {
            let d = d.map_or(Duration::from_secs(default), |d| d.0);
            if d.is_zero() {
                problems.push(Problem::new(
                    format!("{path}.{key}"),
                    "must be greater than zero",
                ));
            }
            d
        };
        let connect_timeout = positive(problems, "connect_timeout", r.connect_timeout, 5);
        let read_timeout = positive(problems, "read_timeout", r.read_timeout, 60);
        let write_timeout = positive(problems, "write_timeout", r.write_timeout, 60);
        let fail_timeout = positive(problems, "fail_timeout", r.fail_timeout, 10);
        let max_fails = r.max_fails.unwrap_or(1);
        if max_fails == 0 {
            problems.push(Problem::new(
                format!("{path}.max_fails"),
                "must be at least 1",
            ));
        }

        let any_tls = upstreams.iter().any(|u| u.tls);
        let mut ca_certs = Vec::new();
        if let Some(ca) = &r.tls_ca_file {
            if !any_tls {
                problems.push(Problem::new(
                    format!("{path}.tls_ca_file"),
                    "set, but no upstream of this route uses https",
                ));
            }
            match pem::load_certs(&resolve(base_dir, ca)) {
                Ok(c) => ca_certs = c,
                Err(msg) => problems.push(Problem::new(format!("{path}.tls_ca_file"), msg)),
            }
        }
        if let Some(name) = &r.tls_server_name {
            if rustls::pki_types::ServerName::try_from(name.as_str()).is_err() {
                problems.push(Problem::new(
                    format!("{path}.tls_server_name"),
                    format!("\"{name}\" is not a valid server name"),
                ));
            }
        }

        let (access, identity) = super::super::validate_access::access(r, &path, policy, problems);
        let login_url = r.login_url.as_ref().and_then(|raw| {
            super::login_url::syntax(raw)
                .map_err(|m| problems.push(Problem::new(format!("{path}.login_url"), m)))
                .ok()
                .map(|_| raw.clone())
        });

        let id =
            r.id.clone()
                .unwrap_or_else(|| format!("{}{}", r.host, path_prefix));
        if RESERVED_ROUTE_IDS.contains(&id.as_str()) {
            problems.push(Problem::new(
                format!("{path}.id"),
                format!("\"{id}\" is reserved (metrics use it for passgate's own and unrouted requests)"),
            ));
        } else if !ids.insert(id.clone()) && r.id.is_some() {
            // An implicit id repeats only when host and prefix repeat, reported above.
            problems.push(Problem::new(
                format!("{path}.id"),
                format!("duplicate route id \"{id}\""),
            ));
        }

        if problems.len() == before {
            out.push((
                *i,
                Arc::new(Route {
                    id,
                    host,
                    path_prefix,
                    upstreams,
                    policy,
                    realm,
                    host_header,
                    connect_timeout,
                    read_timeout,
                    write_timeout,
                    tls: UpstreamTls {
                        ca_certs,
                        server_name: r.tls_server_name.clone(),
                        verify: r.tls_verify.unwrap_or(true),
                    },
                    max_fails,
                    fail_timeout,
                    access,
                    identity,
                    forward_session_cookie: r.forward_session_cookie.unwrap_or(false),
                    assertion: r.assertion.unwrap_or(false),
                    login_url,
                }),
            ));
        }
    }
    super::login_url::reachable(&out, problems);
    out.into_iter().map(|(_, r)| r).collect()
}

fn parse_host_pattern(raw: &str) -> Result<HostPattern, String> {
    let h = raw.trim().to_ascii_lowercase();
    if h == "*" {
        return Ok(HostPattern::Any);
    }
    let (wild, name) = match h.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, h.as_str()),
    };
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !valid {
        return Err(format!(
            "\"{raw}\" is not a host name: use app.example.com, *.example.com or * (no scheme, port or path)"
        ));
    }
    Ok(if wild {
        HostPattern::Wildcard(format!(".{name}"))
    } else {
        HostPattern::Exact(name.to_string())
    })
}

fn upstreams(
    raw: &[String],
    path: &str,
    resolve: bool,
    problems: &mut Vec<Problem>,
) -> Vec<Upstream> {
    if raw.is_empty() {
        problems.push(Problem::new(path, "at least one upstream URL is required"));
    }
    let mut out = Vec::new();
    for (k, u) in raw.iter().enumerate() {
        let upath = if raw.len() == 1 {
            path.to_string()
        } else {
            format!("{path}[{k}]")
        };
        let url = match Url::parse(u) {
            Ok(url) => url,
            Err(e) => {
                problems.push(Problem::new(
                    upath,
                    format!("\"{u}\" is not an absolute URL: {e}"),
                ));
                continue;
            }
        };
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            s => {
                problems.push(Problem::new(
                    upath,
                    format!("scheme \"{s}\" is not supported: use http:// or https://"),
                ));
                continue;
            }
        };
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            problems.push(Problem::new(
                upath,
                format!("\"{u}\": give scheme, host and port only; requests keep their own path"),
            ));
            continue;
        }
        let Some(host) = url
            .host_str()
            .map(|h| h.trim_matches(['[', ']']).to_string())
        else {
            problems.push(Problem::new(upath, format!("\"{u}\" has no host")));
            continue;
        };
        let port = url
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 });
        let literal = host.parse::<std::net::IpAddr>().ok();
        if !resolve && literal.is_none() {
            // `check --no-resolve`: a name is taken as given (no addresses).
            out.push(Upstream {
                url: u.clone(),
                tls,
                host,
                port,
                addrs: Vec::new(),
            });
            continue;
        }
        let addrs: Vec<SocketAddr> = match (host.as_str(), port).to_socket_addrs() {
            Ok(a) => a.collect(),
            Err(e) => {
                problems.push(Problem::new(
                    upath,
                    format!("cannot resolve \"{host}\": {e}"),
                ));
                continue;
            }
        };
        if addrs.is_empty() {
            problems.push(Problem::new(
                upath,
                format!("\"{host}\" resolves to no address"),
            ));
            continue;
        }
        out.push(Upstream {
            url: u.clone(),
            tls,
            host,
            port,
            addrs,
        });
    }
    out
}
