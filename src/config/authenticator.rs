//! `[[realms.authenticator_configs]]`: how a realm's binding links are opened (Beyond
//! Identity's *authenticator configuration*). Every realm has the default `hosted_web`
//! one (passgate's own `/.passgate/bind` page, under `link_base` or `public_url`); declared
//! ones are `embedded` (the app's own page at `invoke_url`, with `trusted_origins` that may
//! run ceremonies from pages passgate does not serve) or further `hosted_web` ones.
//!
//! A binding link is always `{invoke_url}/bind?token=…`, Beyond Identity's form: the
//! default's `invoke_url` is `{link_base or public_url}/.passgate`.

use url::Url;

use super::file::AuthenticatorConfigFile;
use super::model::{Config, Realm};
use super::problem::Problem;

/// The id of every realm's default configuration (passgate's hosted pages).
pub const HOSTED_WEB_ID: &str = "hosted_web";

/// Beyond Identity's `config.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthenticatorType {
    /// passgate's hosted binding page.
    HostedWeb,
    /// The app's own page, driving the ceremony API with the SDK.
    Embedded,
}

impl AuthenticatorType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthenticatorType::HostedWeb => "hosted_web",
            AuthenticatorType::Embedded => "embedded",
        }
    }
}

/// Beyond Identity's `config.invocation_type`. passgate's binding links are the same for
/// both (always `{invoke_url}/bind?token=…`, returned or mailed as the job says); the value
/// is kept and shown for clients written against Beyond Identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    Automatic,
    Manual,
}

impl InvocationType {
    pub fn as_str(self) -> &'static str {
        match self {
            InvocationType::Automatic => "automatic",
            InvocationType::Manual => "manual",
        }
    }
}

/// One declared authenticator configuration of a realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorSettings {
    pub id: String,
    pub display_name: String,
    pub kind: AuthenticatorType,
    /// Where links lead, without a trailing slash (`{invoke_url}/bind?token=…`). `None`
    /// for a `hosted_web` configuration that keeps the realm's default.
    pub invoke_url: Option<String>,
    pub invocation_type: InvocationType,
    /// Serialised origins (`https://app.example.com`, `http://localhost:3000`) allowed to
    /// run ceremonies from their own pages; empty for `hosted_web`.
    pub trusted_origins: Vec<String>,
}

impl Realm {
    /// The default `hosted_web` configuration's `invoke_url`: `{link_base}/.passgate`, or
    /// `{public_url}/.passgate` without `link_base`.
    pub fn hosted_invoke_url(&self, public_url: &Url) -> String {
        let base = self.link_base.as_ref().unwrap_or(public_url).as_str();
        format!("{}/.passgate", base.trim_end_matches('/'))
    }

    /// The `invoke_url` of the realm's configuration `id` (the default for `hosted_web`),
    /// or `None` when the realm declares no such configuration.
    pub fn invoke_url(&self, public_url: &Url, id: &str) -> Option<String> {
        if id == HOSTED_WEB_ID {
            return Some(self.hosted_invoke_url(public_url));
        }
        let c = self.authenticator_configs.iter().find(|c| c.id == id)?;
        Some(
            c.invoke_url
                .clone()
                .unwrap_or_else(|| self.hosted_invoke_url(public_url)),
        )
    }

    /// Every trusted origin of the realm's configurations.
    pub fn trusted_origins(&self) -> impl Iterator<Item = &str> {
        self.authenticator_configs
            .iter()
            .flat_map(|c| c.trusted_origins.iter().map(String::as_str))
    }
}

impl Config {
    /// Whether `origin` (an `Origin` header's value) is a trusted origin of any realm's
    /// authenticator configuration: CORS and the cross-site check accept it on
    /// `/.passgate/api/v1/*`.
    pub fn is_trusted_origin(&self, origin: &str) -> bool {
        self.realms
            .iter()
            .flat_map(Realm::trusted_origins)
            .any(|o| o.eq_ignore_ascii_case(origin))
    }
}

