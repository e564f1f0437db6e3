//! A gateway fronting the echo upstream on an `authenticated` route, on a test database,
//! with an admin token; sessions minted in process on the same store (as a sign-in would
//! make them), and tokens forged with the store's own signing key or with foreign keys.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use passgate::clock::{Clock, OffsetFileClock};
use passgate::idm::{Directory, SessionService, SystemClock};
use passgate::session::cache::PrincipalCache;
use passgate::session::claims::SessionClaims;
use passgate::session::keys::KeyRing;
use passgate::store::{self, StoreOptions};

use super::admin::{realm_path, AdminApi};
use super::db::Backend;
use super::gateway::{Gateway, TestClock, BIN};
use super::http::{send, Reply};
use super::upstream::{self, Upstream};
use super::{client, free_port};

pub struct SessionEnv {
    pub api: AdminApi,
    pub upstream: Upstream,
    /// The config text (without routes) the gateway runs on.
    pub config_text: String,
}

/// The `[session]` table for short-lived tokens (re-issue tests).
pub const SHORT_TOKENS: &str = "[session]\ntoken_ttl = \"2s\"\nidle_timeout = \"1h\"\n";

impl SessionEnv {
    /// `session`: extra TOML appended to the config (e.g. [`SHORT_TOKENS`]).
    pub async fn start(backend: Backend, session: &str) -> Option<SessionEnv> {
        SessionEnv::start_routes(backend, session, DEFAULT_ROUTES).await
    }

    /// Like [`SessionEnv::start`] on a test clock.
    pub async fn start_default_on_clock(backend: Backend, session: &str) -> Option<SessionEnv> {
        SessionEnv::start_on_clock(backend, session, DEFAULT_ROUTES).await
    }
}

/// A public `/public` route and an authenticated catch-all, both to the echo upstream.
const DEFAULT_ROUTES: &str = "[[routes]]\nhost = \"*\"\npath_prefix = \"/public\"\nupstream = \"{u}\"\npolicy = \"public\"\n\n[[routes]]\nhost = \"*\"\nupstream = \"{u}\"\npolicy = \"authenticated\"\n";

impl SessionEnv {
    /// Like [`SessionEnv::start`] with `routes` (TOML; `{u}` stands for the echo upstream's
    /// URL, `{port}` in `session` and `routes` for the gateway's port).
    pub async fn start_routes(backend: Backend, session: &str, routes: &str) -> Option<SessionEnv> {
        Self::start_full(backend, session, routes, false).await
    }

    /// Like [`SessionEnv::start_routes`], the gateway on a test clock ([`SessionEnv::clock`]).
    pub async fn start_on_clock(
        backend: Backend,
        session: &str,
        routes: &str,
    ) -> Option<SessionEnv> {
        Self::start_full(backend, session, routes, true).await
    }

    async fn start_full(
        backend: Backend,
        session: &str,
        routes: &str,
        on_clock: bool,
    ) -> Option<SessionEnv> {
        let mut api = AdminApi::start(backend).await?;
        if on_clock {
            api.clock = Some(TestClock::in_dir(api.db.dir.path()));
        }
        let upstream = upstream::start("app").await;
        let port = api.port.to_string();
        let config = format!(
            "{}\n{}\n{}",
            api.config,
            session.replace("{port}", &port),
            routes
                .replace("{u}", &upstream.url())
                .replace("{port}", &port)
        );
        std::fs::write(api.db.dir.path().join("passgate.toml"), &config).unwrap();
        api.config = config.clone();
        api.restart().await;
        Some(SessionEnv {
            api,
            upstream,
            config_text: config,
        })
    }

    /// The gateway's test clock (started with [`SessionEnv::start_on_clock`]).
    pub fn clock(&self) -> &TestClock {
        self.api
            .clock
            .as_ref()
            .expect("started with SessionEnv::start_on_clock")
    }

    pub fn gw(&self) -> &Gateway {
        &self.api.gw
    }

    pub fn config(&self) -> passgate::config::Config {
        passgate::config::from_str(&self.config_text, self.api.db.dir.path())
            .unwrap_or_else(|p| panic!("{p:?}"))
    }

    /// The store, opened in this process (alongside the gateway's).
    pub async fn directory(&self) -> Arc<Directory> {
        self.directory_on(Arc::new(SystemClock)).await
    }

    /// The store, opened in this process, with `clock` as its time.
    async fn directory_on(&self, clock: Arc<dyn Clock>) -> Arc<Directory> {
        let store = store::open(&StoreOptions {
            url: self.api.db.url.clone(),
            max_connections: 2,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        })
        .await
        .expect("open the test store");
        Arc::new(Directory::new(store, clock))
    }

