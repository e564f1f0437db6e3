//! `[oidc]` and `[[oidc.clients]]`: the OpenID Connect provider's relying parties, checked
//! into [`OidcSettings`]. A client secret is kept only as its SHA-256 (given as
//! `secret_hash`, or read from the environment variable `secret_env` and hashed at once),
//! and never appears in `Debug` output.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use url::Url;

use super::file::{OidcClientFile, OidcFile};
use super::model::Realm;
use super::problem::Problem;
use super::validate::DEFAULT_REALM;

/// The scopes passgate understands (and a client may be given).
pub const SUPPORTED_SCOPES: &[&str] = &["openid", "profile", "email", "groups", "offline_access"];
/// A client's scopes when it lists none.
pub const DEFAULT_SCOPES: &[&str] = &["openid", "profile", "email", "groups", "offline_access"];
/// The shortest secret accepted from `secret_env` (bytes): a secret is hashed with one
/// SHA-256, which is only safe for high-entropy secrets.
pub const MIN_SECRET_LEN: usize = 32;
/// How long an authorization code lives (RFC 6749 recommends at most ten minutes; the
/// issue asks for at most 60 s).
pub const CODE_TTL: Duration = Duration::from_secs(60);

/// How a client proves itself at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAuthMethod {
    /// HTTP Basic with the client id and secret (the default).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A public client (no secret; PKCE required).
    None,
}

impl TokenAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenAuthMethod::ClientSecretPost => "client_secret_post",
            TokenAuthMethod::None => "none",
        }
    }
}

/// The algorithm a client's ID tokens are signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenAlg {
    Rs256,
    Es256,
    EdDsa,
}

impl IdTokenAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            IdTokenAlg::Rs256 => "RS256",
            IdTokenAlg::Es256 => "ES256",
            IdTokenAlg::EdDsa => "EdDSA",
        }
    }
}

/// SHA-256 of a client secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

impl SecretHash {
    pub fn of(secret: &str) -> SecretHash {
        SecretHash(Sha256::digest(secret.as_bytes()).into())
    }

