//! The binding-related settings: `[email]` (SMTP delivery of binding links, templates) and
//! the binding keys of `[[realms]]` (`link_base`, `binding_link_ttl`, `allowed_redirects`).
//! The SMTP password never appears in `Debug` output.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::file::{EmailFile, RealmFile};
use super::model::DEFAULT_BINDING_LINK_TTL;
use super::problem::Problem;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required), port 587 by default.
    StartTls,
    /// TLS from the first byte ("SMTPS"), port 465 by default.
    Tls,
    /// No TLS at all (a local relay), port 25 by default.
    None,
}

#[derive(Clone)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `From:` mailbox, e.g. `passgate <no-reply@example.com>`.
    pub from: String,
    /// Operator templates replacing the built-in ones.
    pub text_template: Option<PathBuf>,
    pub html_template: Option<PathBuf>,
    /// Connection and command timeout.
    pub timeout: Duration,
    /// Wait before the first retry of a failed delivery; doubled after every failure (at
    /// most one hour).
    pub retry_interval: Duration,
}

impl fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish()
    }
}

pub(super) fn email_settings(
    e: &EmailFile,
    base_dir: &Path,
    problems: &mut Vec<Problem>,
) -> Option<EmailSettings> {
    let start = problems.len();
    let security = match e.security.as_deref().unwrap_or("starttls") {
        "starttls" => SmtpSecurity::StartTls,
        "tls" => SmtpSecurity::Tls,
        "none" => SmtpSecurity::None,
        other => {
            problems.push(Problem::new(
                "email.security",
                format!("\"{other}\": use \"starttls\", \"tls\" or \"none\""),
            ));
            SmtpSecurity::None
        }
    };
    if e.host.trim().is_empty() {
        problems.push(Problem::new("email.host", "must not be empty"));
    }
    if e.from.parse::<lettre::message::Mailbox>().is_err() {
        problems.push(Problem::new(
            "email.from",
            format!(
                "\"{}\" is not a mailbox (name <user@host> or user@host)",
                e.from
            ),
        ));
    }
    if e.username.is_some() != e.password.is_some() {
        problems.push(Problem::new(
            "email.username",
            "username and password go together",
        ));
    }
    let mut template = |key: &str, value: &Option<String>| {
        value.as_ref().map(|p| {
            let path = base_dir.join(p);
            if !path.is_file() {
                problems.push(Problem::new(
                    format!("email.{key}"),
                    format!("cannot read \"{}\"", path.display()),
                ));
            }
            path
        })
    };
    let text_template = template("text_template", &e.text_template);
    let html_template = template("html_template", &e.html_template);
    let timeout = e.timeout.map_or(Duration::from_secs(10), |d| d.0);
    if timeout.is_zero() {
        problems.push(Problem::new("email.timeout", "must be longer than zero"));
    }
    let retry_interval = e.retry_interval.map_or(Duration::from_secs(30), |d| d.0);
    if retry_interval < Duration::from_secs(1) {
        problems.push(Problem::new("email.retry_interval", "must be at least 1s"));
    }
    if problems.len() > start {
        return None;
    }
    Some(EmailSettings {
        host: e.host.clone(),
        port: e.port.unwrap_or(match security {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }),
        security,
        username: e.username.clone(),
        password: e.password.clone(),
        from: e.from.clone(),
        text_template,
        html_template,
        timeout,
        retry_interval,
    })
}

pub(super) struct RealmBinding {
    pub link_base: Option<Url>,
    pub ttl: Duration,
    pub allowed_redirects: Vec<Url>,
    pub attestation_required: bool,
    pub allowed_aaguids: Vec<String>,
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn absolute_http(s: &str) -> Result<Url, String> {
    match Url::parse(s) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => Ok(u),
        _ => Err(format!("\"{s}\" is not an absolute http(s) URL")),
    }
}

