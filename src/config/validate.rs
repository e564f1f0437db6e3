//! Cross-checks the parsed file and builds the runtime model: every problem is collected
//! (not just the first), each naming its key path. Relative file paths are resolved against
//! the directory of the config file.

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::file::{FileConfig, ListenerFile, RealmFile, RouteFile};
use super::model::*;
use super::problem::Problem;
use crate::tls::pem;

pub const DEFAULT_TENANT: &str = "default";
pub const DEFAULT_REALM: &str = "default";
pub const DEFAULT_STORE_URL: &str = "sqlite://passgate.db";
const DEFAULT_CONTROL_BODY_LIMIT: u64 = 1024 * 1024;
/// How long a client has to send a request head (`server.header_timeout`).
const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Route ids the metrics use for requests that no configured route answered.
pub const RESERVED_ROUTE_IDS: &[&str] = &["passgate", "none"];

/// Builds the validated [`Config`], or pushes every problem and returns `None`.
pub fn validate(file: FileConfig, base_dir: &Path, problems: &mut Vec<Problem>) -> Option<Config> {
    validate_with(file, base_dir, super::LoadOptions::default(), problems)
}

/// [`validate`] with `options`.
pub fn validate_with(
    file: FileConfig,
    base_dir: &Path,
    options: super::LoadOptions,
    problems: &mut Vec<Problem>,
) -> Option<Config> {
    let start = problems.len();

    let public_url = match &file.public_url {
        None => {
            problems.push(Problem::new(
                "public_url",
                "missing: set the URL users reach passgate at, e.g. \"https://auth.example.com\"",
            ));
            None
        }
        Some(raw) => check_public_url(raw, problems),
    };
    let auth_host = public_url
        .as_ref()
        .and_then(|u| u.host_str())
        .map(|h| h.to_ascii_lowercase())
        .unwrap_or_default();

    let tenant_id = file
        .tenant_id
        .clone()
        .unwrap_or_else(|| DEFAULT_TENANT.into());
    if !is_identifier(&tenant_id) {
        problems.push(Problem::new("tenant_id", identifier_rule(&tenant_id)));
    }

    let server = server_settings(&file, problems);
    let listeners = listeners(&file.listeners, base_dir, problems);
    let metrics = file
        .metrics
        .as_ref()
        .and_then(|m| match parse_socket_addr(&m.address) {
            Ok(addr) => {
                if listeners.iter().any(|l| addrs_conflict(l.address, addr)) {
                    problems.push(Problem::new(
                        "metrics.address",
                        format!("{addr} is also a listener address"),
                    ));
                }
                Some(addr)
            }
            Err(msg) => {
                problems.push(Problem::new("metrics.address", msg));
                None
            }
        });

    let max_connections = file.store.max_connections.unwrap_or(10);
    if !(1..=1000).contains(&max_connections) {
        problems.push(Problem::new(
            "store.max_connections",
            "must be between 1 and 1000",
        ));
    }
    let connect_timeout = file
        .store
        .connect_timeout
        .map_or(Duration::from_secs(5), |d| d.0);
    if connect_timeout.is_zero() {
        problems.push(Problem::new(
            "store.connect_timeout",
            "must be longer than zero",
        ));
    }
    let store = StoreSettings {
        url: store_url(&file.store, base_dir, problems),
        max_connections,
        connect_timeout,
    };
    let scheme_ok = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| store.url.starts_with(p));
    if !scheme_ok {
        problems.push(Problem::new(
            "store.url",
            format!(
                "unsupported store URL \"{}\": use sqlite://PATH or postgres://USER@HOST/DB",
                redact_url(&store.url)
            ),
        ));
    }

    let realms = realms(&file.realms, &auth_host, problems);
    let session = session_settings(&file, &auth_host, problems);
    let routes = routes(&file.routes, &realms, base_dir, options, problems);
    let email = file
        .email
        .as_ref()
        .and_then(|e| super::email::email_settings(e, base_dir, problems));

    if problems.len() > start {
        return None;
    }
    Some(Config {
        public_url: public_url?,
        auth_host,
        tenant_id,
        server,
        listeners,
        metrics,
        store,
        realms,
        routes,
        session,
        email,
    })
}

