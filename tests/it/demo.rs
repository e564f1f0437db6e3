//! The README's first command, `passgate demo`, end to end: it starts on its embedded
//! defaults with a SQLite store and the demo app behind it, prints a one-time binding link
//! for the first user, and that link creates a passkey whose session reaches the demo app
//! with identity headers.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::authenticator::Authenticator;
use crate::support::gateway::BIN;
use crate::support::{client, free_port};

struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the demo on `port` (its app on `app_port`) and returns it with the link it printed.
fn start(dir: &std::path::Path, port: u16, app_port: u16) -> (Demo, String) {
    let mut child = Command::new(BIN)
        .args([
            "demo",
            "--port",
            &port.to_string(),
            "--app-port",
            &app_port.to_string(),
        ])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn passgate demo");
    let stdout = child.stdout.take().expect("stdout");
    let demo = Demo(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = BufReader::new(stdout).lines();
    let prefix = format!("http://localhost:{port}/.passgate/bind?token=");
    loop {
        assert!(
            Instant::now() < deadline,
            "the demo printed no binding link"
        );
        let line = lines.next().expect("demo output ended").expect("read");
        if let Some(at) = line.find(&prefix) {
            return (demo, line[at..].trim().to_string());
        }
    }
}

async fn post(url: String, body: Value) -> (u16, Value, Option<String>) {
    let resp = client().post(url).json(&body).send().await.expect("post");
    let status = resp.status().as_u16();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string());
    (status, resp.json().await.unwrap_or(Value::Null), cookie)
}

#[tokio::test]
async fn the_demo_prints_a_link_that_signs_the_first_admin_in() {
    let dir = tempfile::tempdir().unwrap();
    let http = client();
    // Ports are picked free but another test may take one before the demo binds it under
    // a loaded parallel run: then start again on fresh ports (at most three times).
    let mut attempt = 0;
    let (demo, link, port, app_port) = loop {
        attempt += 1;
        let (port, app_port) = (free_port(), free_port());
        let (demo, link) = start(dir.path(), port, app_port);
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut up = false;
        while Instant::now() < deadline {
            let url = format!("http://localhost:{port}/.passgate/healthz");
            if http.get(url).send().await.is_ok_and(|r| r.status() == 200) {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if up {
            break (demo, link, port, app_port);
        }
        assert!(attempt < 3, "the demo never answered");
    };
    assert!(
        dir.path().join("passgate-demo.db").exists(),
        "SQLite store not created"
    );
    let origin = format!("http://localhost:{port}");
    let public = http.get(format!("{origin}/public")).send().await.unwrap();
    assert_eq!(public.status(), 200);
    let home = http
        .get(format!("{origin}/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 302, "the demo app must need a sign-in");

    let token = link.split("token=").nth(1).unwrap().to_string();
    let (status, begin, _) = post(
        format!("{origin}/.passgate/api/v1/bind/begin"),
        json!({"token": token}),
    )
    .await;
    assert_eq!(status, 200, "{begin}");
    let mut authenticator = Authenticator::new();
    let credential = authenticator.register(&origin, &begin).expect("register");
    let (status, done, cookie) = post(
        format!("{origin}/.passgate/api/v1/bind/finish"),
        json!({"ceremony": begin["ceremony"], "credential": credential}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["identity"]["traits"]["username"], "admin");
    let cookie = cookie.expect("a session cookie");
    let pair = cookie.split(';').next().unwrap().to_string();

    let whoami = http
        .get(format!("{origin}/api/whoami"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status(), 200);
    let headers: Value = whoami.json().await.unwrap();
    assert_eq!(headers["x-passgate-user"], "admin", "{headers}");

    // The link was single use; a restart prints a new one and keeps the user.
    drop(demo);
    let (_demo, second) = start(dir.path(), port, app_port);
    assert_ne!(second, link);
}

/// A demo whose standard output is closed before it prints (`passgate demo | head -1`, or a
/// test that read its link) keeps serving: printing to a closed pipe once stopped it.
#[tokio::test]
async fn the_demo_keeps_serving_when_its_output_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let http = client();
    for attempt in 1..=3 {
        let (port, app_port) = (free_port(), free_port());
        let mut child = Command::new(BIN)
            .args(["demo", "--port", &port.to_string()])
            .args(["--app-port", &app_port.to_string()])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn passgate demo");
        // The reading end goes away before the demo has printed anything.
        drop(child.stdout.take());
        let demo = Demo(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let url = format!("http://127.0.0.1:{port}/.passgate/healthz");
            if http.get(url).send().await.is_ok_and(|r| r.status() == 200) {
                // Still there a moment later (after its banner was written).
                tokio::time::sleep(Duration::from_millis(300)).await;
                let url = format!("http://127.0.0.1:{port}/public");
                let r = http.get(url).send().await.expect("the demo stopped");
                assert_eq!(r.status(), 200);
                drop(demo);
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A port taken by another test meanwhile: start again on fresh ones.
        assert!(
            attempt < 3,
            "the demo never answered with its output closed"
        );
    }
}
