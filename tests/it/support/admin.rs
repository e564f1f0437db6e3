//! The admin API under test: a real gateway on a test database, an `admin` API token made
//! with the real CLI, and JSON requests over real sockets. Restartable on the same database.

use std::process::{Command, Output};

use reqwest::Method;
use serde_json::Value;

use super::db::{Backend, TestDb};
use super::free_port;
use super::gateway::{Gateway, TestClock, BIN};

/// Body limit the admin tests configure (to test 413 cheaply).
pub const BODY_LIMIT: usize = 16 * 1024;

pub struct AdminApi {
    pub gw: Gateway,
    pub db: TestDb,
    pub port: u16,
    pub config: String,
    /// An `admin`-scoped bearer token.
    pub token: String,
    /// The gateway's test clock, when a test moves time (used on every restart).
    pub clock: Option<TestClock>,
    client: reqwest::Client,
}

/// `/.passgate/v1/tenants/default` + `rest`.
pub fn tenant_path(rest: &str) -> String {
    format!("/.passgate/v1/tenants/default{rest}")
}

/// `/.passgate/v1/tenants/default/realms/default` + `rest`.
pub fn realm_path(rest: &str) -> String {
    tenant_path(&format!("/realms/default{rest}"))
}

impl AdminApi {
    /// `None` when the backend is not available to this run (PostgreSQL without the env var).
    pub async fn start(backend: Backend) -> Option<AdminApi> {
        Self::start_with(backend, |_| String::new()).await
    }

    /// Like [`AdminApi::start`] with more TOML appended to the config (`extra(port)`).
    pub async fn start_with(backend: Backend, extra: impl Fn(u16) -> String) -> Option<AdminApi> {
        let db = TestDb::of(backend).await?;
        Some(Self::start_on(db, extra).await)
    }

    /// Like [`AdminApi::start_with`] on a prepared database.
    pub async fn start_on(db: TestDb, extra: impl Fn(u16) -> String) -> AdminApi {
        let port = free_port();
        let config = format!(
            r#"public_url = "http://localhost:{port}"

[server]
threads = 2
grace_period = "0s"
graceful_shutdown_timeout = "5s"
control_body_limit = {BODY_LIMIT}

[[listeners]]
address = "127.0.0.1:{port}"

[store]
url = "{url}"
max_connections = 4
{extra}"#,
            url = db.url,
            extra = extra(port),
        );
        std::fs::write(db.dir.path().join("passgate.toml"), &config).unwrap();
        let gw = Gateway::start(port, &config).await;
        let mut api = AdminApi {
            gw,
            db,
            port,
            config,
            token: String::new(),
            clock: None,
            client: super::client(),
        };
        api.token = api.new_token("tests", &["admin"], &[]);
        api
    }

    /// Runs `passgate <args> --config <the test config>`.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .arg("--config")
            .arg(self.db.dir.path().join("passgate.toml"))
            .env_remove("PASSGATE_CONFIG")
            .output()
            .expect("run passgate")
    }

    /// A token made with `passgate token create` (`extra`: e.g. `["--realm", "r"]`).
    pub fn new_token(&self, name: &str, scopes: &[&str], extra: &[&str]) -> String {
        let mut args = vec!["token", "create", "--name", name];
        for s in scopes {
            args.extend(["--scope", s]);
        }
        args.extend(extra);
        let out = self.cli(&args);
        assert!(
            out.status.success(),
            "token create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Stops the gateway and starts a new one on the same database.
    pub async fn restart(&mut self) {
        self.gw.signal(nix::sys::signal::Signal::SIGINT);
        let _ = self.gw.child.wait();
        self.gw = Gateway::start_on_clock(self.port, &self.config, self.clock.as_ref()).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    /// Sends with the admin token; returns the status and the JSON body (Null when empty).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_as(Some(&self.token), method, path, body).await
    }

    pub async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::read(req.send().await.expect("request")).await
    }

    /// Sends raw bytes as the body.
    pub async fn call_raw(&self, method: Method, path: &str, body: Vec<u8>) -> (u16, Value) {
        let req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body);
        Self::read(req.send().await.expect("request")).await
    }

    pub async fn read(resp: reqwest::Response) -> (u16, Value) {
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("body");
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates `username` in the default realm and returns its id.
    pub async fn create_identity(&self, username: &str) -> String {
        let (s, v) = self
            .post(
                &realm_path("/identities"),
                serde_json::json!({"identity": {"traits": {"username": username}}}),
            )
            .await;
        assert_eq!(s, 200, "create {username}: {v}");
        v["id"].as_str().unwrap().to_string()
    }
}

/// Asserts a 400 that names `field` (Beyond Identity's `FieldViolations`).
pub fn assert_invalid(resp: &(u16, Value), field: &str) {
    assert_eq!(resp.0, 400, "expected 400 for {field}: {}", resp.1);
    assert_eq!(resp.1["code"], "bad_request", "{}", resp.1);
    assert_eq!(violation(&resp.1), field, "{}", resp.1);
}

/// The field of the first `FieldViolations` detail of an error body.
pub fn violation(body: &Value) -> &str {
    let detail = &body["details"][0];
    assert_eq!(detail["type"], "FieldViolations", "{body}");
    detail["field_violations"][0]["field"]
        .as_str()
        .unwrap_or_default()
}