    /// Whether `presented` is the secret (constant time in its hash).
    pub fn matches(&self, presented: &str) -> bool {
        let h: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        h.iter()
            .zip(self.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// One `[[oidc.clients]]` entry, checked.
#[derive(Debug, Clone)]
pub struct OidcClient {
    pub id: String,
    pub name: String,
    pub realm: String,
    /// `None` exactly for `token_endpoint_auth_method = "none"` (a public client).
    pub secret: Option<SecretHash>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Members of any of these groups may sign in to the client (`None`: everyone in the
    /// realm).
    pub allow_groups: Option<Vec<String>>,
    pub scopes: Vec<String>,
    pub auth_method: TokenAuthMethod,
    pub id_token_alg: IdTokenAlg,
}

impl OidcClient {
    /// A confidential client (it has a secret).
    pub fn is_confidential(&self) -> bool {
        self.secret.is_some()
    }
}

/// `[oidc]`: lifetimes and clients.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub access_token_ttl: Duration,
    /// A refresh token unused this long ends (it also ends with its session).
    pub refresh_token_ttl: Duration,
    pub clients: Vec<Arc<OidcClient>>,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            access_token_ttl: Duration::from_secs(600),
            refresh_token_ttl: Duration::from_secs(12 * 3600),
            clients: Vec::new(),
        }
    }
}

impl OidcSettings {
    pub fn client(&self, id: &str) -> Option<&Arc<OidcClient>> {
        self.clients.iter().find(|c| c.id == id)
    }
}

pub(super) fn oidc_settings(
    file: Option<&OidcFile>,
    realms: &[Realm],
    problems: &mut Vec<Problem>,
) -> OidcSettings {
    let mut out = OidcSettings::default();
    let Some(f) = file else {
        return out;
    };
    if let Some(d) = f.access_token_ttl {
        if d.0 < Duration::from_secs(1) || d.0 > Duration::from_secs(24 * 3600) {
            problems.push(Problem::new(
                "oidc.access_token_ttl",
                "must be between 1s and 24h",
            ));
        }
        out.access_token_ttl = d.0;
    }
    if let Some(d) = f.refresh_token_ttl {
        if d.0 < Duration::from_secs(60) {
            problems.push(Problem::new(
                "oidc.refresh_token_ttl",
                "must be at least 1m",
            ));
        }
        out.refresh_token_ttl = d.0;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in &f.clients {
        let path = format!("oidc.clients[{i}]");
        if seen.contains(&c.id.as_str()) {
            problems.push(Problem::new(
                format!("{path}.id"),
                format!("duplicate client id \"{}\"", c.id),
            ));
        }
        seen.push(&c.id);
        if let Some(client) = client(c, &path, realms, problems) {
            out.clients.push(Arc::new(client));
        }
    }
    out
}

fn client(
    c: &OidcClientFile,
    path: &str,
    realms: &[Realm],
    problems: &mut Vec<Problem>,
) -> Option<OidcClient> {
    let start = problems.len();
    let id_ok = !c.id.is_empty()
        && c.id.len() <= 128
        && c.id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !id_ok {
        problems.push(Problem::new(
            format!("{path}.id"),
            format!(
                "\"{}\" must be 1 to 128 characters of A-Z, a-z, 0-9, -, _ and .",
                c.id
            ),
        ));
    }
    let realm = c.realm.clone().unwrap_or_else(|| DEFAULT_REALM.into());
    if !realms.iter().any(|r| r.id == realm) {
        problems.push(Problem::new(
            format!("{path}.realm"),
            format!("realm \"{realm}\" is not defined"),
        ));
    }
    let auth_method = match c.token_endpoint_auth_method.as_deref() {
        None | Some("client_secret_basic") => TokenAuthMethod::ClientSecretBasic,
        Some("client_secret_post") => TokenAuthMethod::ClientSecretPost,
        Some("none") => TokenAuthMethod::None,
        Some(other) => {
            problems.push(Problem::new(
                format!("{path}.token_endpoint_auth_method"),
                format!("\"{other}\" is not supported (client_secret_basic, client_secret_post or none)"),
            ));
            TokenAuthMethod::ClientSecretBasic
        }
    };
    let secret = secret(c, path, auth_method, problems);
    let id_token_alg = match c.id_token_signed_response_alg.as_deref() {
        None | Some("RS256") => IdTokenAlg::Rs256,
        Some("ES256") => IdTokenAlg::Es256,
        Some("EdDSA") => IdTokenAlg::EdDsa,
        Some(other) => {
            problems.push(Problem::new(
                format!("{path}.id_token_signed_response_alg"),
                format!("\"{other}\" is not supported (RS256, ES256 or EdDSA)"),
            ));
            IdTokenAlg::Rs256
        }
    };
    if c.redirect_uris.is_empty() {
        problems.push(Problem::new(
            format!("{path}.redirect_uris"),
            "missing: list the exact URLs the client may receive codes at",
        ));
    }
    let redirect_uris = uris(&c.redirect_uris, &format!("{path}.redirect_uris"), problems);
    let post_logout_redirect_uris = uris(
        &c.post_logout_redirect_uris,
        &format!("{path}.post_logout_redirect_uris"),
        problems,
    );
    if let Some(groups) = &c.allow_groups {
        if groups.is_empty() || groups.iter().any(|g| g.trim().is_empty()) {
            problems.push(Problem::new(
                format!("{path}.allow_groups"),
                "list at least one group, and no empty names (leave the key out to allow the whole realm)",
            ));
        }
    }
    let scopes: Vec<String> = match &c.scopes {
        None => DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
        Some(list) => {
            for s in list {
                if !SUPPORTED_SCOPES.contains(&s.as_str()) {
                    problems.push(Problem::new(
                        format!("{path}.scopes"),
                        format!(
                            "\"{s}\" is not a scope passgate knows ({})",
                            SUPPORTED_SCOPES.join(", ")
                        ),
                    ));
                }
            }
            if !list.iter().any(|s| s == "openid") {
                problems.push(Problem::new(
                    format!("{path}.scopes"),
                    "must include \"openid\"",
                ));
            }
            list.clone()
        }
    };
    if problems.len() > start {
        return None;
    }
    Some(OidcClient {
        id: c.id.clone(),
        name: c.name.clone().unwrap_or_else(|| c.id.clone()),
        realm,
        secret,
        redirect_uris,
        post_logout_redirect_uris,
        allow_groups: c.allow_groups.clone(),
        scopes,
        auth_method,
        id_token_alg,
    })
}

fn secret(
    c: &OidcClientFile,
    path: &str,
    method: TokenAuthMethod,
    problems: &mut Vec<Problem>,
) -> Option<SecretHash> {
    match (method, &c.secret_hash, &c.secret_env) {
        (TokenAuthMethod::None, None, None) => None,
        (TokenAuthMethod::None, _, _) => {
            problems.push(Problem::new(
                format!("{path}.token_endpoint_auth_method"),
                "\"none\" is for public clients: remove secret_hash / secret_env, or choose client_secret_basic",
            ));
            None
        }
        (_, Some(_), Some(_)) => {
            problems.push(Problem::new(
                format!("{path}.secret_env"),
                "give secret_hash or secret_env, not both",
            ));
            None
        }
        (_, None, None) => {
            problems.push(Problem::new(
                format!("{path}.secret_hash"),
                format!(
                    "missing: a {} client needs secret_hash (\"sha256:<hex>\") or secret_env",
                    method.as_str()
                ),
            ));
            None
        }
        (_, Some(h), None) => {
            let hex = h.strip_prefix("sha256:").unwrap_or("");
            let bytes = data_encoding::HEXLOWER_PERMISSIVE
                .decode(hex.as_bytes())
                .ok();
            match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
                Some(b) => Some(SecretHash(b)),
                None => {
                    problems.push(Problem::new(
                        format!("{path}.secret_hash"),
                        "must be \"sha256:\" and 64 hex digits (printf %s \"$SECRET\" | sha256sum)",
                    ));
                    None
                }
            }
        }
        (_, None, Some(var)) => match std::env::var(var) {
            Ok(v) if v.len() >= MIN_SECRET_LEN => Some(SecretHash::of(&v)),
            Ok(_) => {
                problems.push(Problem::new(
                    format!("{path}.secret_env"),
                    format!("the secret in ${var} is shorter than {MIN_SECRET_LEN} characters"),
                ));
                None
            }
            Err(_) => {
                problems.push(Problem::new(
                    format!("{path}.secret_env"),
                    format!("the environment variable ${var} is not set"),
                ));
                None
            }
        },
    }
}

/// Redirect URIs: absolute, no fragment, `https` (or `http` on a loopback host), no
/// duplicates. Kept exactly as written: requests must match them byte for byte.
fn uris(list: &[String], path: &str, problems: &mut Vec<Problem>) -> Vec<String> {
    for (j, raw) in list.iter().enumerate() {
        let p = format!("{path}[{j}]");
        match Url::parse(raw) {
            Err(e) => problems.push(Problem::new(p, format!("\"{raw}\" is not a URL: {e}"))),
            Ok(u) => {
                let loopback = matches!(
                    u.host(),
                    Some(url::Host::Domain(h)) if super::validate::is_localhost(h)
                ) || matches!(u.host(), Some(url::Host::Ipv4(a)) if a.is_loopback())
                    || matches!(u.host(), Some(url::Host::Ipv6(a)) if a.is_loopback());
                if u.fragment().is_some() {
                    problems.push(Problem::new(p, format!("\"{raw}\" has a fragment")));
                } else if u.scheme() != "https" && !(u.scheme() == "http" && loopback) {
                    problems.push(Problem::new(
                        p,
                        format!("\"{raw}\" must use https (http only on localhost or a loopback address)"),
                    ));
                } else if list[..j].contains(raw) {
                    problems.push(Problem::new(p, format!("duplicate \"{raw}\"")));
                }
            }
        }
    }
    list.to_vec()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    const BASE: &str =
        "public_url = \"https://auth.example.com\"\n[[listeners]]\naddress = \"127.0.0.1:18443\"\n";

    fn problems(extra: &str) -> Vec<String> {
        match crate::config::from_str(&format!("{BASE}{extra}"), Path::new(".")) {
            Ok(_) => Vec::new(),
            Err(p) => p
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect(),
        }
    }

    const HASH: &str = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn a_good_client_loads_with_defaults_and_its_secret_hidden() {
        let src = format!(
            "{BASE}[[oidc.clients]]\nid = \"grafana\"\nsecret_hash = \"{HASH}\"\n\
             redirect_uris = [\"https://grafana.example.com/login/generic_oauth\"]\n"
        );
        let c = crate::config::from_str(&src, Path::new(".")).unwrap();
        let client = c.oidc.client("grafana").unwrap();
        assert_eq!(client.name, "grafana");
        assert_eq!(client.realm, "default");
        assert_eq!(
            client.auth_method,
            super::TokenAuthMethod::ClientSecretBasic
        );
        assert_eq!(client.id_token_alg, super::IdTokenAlg::Rs256);
        assert!(client.scopes.iter().any(|s| s == "openid"));
        assert!(client.secret.as_ref().unwrap().matches("hello"));
        assert!(!client.secret.as_ref().unwrap().matches("hellO"));
        assert!(!format!("{c:?}").contains("2cf24dba"));
    }

    #[test]
    fn every_client_problem_names_its_key() {
        let p = problems(
            "[oidc]\naccess_token_ttl = \"0s\"\n\
             [[oidc.clients]]\nid = \"a b\"\nrealm = \"nope\"\ntoken_endpoint_auth_method = \"private_key_jwt\"\n\
             secret_hash = \"md5:00\"\nid_token_signed_response_alg = \"HS256\"\n\
             redirect_uris = [\"http://app.example.com/cb\", \"https://x.example.com/cb#f\", \"not a url\"]\n\
             post_logout_redirect_uris = [\"javascript:alert(1)\"]\n\
             scopes = [\"profile\", \"admin\"]\nallow_groups = []\n\
             [[oidc.clients]]\nid = \"pub\"\ntoken_endpoint_auth_method = \"none\"\nsecret_env = \"X\"\n\
             redirect_uris = [\"http://localhost:3000/cb\", \"http://localhost:3000/cb\"]\n\
             [[oidc.clients]]\nid = \"nosecret\"\nredirect_uris = [\"https://a.example.com/cb\"]\n\
             [[oidc.clients]]\nid = \"nosecret\"\nsecret_env = \"PASSGATE_TEST_UNSET_VARIABLE_FOR_OIDC\"\n\
             [[oidc.clients]]\nid = \"extra\"\nsecret_hash = \"x\"\nredirect_uris = [\"https://a.example.com/cb\"]\nbogus = 1\n",
        );
        for key in [
            "oidc.access_token_ttl: must be between",
            "oidc.clients[0].id: \"a b\"",
            "oidc.clients[0].realm: realm \"nope\"",
            "oidc.clients[0].token_endpoint_auth_method: \"private_key_jwt\"",
            "oidc.clients[0].secret_hash: must be \"sha256:\"",
            "oidc.clients[0].id_token_signed_response_alg: \"HS256\"",
            "oidc.clients[0].redirect_uris[0]: \"http://app.example.com/cb\" must use https",
            "oidc.clients[0].redirect_uris[1]: \"https://x.example.com/cb#f\" has a fragment",
            "oidc.clients[0].redirect_uris[2]: \"not a url\" is not a URL",
            "oidc.clients[0].post_logout_redirect_uris[0]: \"javascript:alert(1)\" must use https",
            "oidc.clients[0].scopes: \"admin\" is not a scope",
            "oidc.clients[0].scopes: must include \"openid\"",
            "oidc.clients[0].allow_groups: list at least one group",
            "oidc.clients[1].token_endpoint_auth_method: \"none\" is for public clients",
            "oidc.clients[1].redirect_uris[1]: duplicate",
            "oidc.clients[2].secret_hash: missing",
            "oidc.clients[3].id: duplicate client id",
            "oidc.clients[3].redirect_uris: missing",
            "oidc.clients[3].secret_env: the environment variable $PASSGATE_TEST_UNSET_VARIABLE_FOR_OIDC is not set",
            "oidc.clients[4].bogus: unknown field",
        ] {
            assert!(p.iter().any(|l| l.starts_with(key)), "{key} in {p:#?}");
        }
    }

    #[test]
    fn a_client_belongs_to_the_realm_the_auth_host_signs_in_to() {
        let clients = "[[oidc.clients]]\nid = \"a\"\nrealm = \"staff\"\ntoken_endpoint_auth_method = \"none\"\n\
                       redirect_uris = [\"https://a.example.com/cb\"]\n";
        let realms = "[[realms]]\nid = \"default\"\n[[realms]]\nid = \"staff\"\n";
        let p = problems(&format!("{realms}{clients}"));
        assert!(
            p.iter()
                .any(|l| l.starts_with("oidc.clients[0].realm: sign-in on the auth host")),
            "{p:?}"
        );
        let route = "[[routes]]\nhost = \"auth.example.com\"\nupstream = \"http://127.0.0.1:3000\"\nrealm = \"staff\"\n";
        let p = problems(&format!("{realms}{route}{clients}"));
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn a_public_client_has_no_secret() {
        let src = format!(
            "{BASE}[[oidc.clients]]\nid = \"spa\"\ntoken_endpoint_auth_method = \"none\"\n\
             id_token_signed_response_alg = \"EdDSA\"\nredirect_uris = [\"http://127.0.0.1:5173/cb\"]\n"
        );
        let c = crate::config::from_str(&src, Path::new(".")).unwrap();
        let client = c.oidc.client("spa").unwrap();
        assert!(!client.is_confidential());
        assert_eq!(client.id_token_alg, super::IdTokenAlg::EdDsa);
    }
}
