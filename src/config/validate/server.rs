//! `public_url`, `[server]`, `[[listeners]]` (with their certificates), `[metrics]` and
//! `[store]`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use url::Url;

use super::super::file::{FileConfig, ListenerFile};
use super::super::model::*;
use super::super::problem::Problem;
use super::{
    redact_url, resolve, DEFAULT_CONTROL_BODY_LIMIT, DEFAULT_HEADER_TIMEOUT,
    DEFAULT_KEEPALIVE_TIMEOUT, DEFAULT_STORE_URL,
};
use crate::tls::pem;

/// `public_url` must be a plain origin we can safely build redirects and cookies from.
pub(super) fn check_public_url(raw: &str, problems: &mut Vec<Problem>) -> Option<Url> {
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

pub(super) fn server_settings(file: &FileConfig, problems: &mut Vec<Problem>) -> ServerSettings {
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
    let keepalive_timeout = s
        .keepalive_timeout
        .map_or(DEFAULT_KEEPALIVE_TIMEOUT, |d| d.0);
    if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&keepalive_timeout) {
        problems.push(Problem::new(
            "server.keepalive_timeout",
            "must be between 1s and 1h",
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
        keepalive_timeout,
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

pub(super) fn listeners(
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

/// `[metrics] address`, which must not be a listener's.
pub(super) fn metrics(
    file: &FileConfig,
    listeners: &[Listener],
    problems: &mut Vec<Problem>,
) -> Option<SocketAddr> {
    file.metrics
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
        })
}

/// `[store]`: the URL's scheme, pool size and connect timeout.
pub(super) fn store_settings(
    file: &FileConfig,
    base_dir: &Path,
    problems: &mut Vec<Problem>,
) -> StoreSettings {
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
    let timeout = file.store.timeout.map_or(Duration::from_secs(5), |d| d.0);
    if timeout.is_zero() {
        problems.push(Problem::new("store.timeout", "must be longer than zero"));
    }
    let store = StoreSettings {
        url: store_url(&file.store, base_dir, problems),
        max_connections,
        connect_timeout,
        timeout,
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
    store
}

/// `store.url`, or the first line of the file `store.url_file` names (a mounted Kubernetes
/// or Docker secret), or the default.
fn store_url(
    store: &crate::config::file::StoreFile,
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