/// An absolute http(s) URL with a host and no credentials, query or fragment, as written
/// minus a trailing slash.
fn invoke_url(raw: &str) -> Result<String, String> {
    let u = Url::parse(raw).map_err(|e| format!("\"{raw}\" is not an absolute URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(format!("\"{raw}\" is not an absolute http(s) URL"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(format!("\"{raw}\" must not carry credentials"));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(format!(
            "\"{raw}\" must have no query or fragment (links are {{invoke_url}}/bind?token=…)"
        ));
    }
    Ok(u.as_str().trim_end_matches('/').to_string())
}

/// A serialised origin (`scheme://host[:port]`), checked against the realm's RP id.
fn trusted_origin(raw: &str, rp_id: &str) -> Result<String, String> {
    let u = Url::parse(raw).map_err(|e| format!("\"{raw}\" is not an origin: {e}"))?;
    let bare = matches!(u.path(), "" | "/")
        && u.query().is_none()
        && u.fragment().is_none()
        && u.username().is_empty()
        && u.password().is_none();
    let Some(host) = u.host_str().filter(|_| bare) else {
        return Err(format!(
            "\"{raw}\" is not an origin: write scheme://host[:port] only"
        ));
    };
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("\"{raw}\": use an http:// or https:// origin"));
    }
    let host = host.to_ascii_lowercase();
    if u.scheme() == "http" && !super::validate::is_localhost(&host) {
        return Err(format!(
            "\"{raw}\": plain http is only allowed for localhost (browsers run passkey ceremonies only in secure contexts)"
        ));
    }
    if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
        return Err(format!(
            "\"{raw}\" is not under the realm's rp_id \"{rp_id}\": browsers refuse passkeys of \"{rp_id}\" on it"
        ));
    }
    Ok(u.origin().ascii_serialization())
}

