//! Three passgate instances on one PostgreSQL database (a fresh schema) behind a real
//! HAProxy (`/usr/sbin/haproxy`, Debian's package) balancing round-robin with no
//! stickiness. HAProxy names the instance that answered in `X-Lb-Server` (`pg1`, `pg2`,
//! `pg3`), so a test can prove that two steps of a ceremony met different instances.
//! Without `PASSGATE_TEST_POSTGRES_URL` (or without HAProxy) [`Cluster::start`] prints why
//! and returns `None`; with `PASSGATE_REQUIRE_CLUSTER=1` a missing HAProxy is a failure.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use super::admin::realm_path;
use super::authenticator::Authenticator;
use super::binding::token_of;
use super::db::TestDb;
use super::gateway::{Gateway, TestClock, BIN};
use super::upstream::{self, Upstream};
use super::{client, free_port};

pub const HAPROXY: &str = "/usr/sbin/haproxy";
pub const REQUIRE_ENV: &str = "PASSGATE_REQUIRE_CLUSTER";

/// One passgate instance: its own listener, the shared store.
pub struct Node {
    pub name: String,
    pub port: u16,
    pub gw: Gateway,
}

/// HAProxy in front of the nodes; killed on drop.
pub struct Balancer {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Cluster {
    pub nodes: Vec<Node>,
    pub lb: Balancer,
    pub upstream: Upstream,
    /// An `admin` API token (made with the CLI on the first node's config).
    pub token: String,
    pub db: TestDb,
    /// The nodes' shared test clock: expiry is reached by moving it.
    pub clock: TestClock,
    _clock_dir: tempfile::TempDir,
}

/// An answer through the balancer (or from one node).
#[derive(Debug)]
pub struct Served {
    pub status: u16,
    pub body: Value,
    pub text: String,
    /// The instance that answered (`X-Lb-Server`), `-` when asked directly.
    pub server: String,
    pub set_cookie: Option<String>,
}

impl Served {
    /// The session token the answer set, if any.
    pub fn token(&self) -> Option<String> {
        let c = self.set_cookie.as_deref()?;
        let t = c.strip_prefix("passgate_session=")?.split(';').next()?;
        (!t.is_empty()).then(|| t.to_string())
    }
}

/// The `kid` in a token's header.
pub fn kid_of(token: &str) -> String {
    claims_part(token, 0)["kid"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// The `exp` claim of a token.
pub fn exp_of(token: &str) -> u64 {
    claims_part(token, 1)["exp"].as_u64().expect("exp")
}

fn claims_part(token: &str, i: usize) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(i).expect("a JWS");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

fn haproxy_config(lb: u16, nodes: &[(String, u16)]) -> String {
    let servers: String = nodes
        .iter()
        .map(|(name, port)| format!("    server {name} 127.0.0.1:{port}\n"))
        .collect();
    format!(
        r#"global
    maxconn 4096

defaults
    mode http
    option forwardfor
    retries 0
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s

frontend passgate
    bind 127.0.0.1:{lb}
    default_backend instances

backend instances
    balance roundrobin
    http-response set-header X-Lb-Server %s
{servers}"#
    )
}

impl Cluster {
    /// Three nodes and the balancer; `extra` is TOML appended to every node's config
    /// (e.g. a `[session]` table). `None` when PostgreSQL or HAProxy is not available.
    pub async fn start(extra: &str) -> Option<Cluster> {
        if !haproxy_present() {
            return None;
        }
        let db = TestDb::postgres().await?;
        Some(Self::start_on(db, extra, "", &|_, url| url.to_string()).await)
    }

    /// Like [`Cluster::start`] on `db`; node `i` reaches the store at `store_url(i, &db.url)`
    /// (e.g. through a relay), with `store_extra` added to its `[store]` table.
    pub async fn start_on(
        db: TestDb,
        extra: &str,
        store_extra: &str,
        store_url: &dyn Fn(usize, &str) -> String,
    ) -> Cluster {
        let upstream = upstream::start("app").await;
        let lb_port = free_port();
        let names: Vec<(String, u16)> = (1..=3).map(|i| (format!("pg{i}"), free_port())).collect();
        let mut nodes = Vec::new();
        let clock_dir = tempfile::tempdir().expect("tempdir");
        let clock = TestClock::in_dir(clock_dir.path());
        // The first node migrates the schema and makes the first signing key alone.
        for (i, (name, port)) in names.iter().enumerate() {
            let store = store_url(i, &db.url);
            let config = node_config(lb_port, *port, &store, store_extra, &upstream.url(), extra);
            let gw = Gateway::start_on_clock(*port, &config, Some(&clock)).await;
            nodes.push(Node {
                name: name.clone(),
                port: *port,
                gw,
            });
        }
        let lb = start_balancer(lb_port, &names).await;
        let mut cluster = Cluster {
            nodes,
            lb,
            upstream,
            token: String::new(),
            db,
            clock,
            _clock_dir: clock_dir,
        };
        let out = cluster.cli(
            0,
            &["token", "create", "--name", "tests", "--scope", "admin"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.token = String::from_utf8(out.stdout).unwrap().trim().to_string();
        cluster
    }

    /// The origin every node is configured with (`public_url`): the balancer's.
    pub fn origin(&self) -> String {
        format!("http://localhost:{}", self.lb.port)
    }

    pub fn config_path(&self, node: usize) -> PathBuf {
        self.nodes[node].gw.config_path.clone()
    }

    /// Runs `passgate <args> --config <node's config>`.
    pub fn cli(&self, node: usize, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .arg("--config")
            .arg(self.config_path(node))
            .env_remove("PASSGATE_CONFIG")
            .output()
            .expect("run passgate")
    }

    /// A request through the balancer.
    pub fn via_lb(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        client().request(method, format!("{}{path}", self.origin()))
    }

    /// A request straight to node `i` (with the balancer's `Host`, as it would forward).
    pub fn direct(&self, i: usize, method: Method, path: &str) -> reqwest::RequestBuilder {
        client()
            .request(
                method,
                format!("http://127.0.0.1:{}{path}", self.nodes[i].port),
            )
            .header("host", format!("localhost:{}", self.lb.port))
    }

    pub async fn send(req: reqwest::RequestBuilder) -> Served {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let server = resp
            .headers()
            .get("x-lb-server")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_string();
        let set_cookie = resp
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Served {
            status,
            body,
            text,
            server,
            set_cookie,
        }
    }

    /// An admin API call through the balancer.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Served {
        let mut req = self.via_lb(method, path).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::send(req).await
    }

    /// A JSON ceremony call (no session) through the balancer.
    pub async fn ceremony(&self, path: &str, body: Value) -> Served {
        Self::send(
            self.via_lb(Method::POST, path)
                .header(
                    "user-agent",
                    "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
                )
                .json(&body),
        )
        .await
    }

    /// `GET path` with the session cookie, through the balancer.
    pub async fn get_lb(&self, path: &str, token: &str) -> Served {
        Self::send(
            self.via_lb(Method::GET, path)
                .header("accept", "application/json")
                .header("cookie", format!("passgate_session={token}")),
        )
        .await
    }

    /// `GET path` with the session cookie, straight to node `i`.
    pub async fn get_direct(&self, i: usize, path: &str, token: &str) -> Served {
        Self::send(
            self.direct(i, Method::GET, path)
                .header("accept", "application/json")
                .header("cookie", format!("passgate_session={token}")),
        )
        .await
    }

    /// Creates `username` and binds a new passkey on `device` through the balancer:
    /// (identity id, passkey id, the finish answer). Asserts begin and finish met two
    /// different instances.
    pub async fn enroll(
        &self,
        device: &mut Authenticator,
        username: &str,
    ) -> (String, String, Served) {
        let created = self
            .admin(
                Method::POST,
                &realm_path("/identities"),
                Some(json!({"identity": {"traits": {"username": username,
                    "primary_email_address": format!("{username}@example.com")}}})),
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.text);
        let id = created.body["id"].as_str().unwrap().to_string();
        let job = self
            .admin(
                Method::POST,
                &realm_path(&format!("/identities/{id}/credential-binding-jobs")),
                Some(json!({"job": {"delivery_method": "RETURN"}})),
            )
            .await;
        assert_eq!(job.status, 200, "{}", job.text);
        let link = job.body["credential_binding_link"].as_str().unwrap();
        let begin = self
            .ceremony(
                "/.passgate/api/v1/bind/begin",
                json!({"token": token_of(link)}),
            )
            .await;
        assert_eq!(begin.status, 200, "{}", begin.text);
        let credential = device
            .register(&self.origin(), &begin.body)
            .expect("register");
        let finish = self
            .ceremony(
                "/.passgate/api/v1/bind/finish",
                json!({"ceremony": begin.body["ceremony"], "credential": credential}),
            )
            .await;
        assert_eq!(finish.status, 200, "{}", finish.text);
        assert_ne!(
            begin.server, finish.server,
            "bind begin and finish met one instance"
        );
        let passkey = finish.body["passkey"]["id"].as_str().unwrap().to_string();
        (id, passkey, finish)
    }

    /// A usernameless sign-in with `device` through the balancer: (begin's instance, the
    /// finish answer).
    pub async fn sign_in(&self, device: &mut Authenticator) -> (String, Served) {
        let begin = self
            .ceremony("/.passgate/api/v1/authenticate/begin", json!({}))
            .await;
        assert_eq!(begin.status, 200, "{}", begin.text);
        let credential = device
            .authenticate(&self.origin(), &begin.body)
            .expect("authenticate");
        let finish = self
            .ceremony(
                "/.passgate/api/v1/authenticate/finish",
                json!({"ceremony": begin.body["ceremony"], "credential": credential}),
            )
            .await;
        (begin.server, finish)
    }
}

/// Whether HAProxy is installed (a note on stderr when not; a failure when
/// [`REQUIRE_ENV`] is set).
pub fn haproxy_present() -> bool {
    if std::path::Path::new(HAPROXY).exists() {
        return true;
    }
    assert!(
        std::env::var_os(REQUIRE_ENV).is_none(),
        "{REQUIRE_ENV} is set but {HAPROXY} is missing"
    );
    eprintln!("skipped: {HAPROXY} is not installed (apt-get install haproxy)");
    false
}

fn node_config(
    lb: u16,
    port: u16,
    store: &str,
    store_extra: &str,
    upstream: &str,
    extra: &str,
) -> String {
    format!(
        r#"public_url = "http://localhost:{lb}"

[server]
threads = 2
grace_period = "0s"
graceful_shutdown_timeout = "5s"
trust_forwarded_headers = true

[[listeners]]
address = "127.0.0.1:{port}"

[store]
url = "{store}"
max_connections = 4
{store_extra}

{extra}

[[routes]]
host = "*"
path_prefix = "/public"
upstream = "{upstream}"
policy = "public"

[[routes]]
host = "*"
upstream = "{upstream}"
policy = "authenticated"
"#
    )
}

async fn start_balancer(port: u16, nodes: &[(String, u16)]) -> Balancer {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("haproxy.cfg");
    std::fs::write(&cfg, haproxy_config(port, nodes)).unwrap();
    let check = Command::new(HAPROXY)
        .arg("-c")
        .arg("-f")
        .arg(&cfg)
        .output()
        .expect("haproxy -c");
    assert!(
        check.status.success(),
        "haproxy refused its config: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let log = std::fs::File::create(dir.path().join("haproxy.log")).unwrap();
    let child = Command::new(HAPROXY)
        .arg("-db")
        .arg("-f")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start haproxy");
    let mut lb = Balancer {
        port,
        child,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = lb.child.try_wait() {
            panic!("haproxy exited at once ({status})");
        }
        let url = format!("http://127.0.0.1:{port}/.passgate/healthz");
        if let Ok(r) = reqwest::get(&url).await {
            if r.status().is_success() {
                return lb;
            }
        }
        assert!(Instant::now() < deadline, "haproxy never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
