//! The serde mirror of the TOML file: every table and key a user may write, nothing else
//! (`deny_unknown_fields` everywhere). Values here are unvalidated; `validate.rs` turns
//! them into the runtime model in `model.rs`.

use serde::Deserialize;

use super::duration::ConfigDuration;

/// Top-level keys, in the order the documentation lists them.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "public_url",
    "tenant_id",
    "server",
    "listeners",
    "metrics",
    "store",
    "realms",
    "routes",
    "session",
    "email",
    "oidc",
];

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    pub threads: Option<usize>,
    pub grace_period: Option<ConfigDuration>,
    pub graceful_shutdown_timeout: Option<ConfigDuration>,
    pub log_format: Option<String>,
    pub access_log: Option<bool>,
    pub trust_forwarded_headers: Option<bool>,
    pub control_body_limit: Option<u64>,
    pub header_timeout: Option<ConfigDuration>,
    pub keepalive_timeout: Option<ConfigDuration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerFile {
    pub address: String,
    #[serde(default)]
    pub certificates: Vec<CertificateFile>,
    pub http2: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateFile {
    pub cert: String,
    pub key: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsFile {
    pub address: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StoreFile {
    pub url: Option<String>,
    pub url_file: Option<String>,
    pub max_connections: Option<u32>,
    pub connect_timeout: Option<ConfigDuration>,
    pub timeout: Option<ConfigDuration>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    pub cookie_name: Option<String>,
    pub cookie_domain: Option<String>,
    pub ttl: Option<ConfigDuration>,
    pub idle_timeout: Option<ConfigDuration>,
    pub token_ttl: Option<ConfigDuration>,
    pub key_rotation: Option<ConfigDuration>,
    pub outage_grace: Option<ConfigDuration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealmFile {
    pub id: String,
    pub display_name: Option<String>,
    pub rp_id: Option<String>,
    pub rp_name: Option<String>,
    pub link_base: Option<String>,
    pub binding_link_ttl: Option<ConfigDuration>,
    #[serde(default)]
    pub allowed_redirects: Vec<String>,
    pub attestation: Option<String>,
    #[serde(default)]
    pub allowed_aaguids: Vec<String>,
    // Console and look (see `branding`).
    pub admin_group: Option<String>,
    pub logo: Option<String>,
    pub accent_color: Option<String>,
    /// `[realms.scim]`: what the SCIM service provider does besides the directory writes.
    pub scim: Option<RealmScimFile>,
    #[serde(default)]
    pub authenticator_configs: Vec<AuthenticatorConfigFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealmScimFile {
    /// `"email_binding_link"`: a user created over SCIM with an email gets an EMAIL job.
    pub on_create: Option<String>,
}

/// `[[realms.authenticator_configs]]`: how a binding link is opened (Beyond Identity's
/// authenticator configuration).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthenticatorConfigFile {
    pub id: String,
    pub display_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub invoke_url: Option<String>,
    pub invocation_type: Option<String>,
    pub trusted_origins: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailFile {
    pub host: String,
    pub port: Option<u16>,
    pub security: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
    pub text_template: Option<String>,
    pub html_template: Option<String>,
    pub timeout: Option<ConfigDuration>,
    pub retry_interval: Option<ConfigDuration>,
}

/// `upstream` accepts one URL or a list of them.
#[derive(Debug, Clone)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a URL string or a list of URL strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(OneOrMany::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl OneOrMany {
    pub fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFile {
    pub id: Option<String>,
    pub host: String,
    pub path_prefix: Option<String>,
    pub upstream: OneOrMany,
    pub policy: Option<String>,
    pub realm: Option<String>,
    pub host_header: Option<String>,
    pub connect_timeout: Option<ConfigDuration>,
    pub read_timeout: Option<ConfigDuration>,
    pub write_timeout: Option<ConfigDuration>,
    pub tls_ca_file: Option<String>,
    pub tls_server_name: Option<String>,
    pub tls_verify: Option<bool>,
    pub max_fails: Option<u32>,
    pub fail_timeout: Option<ConfigDuration>,
    pub allow_groups: Option<Vec<String>>,
    pub allow_users: Option<Vec<String>>,
    pub allow_email_domains: Option<Vec<String>>,
    pub public_paths: Option<Vec<String>>,
    pub max_auth_age: Option<ConfigDuration>,
    #[serde(default)]
    pub rules: Vec<RuleFile>,
    pub headers: Option<HeadersFile>,
    pub forward_session_cookie: Option<bool>,
    pub assertion: Option<bool>,
    pub login_url: Option<String>,
}

/// `[[routes.rules]]`: the allow rule for some methods, instead of the route's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub methods: Vec<String>,
    pub allow_any: Option<bool>,
    pub allow_groups: Option<Vec<String>>,
    pub allow_users: Option<Vec<String>>,
    pub allow_email_domains: Option<Vec<String>>,
    pub max_auth_age: Option<ConfigDuration>,
}

/// `[routes.headers]`: which identity headers go upstream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadersFile {
    pub preset: Option<OneOrMany>,
    #[serde(default)]
    pub extra: std::collections::BTreeMap<String, String>,
}

/// The whole file once every section parsed. Sections that failed to parse are absent and
/// their problems are reported by the loader.
#[derive(Debug, Clone, Default)]
pub struct FileConfig {
    pub public_url: Option<String>,
    pub tenant_id: Option<String>,
    pub server: ServerFile,
    pub listeners: Vec<(usize, ListenerFile)>,
    pub metrics: Option<MetricsFile>,
    pub store: StoreFile,
    pub realms: Vec<(usize, RealmFile)>,
    pub routes: Vec<(usize, RouteFile)>,
    pub session: SessionFile,
    pub email: Option<EmailFile>,
    pub oidc: Option<OidcFile>,
}

/// `[oidc]` without its clients (they are parsed one by one, see `load.rs`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OidcFile {
    pub access_token_ttl: Option<ConfigDuration>,
    pub refresh_token_ttl: Option<ConfigDuration>,
    #[serde(skip)]
    pub clients: Vec<(usize, OidcClientFile)>,
}

/// `[[oidc.clients]]`: one relying party.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcClientFile {
    pub id: String,
    pub name: Option<String>,
    pub realm: Option<String>,
    pub secret_hash: Option<String>,
    pub secret_env: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub allow_groups: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub id_token_signed_response_alg: Option<String>,
}