/// Checks the realm's `authenticator_configs` (at key path `{path}.authenticator_configs`).
pub(super) fn authenticator_configs(
    items: &[AuthenticatorConfigFile],
    path: &str,
    rp_id: &str,
    problems: &mut Vec<Problem>,
) -> Vec<AuthenticatorSettings> {
    let mut out: Vec<AuthenticatorSettings> = Vec::new();
    for (i, c) in items.iter().enumerate() {
        let at = |key: &str| format!("{path}.authenticator_configs[{i}].{key}");
        let before = problems.len();
        if c.id == HOSTED_WEB_ID {
            problems.push(Problem::new(
                at("id"),
                "\"hosted_web\" is the realm's default configuration (change its links with the realm's link_base)",
            ));
        } else if !super::validate::is_identifier(&c.id) {
            problems.push(Problem::new(
                at("id"),
                super::validate::identifier_rule(&c.id),
            ));
        } else if items[..i].iter().any(|o| o.id == c.id) {
            problems.push(Problem::new(
                at("id"),
                format!("duplicate authenticator configuration id \"{}\"", c.id),
            ));
        }
        let kind = match c.kind.as_str() {
            "embedded" => AuthenticatorType::Embedded,
            "hosted_web" => AuthenticatorType::HostedWeb,
            other => {
                problems.push(Problem::new(
                    at("type"),
                    format!("\"{other}\": use \"embedded\" or \"hosted_web\""),
                ));
                AuthenticatorType::Embedded
            }
        };
        let invocation_type = match c.invocation_type.as_deref().unwrap_or("automatic") {
            "automatic" => InvocationType::Automatic,
            "manual" => InvocationType::Manual,
            other => {
                problems.push(Problem::new(
                    at("invocation_type"),
                    format!("\"{other}\": use \"automatic\" or \"manual\""),
                ));
                InvocationType::Automatic
            }
        };
        let invoke = match (&c.invoke_url, kind) {
            (None, AuthenticatorType::Embedded) => {
                problems.push(Problem::new(
                    at("invoke_url"),
                    "missing: an embedded configuration needs the app page links lead to, e.g. \"https://app.example.com/passkeys\"",
                ));
                None
            }
            (None, AuthenticatorType::HostedWeb) => None,
            (Some(raw), _) => match invoke_url(raw) {
                Ok(u) if kind == AuthenticatorType::HostedWeb && !u.ends_with("/.passgate") => {
                    problems.push(Problem::new(
                        at("invoke_url"),
                        format!("\"{raw}\": a hosted_web configuration's invoke_url is passgate's, ending in /.passgate"),
                    ));
                    None
                }
                Ok(u) => Some(u),
                Err(m) => {
                    problems.push(Problem::new(at("invoke_url"), m));
                    None
                }
            },
        };
        let mut trusted_origins = Vec::new();
        match (&c.trusted_origins, kind) {
            (Some(_), AuthenticatorType::HostedWeb) => problems.push(Problem::new(
                at("trusted_origins"),
                "a hosted_web configuration's origins are passgate's own (the realm's WebAuthn origins)",
            )),
            (Some(list), AuthenticatorType::Embedded) => {
                for (k, o) in list.iter().enumerate() {
                    match trusted_origin(o, rp_id) {
                        Ok(o) if trusted_origins.contains(&o) => problems.push(Problem::new(
                            format!("{}[{k}]", at("trusted_origins")),
                            format!("duplicate origin \"{o}\""),
                        )),
                        Ok(o) => trusted_origins.push(o),
                        Err(m) => problems.push(Problem::new(
                            format!("{}[{k}]", at("trusted_origins")),
                            m,
                        )),
                    }
                }
            }
            (None, _) => {}
        }
        if problems.len() == before {
            out.push(AuthenticatorSettings {
                id: c.id.clone(),
                display_name: c.display_name.clone().unwrap_or_else(|| c.id.clone()),
                kind,
                invoke_url: invoke,
                invocation_type,
                trusted_origins,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn load(extra: &str) -> Result<crate::config::Config, Vec<String>> {
        let src = format!(
            "public_url = \"https://auth.example.com\"\n[[listeners]]\naddress = \"127.0.0.1:18443\"\n\
             [[realms]]\nid = \"default\"\nrp_id = \"example.com\"\n{extra}"
        );
        crate::config::from_str(&src, Path::new(".")).map_err(|p| {
            p.iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect()
        })
    }

    #[test]
    fn embedded_configs_are_read_and_links_follow_invoke_url() {
        let c = load(
            "link_base = \"https://www.example.com/\"\n\
             [[realms.authenticator_configs]]\nid = \"shop\"\ntype = \"embedded\"\n\
             invoke_url = \"https://shop.example.com/passkeys/\"\ninvocation_type = \"manual\"\n\
             trusted_origins = [\"https://shop.example.com/\", \"https://EXAMPLE.com:8443\"]\n\
             [[realms.authenticator_configs]]\nid = \"web2\"\ntype = \"hosted_web\"\n",
        )
        .unwrap();
        let realm = c.realm("default").unwrap();
        let shop = &realm.authenticator_configs[0];
        assert_eq!(shop.display_name, "shop");
        assert_eq!(shop.invocation_type, super::InvocationType::Manual);
        assert_eq!(
            shop.trusted_origins,
            ["https://shop.example.com", "https://example.com:8443"]
        );
        let public = &c.public_url;
        assert_eq!(
            realm.invoke_url(public, "shop").as_deref(),
            Some("https://shop.example.com/passkeys")
        );
        assert_eq!(
            realm.invoke_url(public, "hosted_web").as_deref(),
            Some("https://www.example.com/.passgate")
        );
        assert_eq!(
            realm.invoke_url(public, "web2").as_deref(),
            Some("https://www.example.com/.passgate")
        );
        assert_eq!(realm.invoke_url(public, "nope"), None);
        assert!(c.is_trusted_origin("https://shop.example.com"));
        assert!(!c.is_trusted_origin("https://shop.example.com.evil.test"));
        assert!(!c.is_trusted_origin("https://www.example.com"));
    }

    #[test]
    fn bad_configs_are_reported_with_their_key_paths() {
        let p = load(
            "[[realms.authenticator_configs]]\nid = \"hosted_web\"\ntype = \"hosted_web\"\n\
             [[realms.authenticator_configs]]\nid = \"Bad Id\"\ntype = \"native\"\n\
             invocation_type = \"sometimes\"\ninvoke_url = \"/relative\"\n\
             [[realms.authenticator_configs]]\nid = \"app\"\ntype = \"embedded\"\n\
             trusted_origins = [\"https://app.example.com/path\", \"http://app.example.com\", \
             \"https://evil.test\", \"ftp://example.com\", \"https://a.example.com\", \"https://a.example.com\"]\n\
             [[realms.authenticator_configs]]\nid = \"app\"\ntype = \"hosted_web\"\n\
             invoke_url = \"https://auth.example.com/bind\"\ntrusted_origins = []\n\
             [[realms.authenticator_configs]]\nid = \"q\"\ntype = \"embedded\"\n\
             invoke_url = \"https://app.example.com/p?x=1\"\n",
        )
        .unwrap_err();
        let a = "realms[0].authenticator_configs";
        for key in [
            format!("{a}[0].id"),
            format!("{a}[1].id"),
            format!("{a}[1].type"),
            format!("{a}[1].invocation_type"),
            format!("{a}[1].invoke_url"),
            format!("{a}[2].invoke_url: missing"),
            format!("{a}[2].trusted_origins[0]: \"https://app.example.com/path\" is not an origin"),
            format!("{a}[2].trusted_origins[1]: \"http://app.example.com\": plain http"),
            format!("{a}[2].trusted_origins[2]: \"https://evil.test\" is not under"),
            format!("{a}[2].trusted_origins[3]"),
            format!("{a}[2].trusted_origins[5]: duplicate"),
            format!("{a}[3].id: duplicate"),
            format!("{a}[3].invoke_url"),
            format!("{a}[3].trusted_origins"),
            format!("{a}[4].invoke_url"),
        ] {
            assert!(p.iter().any(|l| l.starts_with(&key)), "{key} in {p:#?}");
        }
        assert!(!p
            .iter()
            .any(|l| l.starts_with(&format!("{a}[2].trusted_origins[4]"))));
        let unknown = load(
            "[[realms.authenticator_configs]]\nid = \"x\"\ntype = \"embedded\"\nurl = \"x\"\n",
        )
        .unwrap_err();
        assert!(unknown.iter().any(|l| l.contains("url")), "{unknown:?}");
    }
}
