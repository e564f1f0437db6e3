//! The process: `serve` refuses a broken config with `check`'s messages, and a busy address
//! at once; SIGTERM lets an in-flight request finish and exits 0, closing idle connections
//! at once; one access-log line per request, JSON on request.

use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::support::conn::Conn;
use crate::support::gateway::{base_config, check, problem_lines, public_route, Gateway, BIN};
use crate::support::http::{get, spawn_get, HTML};
use crate::support::{free_port, upstream};

#[test]
fn serve_refuses_a_broken_config_with_checks_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("passgate.toml");
    let port = free_port();
    std::fs::write(
        &path,
        format!(
            "{}\n[[routes]]\nhost = \"*\"\nupstream = \"http://127.0.0.1:1\"\nrealm = \"nope\"\npolicy = \"sometimes\"\n",
            base_config(port)
        ),
    )
    .unwrap();
    let (ok, _, report) = check(&path);
    assert!(!ok);
    let problems = problem_lines(&report);
    assert_eq!(problems.len(), 2, "{report}");

    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&path)
        .env_remove("PASSGATE_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success(), "serve started on a broken config");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for p in &problems {
        assert!(
            stderr.contains(p.as_str()),
            "serve did not report {p:?}:\n{stderr}"
        );
    }
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn serve_refuses_a_busy_address_at_once() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("passgate.toml");
    std::fs::write(&path, base_config(port)).unwrap();
    let log_path = dir.path().join("stderr.log");
    let mut child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&path)
        .current_dir(dir.path())
        .env_remove("PASSGATE_CONFIG")
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve kept running on a busy address");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let stderr = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")) && stderr.contains("in use"),
        "{stderr}"
    );
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_exits_0() {
    let up = upstream::start("app").await;
    let port = free_port();
    // In-flight requests may finish during `grace_period` (whole seconds for Pingora, so
    // 900ms must become 1s, not 0); then the runtimes are stopped.
    let config = format!(
        "{}{}",
        base_config(port).replace("grace_period = \"0s\"", "grace_period = \"900ms\""),
        public_route(&up.url())
    );
    let mut gw = Gateway::start(port, &config).await;
    let url = gw.url("/slow?ms=800");
    let in_flight = spawn_get(url);
    // In flight once the upstream has it.
    up.wait_for_slow(1).await;
    gw.signal(Signal::SIGTERM);
    assert_eq!(in_flight.await.unwrap(), (200, "slow done".to_string()));
    let status = gw.wait_exit(10).await;
    assert!(status.success(), "exit status {status}:\n{}", gw.log());
    assert!(gw.log().contains("passgate stopped"), "{}", gw.log());
}

/// Idle connections wait for their next request outside Pingora's per-request state
/// (`server/park.rs`); at SIGTERM they are closed at once, not left to the grace period,
/// and one that sent a request just before is still answered.
#[tokio::test]
async fn sigterm_closes_idle_connections_at_once() {
    let up = upstream::start("app").await;
    let port = free_port();
    let config = format!(
        "{}{}",
        base_config(port).replace("grace_period = \"0s\"", "grace_period = \"5s\""),
        public_route(&up.url())
    );
    let mut gw = Gateway::start(port, &config).await;
    // Kept alive after one answer, then idle.
    let mut kept = Conn::open(port).await.unwrap();
    let r = kept.get("app.test", "/one").await.unwrap();
    assert_eq!(r.status, 200);
    assert!(!r.closes());
    // Connected, nothing sent yet.
    let mut silent = Conn::open(port).await.unwrap();
    // A request on its way while the process stops.
    let mut late = Conn::open(port).await.unwrap();
    assert_eq!(late.get("app.test", "/two").await.unwrap().status, 200);
    late.send(b"GET /slow?ms=300 HTTP/1.1\r\nHost: app.test\r\n\r\n")
        .await
        .unwrap();
    up.wait_for_slow(1).await;
    let stopped = std::time::Instant::now();
    gw.signal(Signal::SIGTERM);
    let r = late.response().await.unwrap();
    assert_eq!((r.status, r.text()), (200, "slow done".to_string()));
    assert!(
        r.closes(),
        "an answer while stopping says Connection: close"
    );
    for (name, conn) in [("kept-alive", &mut kept), ("silent", &mut silent)] {
        assert!(
            conn.closes_within(Duration::from_secs(3)).await.unwrap(),
            "the {name} idle connection was still open 3 s after SIGTERM"
        );
    }
    assert!(
        stopped.elapsed() < Duration::from_secs(4),
        "idle connections waited for the 5 s grace period"
    );
    let status = gw.wait_exit(10).await;
    assert!(status.success(), "exit status {status}:\n{}", gw.log());
}

fn routes(up: &upstream::Upstream) -> String {
    format!(
        "[[routes]]\nid = \"app\"\nhost = \"app.test\"\nupstream = \"{}\"\npolicy = \"public\"\n",
        up.url()
    )
}

/// Access-log lines, without the readiness probe's (`Gateway` polls healthz until ready,
/// and the last probe's line may land after the test has started counting).
fn access_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("passgate::access") && !l.contains("/.passgate/healthz"))
        .collect()
}

#[tokio::test]
async fn one_access_log_line_per_request() {
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&routes(&up)).await;
    assert_eq!(
        get(&gw, "App.Test", "/hello/world?q=1", None).await.status,
        200
    );
    assert_eq!(get(&gw, "nowhere.test", "/missing", HTML).await.status, 404);
    gw.wait_for_line(&["passgate::access", "path=\"/missing\""], 5)
        .await;
    gw.wait_for_line(&["passgate::access", "path=\"/hello/world\""], 5)
        .await;
    let log = gw.log();
    let lines = access_lines(&log);
    let one = |path: &str| {
        let found: Vec<&&str> = lines
            .iter()
            .filter(|l| l.contains(&format!("path=\"{path}\"")))
            .collect();
        assert_eq!(found.len(), 1, "{path}: {log}");
        found[0].to_string()
    };
    let hello = one("/hello/world");
    for part in [
        "method=GET",
        "host=app.test",
        "status=200",
        "route=\"app\"",
        &format!("upstream=\"{} ({})\"", up.url(), up.addr),
        "outcome=\"proxied\"",
        "duration_ms=",
    ] {
        assert!(hello.contains(part), "{part:?} missing in {hello}");
    }
    assert!(!hello.contains("q=1"), "the query is not logged: {hello}");
    let missing = one("/missing");
    assert!(
        missing.contains("status=404") && missing.contains("route=\"-\""),
        "{missing}"
    );
}

#[tokio::test]
async fn log_json_gives_json_lines() {
    let up = upstream::start("app").await;
    let port = free_port();
    let config = format!("{}\n{}", base_config(port), routes(&up));
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start_with_args(dir, port, &config, &["--log-json"]).await;
    assert_eq!(get(&gw, "app.test", "/json-log", None).await.status, 200);
    gw.wait_for_line(&["\"passgate::access\"", "\"/json-log\""], 5)
        .await;
    let log = gw.log();
    let mut access = None;
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        // Other lines name the path too (the policy decision at debug level): take the
        // access line by its target, whatever the order the lines were written in.
        if v["path"] == "/json-log" && v["target"] == "passgate::access" {
            access = Some(v);
        }
    }
    let v = access.expect("an access line for /json-log");
    assert_eq!(v["target"], "passgate::access");
    assert_eq!(v["method"], "GET");
    assert_eq!(v["host"], "app.test");
    assert_eq!(v["status"], 200);
    assert_eq!(v["route"], "app");
    assert_eq!(v["upstream"], format!("{} ({})", up.url(), up.addr));
}
