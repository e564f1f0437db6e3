//! Store outages with real processes, bounded in time (three instances behind HAProxy,
//! signed-in traffic flowing throughout):
//! - one instance cut off from PostgreSQL by a TCP relay while the others reach it: its
//!   fast path keeps serving (tokens past `exp` kept within `session.outage_grace`, then
//!   `503`, never a sign-out), `readyz` 503 then 200, control-plane calls `503` with
//!   `Retry-After`, and revocations made on another instance during the cut take effect
//!   within 2 s of reconnecting;
//! - a private PostgreSQL server (initdb/pg_ctl on a free port, never the shared one)
//!   restarted, then stopped for 20 s: zero failed signed-in requests, no `500` from the
//!   control plane, everything back without restarting passgate.
//!
//! The figures are printed (`--nocapture`); `docs/deployment.md` reports them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::admin::realm_path;
use crate::support::authenticator::Authenticator;
use crate::support::client;
use crate::support::cluster::{haproxy_present, Cluster};
use crate::support::db::TestDb;
use crate::support::private_pg::PrivatePg;
use crate::support::relay::Relay;

const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36";

/// Status, `Retry-After`, `Set-Cookie` (present or not) and body of one answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    retry_after: Option<String>,
    set_cookie: bool,
    text: String,
}

async fn answer(req: reqwest::RequestBuilder) -> Answer {
    match req.send().await {
        Ok(r) => {
            let h = |n: &str| {
                r.headers()
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let retry_after = h("retry-after");
            let set_cookie = h("set-cookie").is_some();
            let status = r.status().as_u16();
            Answer {
                status,
                retry_after,
                set_cookie,
                text: r.text().await.unwrap_or_default(),
            }
        }
        Err(e) => Answer {
            status: 0,
            retry_after: None,
            set_cookie: false,
            text: e.to_string(),
        },
    }
}

/// Asserts `503` with `Retry-After` and the `service_unavailable` code (SCIM: its schema;
/// a page: words to try again).
fn assert_unavailable(what: &str, a: &Answer) {
    assert_eq!(a.status, 503, "{what}: {a:?}");
    assert!(
        a.retry_after
            .as_deref()
            .is_some_and(|v| v.parse::<u64>().is_ok()),
        "{what}: no Retry-After: {a:?}"
    );
    // JSON says the code (SCIM: the status in its schema); a page says to try again.
    assert!(
        a.text.contains("service_unavailable")
            || a.text.contains("\"503\"")
            || (a.text.contains("<html") && a.text.contains("try again")),
        "{what}: {a:?}"
    );
}

/// A request straight to `port` as the balancer would forward it (its `Host`).
fn to_node(port: u16, lb: u16, method: Method, path: &str) -> reqwest::RequestBuilder {
    client()
        .request(method, format!("http://127.0.0.1:{port}{path}"))
        .header("host", format!("localhost:{lb}"))
}

fn with_session(req: reqwest::RequestBuilder, token: &str) -> reqwest::RequestBuilder {
    req.header("cookie", format!("passgate_session={token}"))
}

/// Signed-in `GET /app` on one instance in a loop until stopped: answers by status (`0`:
/// no answer).
struct Traffic {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<BTreeMap<u16, u32>>,
}

impl Traffic {
    fn start(
        port: u16,
        lb: u16,
        token: String,
        path: &'static str,
        bearer: Option<String>,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut seen = BTreeMap::new();
            let mut no_retry_after = 0u32;
            while !flag.load(Ordering::Relaxed) {
                let mut req = with_session(to_node(port, lb, Method::GET, path), &token)
                    .header("accept", "application/json");
                if let Some(b) = &bearer {
                    req = req.bearer_auth(b);
                }
                let a = answer(req).await;
                if a.status == 503 && a.retry_after.is_none() {
                    no_retry_after += 1;
                }
                *seen.entry(a.status).or_insert(0) += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            // Counted as a status of its own so the caller's assertion names it.
            if no_retry_after > 0 {
                seen.insert(1503, no_retry_after);
            }
            seen
        });
        Traffic { stop, task }
    }

    async fn finish(self) -> BTreeMap<u16, u32> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("traffic task")
    }
}