    /// A session service of its own on the gateway's store (as another instance).
    pub async fn sessions(&self) -> SessionService {
        self.sessions_on(self.directory().await).await
    }

    async fn sessions_on(&self, dir: Arc<Directory>) -> SessionService {
        let cache = Arc::new(PrincipalCache::new(100, Duration::from_secs(300)));
        SessionService::open(dir, cache, &self.config())
            .await
            .expect("session service")
    }

    /// Creates `username` (with `email`) and starts a session for it; returns (identity id,
    /// token).
    pub async fn sign_in(&self, username: &str) -> (String, String) {
        let (s, v) = self
            .api
            .post(
                &realm_path("/identities"),
                json!({"identity": {"traits": {"username": username,
                    "primary_email_address": format!("{username}@example.com")}}}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        (id.clone(), self.start_session(&id).await)
    }

    /// A new session (as a passkey sign-in makes one) for an existing identity, at the
    /// system's time.
    pub async fn start_session(&self, id: &str) -> String {
        self.start_session_on(id, self.directory().await).await
    }

    /// Like [`Self::start_session`], at the gateway's time (its test clock): signed in
    /// "now" as the gateway sees it, as a sign-in through it would be.
    pub async fn start_session_on_clock(&self, id: &str) -> String {
        let clock = Arc::new(OffsetFileClock::new(self.clock().path.clone()));
        self.start_session_on(id, self.directory_on(clock).await)
            .await
    }

    async fn start_session_on(&self, id: &str, dir: Arc<Directory>) -> String {
        let identity = dir
            .store()
            .get_identity("default", "default", id)
            .await
            .unwrap();
        self.sessions_on(dir)
            .await
            .start(&identity, &["hwk", "user"], None)
            .await
            .unwrap()
            .token
    }

    /// The store's key ring (private keys included), to forge tokens it would accept.
    pub async fn ring(&self) -> KeyRing {
        let records = self
            .directory()
            .await
            .store()
            .list_signing_keys()
            .await
            .unwrap();
        passgate::idm::signing_keys::ring(&records, i64::MAX / 2).unwrap()
    }

    /// `GET path` with the session cookie `token` (if any) and `accept`.
    pub async fn get_with(&self, path: &str, token: Option<&str>, accept: &str) -> Reply {
        let mut req = client().get(self.gw().url(path)).header("accept", accept);
        if let Some(t) = token {
            req = req.header("cookie", format!("theme=dark; passgate_session={t}"));
        }
        send(req).await
    }

    /// `GET /app` as an API client with the cookie.
    pub async fn get(&self, token: &str) -> Reply {
        self.get_with("/app", Some(token), "application/json").await
    }

    /// Runs `passgate <args> --config <the test config>`.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.api.cli(args)
    }
}

/// Claims the gateway at `port` would accept for identity `sub`, valid now.
pub fn claims(port: u16, sub: &str, sid: &str) -> SessionClaims {
    let now = now();
    SessionClaims {
        iss: format!("http://localhost:{port}"),
        sub: sub.into(),
        realm: "default".into(),
        sid: sid.into(),
        username: "mallory".into(),
        email: None,
        groups: vec!["admins".into()],
        iat: now,
        nbf: now,
        exp: now + 300,
        auth_time: now,
        amr: vec!["hwk".into()],
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A second gateway process on the same database (and config, on its own port).
pub async fn second_gateway(env: &SessionEnv) -> Gateway {
    let port = free_port();
    let old = format!("127.0.0.1:{}", env.api.port);
    let config = env.config_text.replace(&old, &format!("127.0.0.1:{port}"));
    let _ = BIN;
    Gateway::start(port, &config).await
}

/// The JSON body of the gateway's `GET /.passgate/api/v1/session` for `token`.
pub async fn whoami(gw: &Gateway, token: &str) -> (u16, Value) {
    let r = send(
        client()
            .get(gw.url("/.passgate/api/v1/session"))
            .header("cookie", format!("passgate_session={token}")),
    )
    .await;
    let v = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    (r.status, v)
}

/// The session token a `Set-Cookie` value sets (`passgate_session=<token>; …`).
pub fn token_in_set_cookie(set_cookie: &str) -> String {
    set_cookie
        .strip_prefix("passgate_session=")
        .unwrap_or_else(|| panic!("not the session cookie: {set_cookie}"))
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `token` with its sign-in time (`auth_time`) moved `secs` into the past, re-signed with
/// the store's key: the token a session re-issued long after its sign-in would carry.
pub async fn aged_token(env: &SessionEnv, token: &str, secs: u64) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWS");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url claims");
    let mut claims: SessionClaims = serde_json::from_slice(&bytes).expect("session claims");
    claims.auth_time -= secs;
    passgate::session::token::sign(&env.ring().await, &claims).expect("sign")
}
