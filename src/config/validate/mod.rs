//! Cross-checks the parsed file and builds the runtime model: every problem is collected
//! (not just the first), each naming its key path. Relative file paths are resolved against
//! the directory of the config file. One file per part of the file: [`server`] (public_url,
//! `[server]`, listeners, metrics, `[store]`), [`session`], [`realms`], [`routes`]
//! (`[[routes]]` and their upstreams; access rules in `validate_access`), `[email]` in
//! `email`.

mod login_url;
mod realms;
mod routes;
mod server;
mod session;

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::file::FileConfig;
use super::model::*;
use super::problem::Problem;

pub use server::is_localhost;

pub const DEFAULT_TENANT: &str = "default";
pub const DEFAULT_REALM: &str = "default";
pub const DEFAULT_STORE_URL: &str = "sqlite://passgate.db";
const DEFAULT_CONTROL_BODY_LIMIT: u64 = 1024 * 1024;
/// How long a client has to send a request head (`server.header_timeout`).
const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an idle HTTP/1 connection is kept (`server.keepalive_timeout`).
const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(60);
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
        Some(raw) => server::check_public_url(raw, problems),
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

    let server = server::server_settings(&file, problems);
    let listeners = server::listeners(&file.listeners, base_dir, problems);
    let metrics = server::metrics(&file, &listeners, problems);
    let store = server::store_settings(&file, base_dir, problems);

    let realms = realms::realms(&file.realms, &auth_host, base_dir, problems);
    let session = session::session_settings(&file, &auth_host, problems);
    let routes = routes::routes(&file.routes, &realms, base_dir, options, problems);
    let email = file
        .email
        .as_ref()
        .and_then(|e| super::email::email_settings(e, base_dir, problems));
    if file.email.is_none() {
        for (i, r) in realms.iter().enumerate() {
            if r.scim_on_create == ScimOnCreate::EmailBindingLink {
                problems.push(Problem::new(
                    format!("realms[{i}].scim.on_create"),
                    "\"email_binding_link\" mails binding links: it needs an [email] section",
                ));
            }
        }
    }

    let oidc = super::oidc::oidc_settings(file.oidc.as_ref(), &realms, problems);

    if problems.len() > start {
        return None;
    }
    let config = Config {
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
        oidc,
    };
    // A client's users sign in on the hosted page of the auth host: its realm.
    let auth_realm = config.sign_in_realm(&config.auth_host);
    if let Some(f) = &file.oidc {
        for ((i, _), c) in f.clients.iter().zip(&config.oidc.clients) {
            if c.realm != auth_realm {
                problems.push(Problem::new(
                    format!("oidc.clients[{i}].realm"),
                    format!(
                        "sign-in on the auth host \"{}\" is for realm \"{auth_realm}\": a client of realm \"{}\" could never be signed in to",
                        config.auth_host, c.realm
                    ),
                ));
            }
        }
    }
    (problems.len() == start).then_some(config)
}

pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

pub(crate) fn identifier_rule(s: &str) -> String {
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
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}