fn session_settings(
    file: &FileConfig,
    auth_host: &str,
    problems: &mut Vec<Problem>,
) -> SessionSettings {
    let s = &file.session;
    let cookie_name = s
        .cookie_name
        .clone()
        .unwrap_or_else(|| "passgate_session".into());
    let token_char = |b: u8| b.is_ascii_alphanumeric() || b"!#$&'*+-.^_`|~".contains(&b);
    if cookie_name.is_empty() || !cookie_name.bytes().all(token_char) {
        problems.push(Problem::new(
            "session.cookie_name",
            format!(
                "\"{cookie_name}\" is not a valid cookie name (letters, digits and !#$&'*+-.^_`|~)"
            ),
        ));
    }
    let cookie_domain = s
        .cookie_domain
        .as_ref()
        .map(|d| d.trim_start_matches('.').to_ascii_lowercase());
    if let Some(d) = &cookie_domain {
        if !d.contains('.') && !is_localhost(d) {
            problems.push(Problem::new(
                "session.cookie_domain",
                format!("\"{d}\" is a top-level domain: browsers refuse such cookies"),
            ));
        } else if !auth_host.is_empty() && auth_host != d && !auth_host.ends_with(&format!(".{d}"))
        {
            problems.push(Problem::new(
                "session.cookie_domain",
                format!("the auth host \"{auth_host}\" is not under \"{d}\": sign-in there could not set the cookie"),
            ));
        }
    }
    let dur = |problems: &mut Vec<Problem>,
               key: &str,
               v: Option<super::duration::ConfigDuration>,
               default: Duration| {
        let d = v.map_or(default, |d| d.0);
        if d < Duration::from_secs(1) {
            problems.push(Problem::new(
                format!("session.{key}"),
                "must be at least 1s",
            ));
        }
        d
    };
    let ttl = dur(problems, "ttl", s.ttl, Duration::from_secs(12 * 3600));
    let idle_timeout = dur(
        problems,
        "idle_timeout",
        s.idle_timeout,
        Duration::from_secs(2 * 3600),
    );
    let token_ttl = dur(problems, "token_ttl", s.token_ttl, Duration::from_secs(300));
    if token_ttl > ttl {
        problems.push(Problem::new(
            "session.token_ttl",
            "must not be longer than session.ttl",
        ));
    }
    if idle_timeout < token_ttl {
        problems.push(Problem::new(
            "session.idle_timeout",
            "must not be shorter than session.token_ttl (activity is seen when a token is re-issued)",
        ));
    }
    let key_rotation = s.key_rotation.map(|d| d.0);
    if key_rotation.is_some_and(|d| d < Duration::from_secs(3600) || d <= token_ttl) {
        problems.push(Problem::new(
            "session.key_rotation",
            "must be at least 1h and longer than session.token_ttl",
        ));
    }
    SessionSettings {
        cookie_name,
        cookie_domain,
        ttl,
        idle_timeout,
        token_ttl,
        key_rotation,
    }
}

