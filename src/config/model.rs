//! The validated configuration: what the rest of passgate reads. Every value here has been
//! checked (cross-references resolved, files readable, durations positive), so runtime code
//! never re-validates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

#[derive(Debug, Clone)]
pub struct Config {
    /// Where users reach passgate's own pages; its host is the *auth host*.
    pub public_url: Url,
    /// Lower-cased host of `public_url` (no port).
    pub auth_host: String,
    pub tenant_id: String,
    pub server: ServerSettings,
    pub listeners: Vec<Listener>,
    pub metrics: Option<SocketAddr>,
    pub store: StoreSettings,
    pub realms: Vec<Realm>,
    pub routes: Vec<Arc<Route>>,
    pub session: SessionSettings,
    /// SMTP delivery of binding links (`None`: EMAIL jobs are refused).
    pub email: Option<super::email::EmailSettings>,
    /// The OpenID Connect provider's clients (`[oidc]`; no clients: the provider answers
    /// discovery and JWKS but authorizes nobody).
    pub oidc: super::oidc::OidcSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSettings {
    pub cookie_name: String,
    /// `Domain` of the session cookie: one sign-in covers every host under it. `None`: a
    /// host-only cookie on each host that sets it.
    pub cookie_domain: Option<String>,
    /// Absolute lifetime of a server-side session.
    pub ttl: Duration,
    /// A session unused for this long ends.
    pub idle_timeout: Duration,
    /// Lifetime of one signed token; re-issued while the session is valid.
    pub token_ttl: Duration,
    /// A new signing key is added this often (`None`: only by `passgate keys rotate`).
    pub key_rotation: Option<Duration>,
    /// While the store cannot be reached, a token past its `exp` by less than this is still
    /// honoured (it cannot be re-issued); zero: never (the request answers `503`).
    pub outage_grace: Duration,
}

impl Config {
    pub fn realm(&self, id: &str) -> Option<&Realm> {
        self.realms.iter().find(|r| r.id == id)
    }

