//! `[session]`: the cookie and the lifetimes.

use std::time::Duration;

use super::super::file::FileConfig;
use super::super::model::*;
use super::super::problem::Problem;
use super::is_localhost;

pub(super) fn session_settings(
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
               v: Option<super::super::duration::ConfigDuration>,
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
    let outage_grace = s.outage_grace.map_or(Duration::from_secs(120), |d| d.0);
    if outage_grace > Duration::from_secs(3600) {
        problems.push(Problem::new(
            "session.outage_grace",
            "must not be longer than 1h (a revoked session lives this long past its token on an instance cut off from the store)",
        ));
    }
    SessionSettings {
        cookie_name,
        cookie_domain,
        ttl,
        idle_timeout,
        token_ttl,
        key_rotation,
        outage_grace,
    }
}
