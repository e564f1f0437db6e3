//! The process: `serve` refuses a broken config with `check`'s messages; SIGTERM lets an
//! in-flight request finish and exits 0; one access-log line per request, JSON on request.

use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::support::gateway::{base_config, check, problem_lines, Gateway, BIN};
use crate::support::http::{get, HTML};
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

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_exits_0() {
    let up = upstream::start("app").await;
    let port = free_port();
    // In-flight requests may finish during `grace_period`; then the runtimes are stopped.
    let config = format!(
        "{}\n[[routes]]\nhost = \"*\"\nupstream = \"{}\"\npolicy = \"public\"\n",
        base_config(port).replace("grace_period = \"0s\"", "grace_period = \"2s\""),
        up.url()
    );
    let mut gw = Gateway::start(port, &config).await;
    let url = gw.url("/slow?ms=1000");
    let in_flight = tokio::spawn(async move {
        let r = reqwest::get(url).await.expect("in-flight request");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    gw.signal(Signal::SIGTERM);
    assert_eq!(in_flight.await.unwrap(), (200, "slow done".to_string()));
    let status = gw.wait_exit(10).await;
    assert!(status.success(), "exit status {status}:\n{}", gw.log());
    assert!(gw.log().contains("passgate stopped"), "{}", gw.log());
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
    let before = access_lines(&gw.log()).len();
    assert_eq!(
        get(&gw, "App.Test", "/hello/world?q=1", None).await.status,
        200
    );
    assert_eq!(get(&gw, "nowhere.test", "/missing", HTML).await.status, 404);
    gw.wait_for_log("path=\"/missing\"", 5).await;
    let log = gw.log();
    let lines = access_lines(&log);
    assert_eq!(lines.len(), before + 2, "{log}");
    let hello = lines
        .iter()
        .find(|l| l.contains("path=\"/hello/world\""))
        .unwrap();
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
    let missing = lines
        .iter()
        .find(|l| l.contains("path=\"/missing\""))
        .unwrap();
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
    gw.wait_for_log("/json-log", 5).await;
    let log = gw.log();
    let mut access = None;
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["path"] == "/json-log" {
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