pub(super) fn realm_binding(
    r: &RealmFile,
    path: &str,
    problems: &mut Vec<Problem>,
) -> RealmBinding {
    let link_base = r.link_base.as_ref().and_then(|s| match absolute_http(s) {
        Ok(u) => Some(u),
        Err(m) => {
            problems.push(Problem::new(format!("{path}.link_base"), m));
            None
        }
    });
    let ttl = r.binding_link_ttl.map_or(DEFAULT_BINDING_LINK_TTL, |d| d.0);
    if ttl < Duration::from_secs(60) || ttl > Duration::from_secs(90 * 24 * 3600) {
        problems.push(Problem::new(
            format!("{path}.binding_link_ttl"),
            "must be between 1 minute and 90 days",
        ));
    }
    let mut allowed_redirects = Vec::new();
    for (i, s) in r.allowed_redirects.iter().enumerate() {
        match absolute_http(s) {
            Ok(u) => allowed_redirects.push(u),
            Err(m) => problems.push(Problem::new(format!("{path}.allowed_redirects[{i}]"), m)),
        }
    }
    let attestation_required = match r.attestation.as_deref().unwrap_or("none") {
        "none" => false,
        "direct" => true,
        other => {
            problems.push(Problem::new(
                format!("{path}.attestation"),
                format!("\"{other}\": use \"none\" or \"direct\""),
            ));
            false
        }
    };
    let mut allowed_aaguids = Vec::new();
    for (i, a) in r.allowed_aaguids.iter().enumerate() {
        if is_uuid(a) {
            allowed_aaguids.push(a.to_ascii_lowercase());
        } else {
            problems.push(Problem::new(
                format!("{path}.allowed_aaguids[{i}]"),
                format!("\"{a}\" is not an AAGUID (8-4-4-4-12 hex digits)"),
            ));
        }
    }
    RealmBinding {
        link_base,
        ttl,
        allowed_redirects,
        attestation_required,
        allowed_aaguids,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn problems(extra: &str) -> Vec<String> {
        let src = format!(
            "public_url = \"https://auth.example.com\"\n[[listeners]]\naddress = \"127.0.0.1:18443\"\n{extra}"
        );
        match crate::config::from_str(&src, Path::new(".")) {
            Ok(_) => Vec::new(),
            Err(p) => p
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect(),
        }
    }

    #[test]
    fn email_settings_are_checked_and_the_password_is_redacted() {
        assert!(
            problems("[email]\nhost = \"smtp.example.com\"\nfrom = \"A <a@example.com>\"\n")
                .is_empty()
        );
        let p = problems(
            "[email]\nhost = \"\"\nfrom = \"not a mailbox\"\nsecurity = \"ssl\"\nusername = \"u\"\n",
        );
        for key in [
            "email.host",
            "email.from",
            "email.security",
            "email.username",
        ] {
            assert!(p.iter().any(|l| l.starts_with(key)), "{key} in {p:?}");
        }
        let src = "public_url = \"https://auth.example.com\"\n[[listeners]]\naddress = \"127.0.0.1:18443\"\n\
                   [email]\nhost = \"smtp.example.com\"\nfrom = \"a@example.com\"\nusername = \"u\"\npassword = \"hunter2\"\n";
        let c = crate::config::from_str(src, Path::new(".")).unwrap();
        let e = c.email.clone().unwrap();
        assert_eq!(e.port, 587);
        assert!(!format!("{e:?}").contains("hunter2"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn realm_binding_keys_are_checked() {
        let ok = "[[realms]]\nid = \"default\"\nlink_base = \"https://app.example.com/\"\n\
                  binding_link_ttl = \"2h\"\nallowed_redirects = [\"https://x.example.net/a\"]\n";
        assert!(problems(ok).is_empty(), "{:?}", problems(ok));
        let bad = "[[realms]]\nid = \"default\"\nlink_base = \"/relative\"\n\
                   binding_link_ttl = \"1s\"\nallowed_redirects = [\"ftp://x\"]\n\
                   attestation = \"indirect\"\nallowed_aaguids = [\"nope\"]\n";
        let p = problems(bad);
        for key in [
            "realms[0].link_base",
            "realms[0].binding_link_ttl",
            "realms[0].allowed_redirects[0]",
            "realms[0].attestation",
            "realms[0].allowed_aaguids[0]",
        ] {
            assert!(p.iter().any(|l| l.starts_with(key)), "{key} in {p:?}");
        }
    }
}