/// `public_url` must be a plain origin we can safely build redirects and cookies from.
fn check_public_url(raw: &str, problems: &mut Vec<Problem>) -> Option<Url> {
    let bad = |problems: &mut Vec<Problem>, msg: String| {
        problems.push(Problem::new("public_url", msg));
        None
    };
    let url = match Url::parse(raw) {
        Ok(u) => u,
        Err(e) => return bad(problems, format!("\"{raw}\" is not an absolute URL: {e}")),
    };
    if url.scheme() != "https" && url.scheme() != "http" {
        return bad(
            problems,
            format!(
                "scheme must be https (or http for localhost), not \"{}\"",
                url.scheme()
            ),
        );
    }
    let Some(host) = url.host() else {
        return bad(problems, "a host is required".into());
    };
    let host_str = match host {
        url::Host::Domain(d) => d.to_ascii_lowercase(),
        _ => {
            return bad(
                problems,
                "the host must be a domain name: WebAuthn refuses IP addresses (use localhost for local use)".into(),
            )
        }
    };
    if host_str.contains('*') {
        return bad(problems, "the host may not be a wildcard".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return bad(problems, "user info (user:password@) is not allowed".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return bad(
            problems,
            "a query or fragment is not allowed: give the origin only".into(),
        );
    }
    if url.path() != "/" {
        return bad(
            problems,
            format!(
                "a path (\"{}\") is not allowed: passgate serves under /.passgate/ on the origin",
                url.path()
            ),
        );
    }
    if url.scheme() == "http" && !is_localhost(&host_str) {
        return bad(
            problems,
            "plain http is only allowed for localhost: session cookies must be Secure elsewhere"
                .into(),
        );
    }
    Some(url)
}

pub fn is_localhost(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost")
}

fn server_settings(file: &FileConfig, problems: &mut Vec<Problem>) -> ServerSettings {
    let s = &file.server;
    let threads = match s.threads {
        Some(0) => {
            problems.push(Problem::new("server.threads", "must be at least 1"));
            1
        }
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let log_format = match s.log_format.as_deref() {
        None | Some("human") => LogFormat::Human,
        Some("json") => LogFormat::Json,
        Some(other) => {
            problems.push(Problem::new(
                "server.log_format",
                format!("\"{other}\" is not a log format: use \"human\" or \"json\""),
            ));
            LogFormat::Human
        }
    };
    let control_body_limit = s.control_body_limit.unwrap_or(DEFAULT_CONTROL_BODY_LIMIT);
    if !(1024..=64 * 1024 * 1024).contains(&control_body_limit) {
        problems.push(Problem::new(
            "server.control_body_limit",
            "must be between 1024 and 67108864 bytes",
        ));
    }
    let header_timeout = s.header_timeout.map_or(DEFAULT_HEADER_TIMEOUT, |d| d.0);
    if !(Duration::from_millis(100)..=Duration::from_secs(600)).contains(&header_timeout) {
        problems.push(Problem::new(
            "server.header_timeout",
            "must be between 100ms and 10m",
        ));
    }
    ServerSettings {
        threads,
        grace_period: s.grace_period.map_or(Duration::from_secs(5), |d| d.0),
        graceful_shutdown_timeout: s
            .graceful_shutdown_timeout
            .map_or(Duration::from_secs(10), |d| d.0),
        log_format,
        access_log: s.access_log.unwrap_or(true),
        trust_forwarded_headers: s.trust_forwarded_headers.unwrap_or(false),
        control_body_limit: control_body_limit as usize,
        header_timeout,
    }
}

fn parse_socket_addr(raw: &str) -> Result<SocketAddr, String> {
    raw.parse::<SocketAddr>().map_err(|_| {
        format!("\"{raw}\" is not a socket address: write IP:PORT, e.g. \"0.0.0.0:8443\" or \"[::]:8443\"")
    })
}

fn addrs_conflict(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

fn listeners(
    items: &[(usize, ListenerFile)],
    base_dir: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<Listener> {
    if items.is_empty() && !problems.iter().any(|p| p.path.starts_with("listeners")) {
        problems.push(Problem::new(
            "listeners",
            "at least one [[listeners]] is required, e.g. address = \"0.0.0.0:8080\"",
        ));
    }
    let mut out: Vec<(usize, Listener)> = Vec::new();
    for (i, l) in items {
        let path = format!("listeners[{i}]");
        let address = match parse_socket_addr(&l.address) {
            Ok(a) => a,
            Err(msg) => {
                problems.push(Problem::new(format!("{path}.address"), msg));
                continue;
            }
        };
        if let Some((j, _)) = out.iter().find(|(_, o)| addrs_conflict(o.address, address)) {
            problems.push(Problem::new(
                format!("{path}.address"),
                format!("duplicate listener: {address} overlaps listeners[{j}]"),
            ));
        }
        let mut certificates = Vec::new();
        for (k, c) in l.certificates.iter().enumerate() {
            let cpath = format!("{path}.certificates[{k}]");
            let paths = CertificatePaths {
                cert: resolve(base_dir, &c.cert),
                key: resolve(base_dir, &c.key),
            };
            if let Err(msg) = pem::load_certified_key(&paths.cert, &paths.key) {
                problems.push(Problem::new(cpath, msg));
            }
            certificates.push(paths);
        }
        if l.http2 == Some(true) && certificates.is_empty() {
            problems.push(Problem::new(
                format!("{path}.http2"),
                "HTTP/2 is negotiated with ALPN on TLS listeners only; add certificates or remove http2",
            ));
        }
        out.push((
            *i,
            Listener {
                address,
                http2: l.http2.unwrap_or(true) && !certificates.is_empty(),
                certificates,
            },
        ));
    }
    out.into_iter().map(|(_, l)| l).collect()
}

fn realms(
    items: &[(usize, RealmFile)],
    auth_host: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Realm> {
    let mut out: Vec<Realm> = Vec::new();
    for (i, r) in items {
        let path = format!("realms[{i}]");
        if !is_identifier(&r.id) {
            problems.push(Problem::new(format!("{path}.id"), identifier_rule(&r.id)));
        }
        if out.iter().any(|o| o.id == r.id) {
            problems.push(Problem::new(
                format!("{path}.id"),
                format!("duplicate realm id \"{}\"", r.id),
            ));
        }
        let rp_id = r
            .rp_id
            .clone()
            .unwrap_or_else(|| auth_host.to_string())
            .to_ascii_lowercase();
        if !rp_id.contains('.') && !is_localhost(&rp_id) && !rp_id.is_empty() {
            problems.push(Problem::new(
                format!("{path}.rp_id"),
                format!("\"{rp_id}\" is a top-level domain: use the auth host or a registrable parent of it"),
            ));
        } else if !auth_host.is_empty()
            && rp_id != auth_host
            && !auth_host.ends_with(&format!(".{rp_id}"))
        {
            problems.push(Problem::new(
                format!("{path}.rp_id"),
                format!(
                    "\"{rp_id}\" must be the auth host \"{auth_host}\" or a parent domain of it (WebAuthn requires it)"
                ),
            ));
        }
        let binding = super::email::realm_binding(r, &path, problems);
        out.push(Realm {
            id: r.id.clone(),
            display_name: r.display_name.clone().unwrap_or_else(|| r.id.clone()),
            rp_name: r.rp_name.clone().unwrap_or_else(|| "passgate".into()),
            rp_id,
            link_base: binding.link_base,
            binding_link_ttl: binding.ttl,
            allowed_redirects: binding.allowed_redirects,
            attestation_required: binding.attestation_required,
            allowed_aaguids: binding.allowed_aaguids,
        });
    }
    if out.is_empty() && items.is_empty() {
        out.push(Realm {
            id: DEFAULT_REALM.into(),
            display_name: "Default".into(),
            rp_id: auth_host.to_string(),
            rp_name: "passgate".into(),
            link_base: None,
            binding_link_ttl: super::model::DEFAULT_BINDING_LINK_TTL,
            allowed_redirects: Vec::new(),
            attestation_required: false,
            allowed_aaguids: Vec::new(),
        });
    }
    out
}

fn routes(
    items: &[(usize, RouteFile)],
    realms: &[Realm],
    base_dir: &Path,
    options: super::LoadOptions,
    problems: &mut Vec<Problem>,
) -> Vec<Arc<Route>> {
    let mut out: Vec<Arc<Route>> = Vec::new();
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
        } else if let Some(msg) = super::canonical::config_path_problem(&path_prefix) {
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
            Some(other) => {
                problems.push(Problem::new(
                    format!("{path}.policy"),
                    format!("\"{other}\" is not a policy: use \"public\" or \"authenticated\""),
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
                        d: Option<super::duration::ConfigDuration>,
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

        let (access, identity) = super::validate_access::access(r, &path, policy, problems);

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
            out.push(Arc::new(Route {
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
            }));
        }
    }
    out
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

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn identifier_rule(s: &str) -> String {
    format!("\"{s}\" must be 1 to 64 characters of a-z, 0-9, - and _")
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Hides a password in a URL for messages and logs.
/// `store.url`, or the first line of the file `store.url_file` names (a mounted Kubernetes
/// or Docker secret), or the default.
fn store_url(
    store: &super::file::StoreFile,
    base_dir: &Path,
    problems: &mut Vec<Problem>,
) -> String {
    let Some(name) = &store.url_file else {
        return store
            .url
            .clone()
            .unwrap_or_else(|| DEFAULT_STORE_URL.to_string());
    };
    if store.url.is_some() {
        problems.push(Problem::new(
            "store.url_file",
            "set either store.url or store.url_file, not both",
        ));
    }
    let path = base_dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => match text.lines().next().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_string(),
            _ => {
                problems.push(Problem::new(
                    "store.url_file",
                    format!("{} is empty: it must hold the store URL", path.display()),
                ));
                DEFAULT_STORE_URL.to_string()
            }
        },
        Err(e) => {
            problems.push(Problem::new(
                "store.url_file",
                format!("cannot read {}: {e}", path.display()),
            ));
            DEFAULT_STORE_URL.to_string()
        }
    }
}

pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}