async fn readyz(port: u16) -> u16 {
    answer(client().get(format!("http://127.0.0.1:{port}/.passgate/readyz")))
        .await
        .status
}

/// Polls `readyz` on `port` until it says `status` (at most `secs`); how long it took.
async fn wait_ready(port: u16, status: u16, secs: u64) -> Duration {
    let start = Instant::now();
    loop {
        let got = readyz(port).await;
        if got == status {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "readyz on {port} stayed {got}, expected {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The control-plane calls that need the store, against one instance: each must answer
/// `503` with `Retry-After` (asserted by `check`).
async fn control_calls(port: u16, lb: u16, admin_token: &str) -> Vec<(&'static str, Answer)> {
    let admin =
        answer(to_node(port, lb, Method::GET, &realm_path("/identities")).bearer_auth(admin_token))
            .await;
    let create = answer(
        to_node(port, lb, Method::POST, &realm_path("/identities"))
            .bearer_auth(admin_token)
            .json(&json!({"identity": {"traits": {"username": "during-outage"}}})),
    )
    .await;
    let scim = answer(
        to_node(port, lb, Method::GET, &realm_path("/scim/v2/Users")).bearer_auth(admin_token),
    )
    .await;
    let signin = answer(
        to_node(
            port,
            lb,
            Method::POST,
            "/.passgate/api/v1/authenticate/begin",
        )
        .header("user-agent", UA)
        .json(&json!({})),
    )
    .await;
    let bind = answer(
        to_node(port, lb, Method::POST, "/.passgate/api/v1/bind/begin")
            .header("user-agent", UA)
            .json(&json!({"token": "A".repeat(43)})),
    )
    .await;
    let bind_page = answer(
        to_node(
            port,
            lb,
            Method::GET,
            &format!("/.passgate/bind?token={}", "A".repeat(43)),
        )
        .header("accept", "text/html"),
    )
    .await;
    let login_page = answer(
        to_node(port, lb, Method::GET, "/.passgate/login?rd=%2F")
            .header("user-agent", UA)
            .header("accept", "text/html"),
    )
    .await;
    vec![
        ("sign-in page", login_page),
        ("binding page", bind_page),
        ("admin API list", admin),
        ("admin API create", create),
        ("SCIM list", scim),
        ("sign-in begin", signin),
        ("binding begin", bind),
    ]
}

/// Signs `device` in with both ceremony steps on node `i` (the balancer's origin): the
/// session token.
async fn sign_in_on(c: &Cluster, i: usize, device: &mut Authenticator) -> String {
    let (port, lb) = (c.nodes[i].port, c.lb.port);
    let begin = answer(
        to_node(
            port,
            lb,
            Method::POST,
            "/.passgate/api/v1/authenticate/begin",
        )
        .header("user-agent", UA)
        .json(&json!({})),
    )
    .await;
    assert_eq!(begin.status, 200, "{begin:?}");
    let options: Value = serde_json::from_str(&begin.text).unwrap();
    let credential = device.authenticate(&c.origin(), &options).unwrap();
    let finish = to_node(
        port,
        lb,
        Method::POST,
        "/.passgate/api/v1/authenticate/finish",
    )
    .header("user-agent", UA)
    .json(&json!({"ceremony": options["ceremony"], "credential": credential}))
    .send()
    .await
    .unwrap();
    assert_eq!(finish.status(), 200);
    let cookie = finish.headers()["set-cookie"].to_str().unwrap().to_string();
    cookie
        .strip_prefix("passgate_session=")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string()
}

/// Signs the session out on node `i` (`DELETE /.passgate/api/v1/session`).
async fn sign_out_on(c: &Cluster, i: usize, token: &str) {
    let a = answer(with_session(
        to_node(
            c.nodes[i].port,
            c.lb.port,
            Method::DELETE,
            "/.passgate/api/v1/session",
        ),
        token,
    ))
    .await;
    assert!(a.status < 300, "sign-out: {a:?}");
}

async fn app_on(c: &Cluster, i: usize, token: &str, html: bool) -> Answer {
    let accept = if html {
        "text/html"
    } else {
        "application/json"
    };
    answer(
        with_session(
            to_node(c.nodes[i].port, c.lb.port, Method::GET, "/app"),
            token,
        )
        .header("accept", accept),
    )
    .await
}

/// Forward-auth (`/.passgate/verify?rd=1`, a browser navigation to `/app`) on node `i`.
async fn verify_on(c: &Cluster, i: usize, token: &str) -> Answer {
    answer(
        with_session(
            to_node(
                c.nodes[i].port,
                c.lb.port,
                Method::GET,
                "/.passgate/verify?rd=1",
            ),
            token,
        )
        .header("X-Forwarded-Method", "GET")
        .header("X-Forwarded-Proto", "http")
        .header("X-Forwarded-Host", format!("localhost:{}", c.lb.port))
        .header("X-Forwarded-Uri", "/app")
        .header("accept", "text/html"),
    )
    .await
}

async fn session_api_on(c: &Cluster, i: usize, token: &str) -> Answer {
    answer(with_session(
        to_node(
            c.nodes[i].port,
            c.lb.port,
            Method::GET,
            "/.passgate/api/v1/session",
        ),
        token,
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_cut_off_from_the_store_keeps_serving_and_catches_up() {
    if !haproxy_present() {
        return;
    }
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let (mut relay, _) = Relay::to_postgres(&db.url).await;
    let relay_port = relay.port;
    // Node 0 reaches PostgreSQL through the relay, the others directly.
    let c = Cluster::start_on(
        db,
        "[session]\ntoken_ttl = \"10s\"\noutage_grace = \"60s\"\n",
        "connect_timeout = \"1s\"\ntimeout = \"2s\"",
        &|i, url| {
            if i > 0 {
                return url.to_string();
            }
            let mut u = url::Url::parse(url).unwrap();
            u.set_host(Some("127.0.0.1")).unwrap();
            u.set_port(Some(relay_port)).unwrap();
            u.to_string()
        },
    )
    .await;
    let (n0, lb) = (c.nodes[0].port, c.lb.port);
    let mut alice_device = Authenticator::new();
    let (_, _, bound) = c.enroll(&mut alice_device, "alice").await;
    let alice = bound.token().unwrap();
    let mut bob_device = Authenticator::new();
    let (_, _, bound) = c.enroll(&mut bob_device, "bob").await;
    let bob = bound.token().unwrap();
    let mut carol_device = Authenticator::new();
    c.enroll(&mut carol_device, "carol").await;
    for t in [&alice, &bob] {
        assert_eq!(app_on(&c, 0, t, false).await.status, 200);
    }

    let traffic = Traffic::start(n0, lb, alice.clone(), "/app", None);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cut = Instant::now();
    relay.cut();
    let to_503 = wait_ready(n0, 503, 15).await;
    assert_eq!(readyz(c.nodes[1].port).await, 200);

    // The control plane says 503 with Retry-After, never 500, and never a hang.
    let asked = Instant::now();
    let calls = control_calls(n0, lb, &c.token).await;
    let n_calls = calls.len();
    for (what, a) in calls {
        assert_unavailable(what, &a);
    }
    let control_secs = asked.elapsed().as_secs_f64();
    // A valid token is honoured by the session API too (from the token, as the fast path).
    assert_eq!(session_api_on(&c, 0, &alice).await.status, 200);

    // The admin console (a signed-in user; whether an admin needs the store): 503 page.
    let console = answer(
        with_session(to_node(n0, lb, Method::GET, "/.passgate/console/"), &alice)
            .header("accept", "text/html"),
    )
    .await;
    assert_eq!(console.status, 503, "{console:?}");
    assert!(console.retry_after.is_some(), "{console:?}");

    // Bob signs out on another instance: the cut-off one cannot know yet.
    sign_out_on(&c, 1, &bob).await;
    assert_eq!(app_on(&c, 0, &bob, false).await.status, 200);

    // Tokens expire (token_ttl 10 s) during the outage: kept within outage_grace (60 s).
    c.clock.advance_secs(15);
    let kept = app_on(&c, 0, &alice, false).await;
    assert_eq!(kept.status, 200, "{kept:?}");
    assert!(!kept.set_cookie, "a kept token is not re-issued");
    assert_eq!(session_api_on(&c, 0, &alice).await.status, 200);
    assert_eq!(app_on(&c, 0, &alice, true).await.status, 200);
    let verified = verify_on(&c, 0, &alice).await;
    assert_eq!(verified.status, 200, "{verified:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let served = traffic.finish().await;
    let outage_secs = cut.elapsed().as_secs_f64();

    // Past the grace: 503 with Retry-After, not 401 or a redirect to a sign-in page.
    c.clock.advance_secs(60);
    assert_unavailable("expired token (JSON)", &app_on(&c, 0, &alice, false).await);
    let html = app_on(&c, 0, &alice, true).await;
    assert_eq!(html.status, 503, "{html:?}");
    assert!(html.retry_after.is_some(), "{html:?}");
    assert_unavailable("session API", &session_api_on(&c, 0, &alice).await);
    assert_unavailable("forward-auth", &verify_on(&c, 0, &alice).await);

    // Carol signs in on another instance, is seen by the cut-off one, and signs out there.
    let carol = sign_in_on(&c, 1, &mut carol_device).await;
    assert_eq!(app_on(&c, 0, &carol, false).await.status, 200);
    sign_out_on(&c, 2, &carol).await;
    assert_eq!(app_on(&c, 0, &carol, false).await.status, 200);

    relay.restore().await;
    let restored = Instant::now();
    // Revocations made during the cut: carol's valid token (the revocation feed) and
    // bob's expired one (re-issue refused).
    let mut carol_lag = None;
    let mut bob_lag = None;
    while (carol_lag.is_none() || bob_lag.is_none()) && restored.elapsed() < Duration::from_secs(5)
    {
        if carol_lag.is_none() && app_on(&c, 0, &carol, false).await.status == 401 {
            carol_lag = Some(restored.elapsed());
        }
        if bob_lag.is_none() && app_on(&c, 0, &bob, false).await.status == 401 {
            bob_lag = Some(restored.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let to_200 = wait_ready(n0, 200, 15).await;
    let back = app_on(&c, 0, &alice, false).await;
    assert_eq!(back.status, 200, "{back:?}");
    assert!(back.set_cookie, "re-issued once the store is back");
    let listed =
        answer(to_node(n0, lb, Method::GET, &realm_path("/identities")).bearer_auth(&c.token))
            .await;
    assert_eq!(listed.status, 200, "{listed:?}");

    let total: u32 = served.values().sum();
    let failed: u32 = served
        .iter()
        .filter(|(s, _)| **s != 200)
        .map(|(_, n)| n)
        .sum();
    eprintln!(
        "cut-off instance: {total} signed-in requests in {outage_secs:.1} s of outage, {failed} failed ({served:?}); \
         readyz 503 after {} ms, 200 {} ms after the relay came back; {n_calls} control-plane calls answered 503 in {control_secs:.2} s; \
         revocations made elsewhere during the cut refused {} ms (valid token, feed) and {} ms (expired token) after reconnecting",
        to_503.as_millis(),
        to_200.as_millis(),
        carol_lag.map_or(-1, |d| d.as_millis() as i64),
        bob_lag.map_or(-1, |d| d.as_millis() as i64),
    );
    assert_eq!(failed, 0, "{served:?}");
    assert!(total > 50, "{served:?}");
    assert!(
        carol_lag.is_some_and(|d| d <= Duration::from_secs(2)),
        "{carol_lag:?}"
    );
    assert!(
        bob_lag.is_some_and(|d| d <= Duration::from_secs(2)),
        "{bob_lag:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_then_stopped_for_20_s_under_signed_in_traffic() {
    if !haproxy_present() {
        return;
    }
    let Some(pg) = PrivatePg::start() else {
        return;
    };
    let pg = Arc::new(pg);
    let c = Cluster::start_on(
        TestDb::external(&pg.url()),
        "[session]\ntoken_ttl = \"10s\"\n",
        "connect_timeout = \"1s\"\ntimeout = \"2s\"",
        &|_, url| url.to_string(),
    )
    .await;
    let (n0, n1, lb) = (c.nodes[0].port, c.nodes[1].port, c.lb.port);
    let mut device = Authenticator::new();
    let (_, _, bound) = c.enroll(&mut device, "alice").await;
    let alice = bound.token().unwrap();
    for i in 0..3 {
        assert_eq!(app_on(&c, i, &alice, false).await.status, 200);
    }
    let started = Instant::now();
    // Signed-in traffic on two instances, and admin API calls on the third.
    let fast0 = Traffic::start(n0, lb, alice.clone(), "/app", None);
    let fast1 = Traffic::start(n1, lb, alice.clone(), "/app", None);
    let admin = Traffic::start(
        c.nodes[2].port,
        lb,
        alice.clone(),
        "/.passgate/v1/tenants/default/realms/default/identities",
        Some(c.token.clone()),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;

    let ctl = pg.clone();
    tokio::task::spawn_blocking(move || ctl.ctl_restart())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(readyz(n0).await, 200);

    let ctl = pg.clone();
    tokio::task::spawn_blocking(move || ctl.ctl_stop())
        .await
        .unwrap();
    let stopped = Instant::now();
    let to_503 = wait_ready(n0, 503, 10).await;
    for (what, a) in control_calls(n1, lb, &c.token).await {
        assert_unavailable(what, &a);
    }
    tokio::time::sleep(Duration::from_secs(20).saturating_sub(stopped.elapsed())).await;
    let ctl = pg.clone();
    tokio::task::spawn_blocking(move || ctl.ctl_start())
        .await
        .unwrap();
    let down_secs = stopped.elapsed().as_secs_f64();
    let to_200 = wait_ready(n0, 200, 15).await;
    for i in 0..3 {
        wait_ready(c.nodes[i].port, 200, 15).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let served: Vec<BTreeMap<u16, u32>> = vec![fast0.finish().await, fast1.finish().await];
    let admin = admin.finish().await;
    let elapsed = started.elapsed().as_secs_f64();

    // Everything is back without restarting passgate: admin API, sign-in, re-issue.
    let listed =
        answer(to_node(n0, lb, Method::GET, &realm_path("/identities")).bearer_auth(&c.token))
            .await;
    assert_eq!(listed.status, 200, "{listed:?}");
    let again = sign_in_on(&c, 1, &mut device).await;
    assert_eq!(app_on(&c, 2, &again, false).await.status, 200);
    let back = app_on(&c, 0, &alice, false).await;
    assert_eq!(back.status, 200, "{back:?}");

    let total: u32 = served.iter().flat_map(|m| m.values()).sum();
    let failed: u32 = served
        .iter()
        .flat_map(|m| m.iter())
        .filter(|(s, _)| **s != 200)
        .map(|(_, n)| n)
        .sum();
    eprintln!(
        "PostgreSQL restarted, then stopped {down_secs:.1} s: {total} signed-in requests on two instances in {elapsed:.1} s, \
         {failed} failed ({served:?}); admin API on the third: {admin:?} (503 always with Retry-After); \
         readyz 503 {} ms after the stop, 200 {} ms after the start",
        to_503.as_millis(),
        to_200.as_millis()
    );
    assert_eq!(failed, 0, "{served:?}");
    assert!(total > 200, "{served:?}");
    assert!(
        admin.keys().all(|s| *s == 200 || *s == 503),
        "admin API during the restart and the stop: {admin:?}"
    );
    assert!(admin.contains_key(&503), "{admin:?}");
}

/// A database that goes silent (connections open, nothing answers: a network dropping
/// packets) makes no request hang: each store call gives up after `store.connect_timeout`
/// + `store.timeout` and the request answers `503` with `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_store_answers_503_within_the_store_timeout() {
    use crate::support::gateway::{base_config, Gateway, BIN};
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let (mut relay, relayed) = Relay::to_postgres(&db.url).await;
    let port = crate::support::free_port();
    let config = format!(
        "{}\n[store]\nurl = \"{relayed}\"\nconnect_timeout = \"1s\"\ntimeout = \"1s\"\n",
        base_config(port)
    );
    let gw = Gateway::start(port, &config).await;
    // The CLI with the default timeouts (the tight ones are for the gateway under test).
    let cli_config = gw.dir().join("cli.toml");
    std::fs::write(
        &cli_config,
        format!("{}\n[store]\nurl = \"{relayed}\"\n", base_config(port)),
    )
    .unwrap();
    let out = std::process::Command::new(BIN)
        .args([
            "token", "create", "--name", "t", "--scope", "admin", "--config",
        ])
        .arg(&cli_config)
        .env_remove("PASSGATE_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let list = || {
        answer(
            client()
                .get(gw.url(&realm_path("/identities")))
                .bearer_auth(&token),
        )
    };
    assert_eq!(list().await.status, 200);

    relay.stall();
    let mut slowest = Duration::ZERO;
    for what in ["admin API", "again"] {
        let asked = Instant::now();
        let a = list().await;
        slowest = slowest.max(asked.elapsed());
        assert_unavailable(what, &a);
    }
    let asked = Instant::now();
    let a = answer(
        client()
            .get(gw.url(&realm_path("/scim/v2/Users")))
            .bearer_auth(&token),
    )
    .await;
    slowest = slowest.max(asked.elapsed());
    assert_unavailable("SCIM", &a);
    assert_eq!(readyz(port).await, 503);
    eprintln!(
        "silent store: 503 after at most {} ms (store.connect_timeout 1 s + store.timeout 1 s)",
        slowest.as_millis()
    );
    assert!(slowest < Duration::from_secs(4), "{slowest:?}");

    // Silent in the middle of a transaction, on a connection already checked out (the
    // pool's checks cannot see it): the call still ends at the bound.
    relay.cut();
    relay.restore().await;
    let back = Instant::now();
    while list().await.status != 200 {
        assert!(back.elapsed() < Duration::from_secs(15), "{}", gw.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    relay.stall_on(b"INSERT INTO identities");
    let asked = Instant::now();
    let created = answer(
        client()
            .post(gw.url(&realm_path("/identities")))
            .bearer_auth(&token)
            .json(&json!({"identity": {"traits": {"username": "mid-transaction"}}})),
    )
    .await;
    let mid = asked.elapsed();
    assert_unavailable("create, silent mid-transaction", &created);
    eprintln!("silent mid-transaction: 503 after {} ms", mid.as_millis());
    assert!(mid < Duration::from_secs(4), "{mid:?}");

    // The network gives up on the silent connections; the store is back.
    relay.cut();
    relay.restore().await;
    let back = Instant::now();
    loop {
        let a = list().await;
        if a.status == 200 {
            break;
        }
        assert_eq!(a.status, 503, "{a:?}");
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "{a:?}\n{}",
            gw.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