    /// The realm sign-in on `host` is for: that of the first route fronting the host, else
    /// the `default` realm (or the first configured).
    pub fn sign_in_realm(&self, host: &str) -> String {
        let fronting = self.routes.iter().find(|r| match &r.host {
            HostPattern::Exact(h) => h == host,
            HostPattern::Wildcard(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::Any => false,
        });
        let any = || {
            self.routes
                .iter()
                .find(|r| matches!(r.host, HostPattern::Any))
        };
        fronting
            .or_else(any)
            .map(|r| r.realm.clone())
            .or_else(|| self.realm("default").map(|r| r.id.clone()))
            .or_else(|| self.realms.first().map(|r| r.id.clone()))
            .unwrap_or_else(|| "default".into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub threads: usize,
    pub grace_period: Duration,
    pub graceful_shutdown_timeout: Duration,
    pub log_format: LogFormat,
    pub access_log: bool,
    /// Behind a trusted load balancer: keep its `X-Forwarded-*` and append to them.
    pub trust_forwarded_headers: bool,
    /// Largest request body the control plane (`/.passgate/*`) accepts, in bytes.
    pub control_body_limit: usize,
    /// How long an HTTP/1 client has, from the first byte of a request, to send the whole
    /// request head; a client still sending after that is disconnected (slowloris).
    pub header_timeout: Duration,
    /// How long an HTTP/1 connection may wait for its next request (its first included)
    /// before it is closed.
    pub keepalive_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Listener {
    pub address: SocketAddr,
    /// Empty for a plain-HTTP listener.
    pub certificates: Vec<CertificatePaths>,
    pub http2: bool,
}

impl Listener {
    pub fn is_tls(&self) -> bool {
        !self.certificates.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatePaths {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    pub url: String,
    /// Largest number of open database connections.
    pub max_connections: u32,
    /// How long to wait for a connection (at start-up and per request).
    pub connect_timeout: Duration,
    /// Longest a statement may run (PostgreSQL `statement_timeout`); past it the request
    /// answers `503 service_unavailable`.
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Realm {
    pub id: String,
    pub display_name: String,
    pub rp_id: String,
    pub rp_name: String,
    /// Base of credential binding links (`{link_base}/.passgate/bind?token=…`); `None`:
    /// `public_url`.
    pub link_base: Option<Url>,
    /// How long a credential binding link stays valid.
    pub binding_link_ttl: Duration,
    /// Absolute URLs accepted as `post_binding_redirect_uri` besides fronted hosts.
    pub allowed_redirects: Vec<Url>,
    /// `attestation = "direct"`: new passkeys must carry a verifiable attestation statement
    /// with a certificate (its chain is not checked against vendor roots).
    pub attestation_required: bool,
    /// When not empty, only authenticators with these AAGUIDs (lower-case) may bind.
    pub allowed_aaguids: Vec<String>,
    /// What a user created over SCIM gets besides its identity (`scim.on_create`).
    pub scim_on_create: ScimOnCreate,
    /// Declared authenticator configurations (the default `hosted_web` one is implicit).
    pub authenticator_configs: Vec<super::authenticator::AuthenticatorSettings>,
    /// Members of this group (by name) may use the admin console.
    pub admin_group: String,
    /// Logo and accent colour of the hosted pages and the console.
    pub branding: super::branding::Branding,
}

/// `[realms.scim] on_create`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScimOnCreate {
    /// Nothing: the identity only.
    #[default]
    Nothing,
    /// A credential binding job delivered by EMAIL, when the user has an email address.
    EmailBindingLink,
}

/// Default `binding_link_ttl`: 24 hours.
pub const DEFAULT_BINDING_LINK_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Proxied as is; identity headers from the client are still stripped.
    Public,
    /// A valid session is required.
    Authenticated,
    /// Every request is proxied; a valid session adds the identity headers, none leaves
    /// the request anonymous (identity headers from the client are still stripped). For
    /// a gradual rollout: the app's own login stays in charge of anonymous visitors.
    Optional,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Public => "public",
            Policy::Authenticated => "authenticated",
            Policy::Optional => "optional",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostPattern {
    /// `app.example.com` (lower-cased).
    Exact(String),
    /// `*.example.com`, stored as the suffix `.example.com`; matches any depth of subdomain.
    Wildcard(String),
    /// `*`: every host.
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostHeader {
    /// Forward the client's `Host` unchanged.
    Preserve,
    /// Use the upstream address's `host[:port]`.
    Upstream,
    /// Use this literal value.
    Fixed(String),
}

#[derive(Debug, Clone)]
pub struct Upstream {
    /// The URL as written, for logs and metrics.
    pub url: String,
    pub tls: bool,
    /// Host part of the URL (for SNI and `host_header = "upstream"`).
    pub host: String,
    pub port: u16,
    /// Addresses resolved when the config was loaded.
    pub addrs: Vec<SocketAddr>,
}

#[derive(Debug, Clone)]
pub struct UpstreamTls {
    /// Trust anchors (DER) for https upstreams, used instead of the system roots; empty =
    /// the system roots.
    pub ca_certs: Vec<Vec<u8>>,
    pub server_name: Option<String>,
    pub verify: bool,
}

#[derive(Debug, Clone)]
pub struct Route {
    /// Stable label for logs and metrics: the `id` key or `host` + `path_prefix`.
    pub id: String,
    pub host: HostPattern,
    pub path_prefix: String,
    pub upstreams: Vec<Upstream>,
    pub policy: Policy,
    pub realm: String,
    pub host_header: HostHeader,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub write_timeout: Duration,
    pub tls: UpstreamTls,
    pub max_fails: u32,
    pub fail_timeout: Duration,
    /// Allow rules, public paths and step-up (empty for a `public` route).
    pub access: super::access::Access,
    /// Identity headers set upstream and stripped from clients.
    pub identity: super::access::IdentityHeaders,
    /// Keep the session cookie in the `Cookie` header going upstream.
    pub forward_session_cookie: bool,
    /// Add `X-Passgate-Jwt-Assertion` for signed-in users.
    pub assertion: bool,
    /// The app's own sign-in page (a path on the route's host, possibly with a query),
    /// where unauthenticated browsers go instead of `/.passgate/login`.
    pub login_url: Option<String>,
}

impl Route {
    /// Where an unauthenticated browser on this route is sent to sign in, as a path on the
    /// same host: the route's `login_url` (the app's own page) or `/.passgate/login`, with
    /// `rd=<original_url>` (form-encoded) added to its query.
    pub fn login_location(&self, original_url: &str) -> String {
        let rd: String = url::form_urlencoded::byte_serialize(original_url.as_bytes()).collect();
        let login = self.login_url.as_deref().unwrap_or("/.passgate/login");
        let sep = match login.find('?') {
            None => '?',
            Some(i) if i + 1 == login.len() || login.ends_with('&') => {
                return format!("{login}rd={rd}");
            }
            Some(_) => '&',
        };
        format!("{login}{sep}rd={rd}")
    }

    /// Segment-aware prefix match: `/app` matches `/app`, `/app/x` and `/app?q`, not `/apple`.
    #[inline]
    pub fn matches_path(&self, path: &str) -> bool {
        let prefix = self.path_prefix.as_str();
        if !path.starts_with(prefix) {
            return false;
        }
        prefix.ends_with('/')
            || path.len() == prefix.len()
            || matches!(path.as_bytes()[prefix.len()], b'/' | b'?')
    }
}
