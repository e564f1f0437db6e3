//! The admin console in a real Chromium from `passgate demo` on (see
//! `tests/browser/console.test.mjs`): the printed link binds the admin's passkey, the
//! console creates an identity and its RETURN link, a second browser binds from it and
//! reaches the demo app, a non-admin is refused. Screenshots of every page are saved to
//! `target/console-screenshots/` (docs/console.md shows a set of them).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::browser::{ready_or_skip, run_browser_test_with};
use crate::support::gateway::BIN;
use crate::support::{client, free_port};

struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_from_the_demo_in_chromium() {
    if !ready_or_skip("console_browser") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let (port, app_port) = (free_port(), free_port());
    let mut child = Command::new(BIN)
        .args([
            "demo",
            "--port",
            &port.to_string(),
            "--app-port",
            &app_port.to_string(),
        ])
        .arg("--data-dir")
        .arg(data.path().join("store"))
        .current_dir(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn passgate demo");
    let stdout = child.stdout.take().expect("stdout");
    let _demo = Demo(child);
    let base = format!("http://localhost:{port}");
    let mut lines = BufReader::new(stdout).lines();
    let (mut link, mut console) = (None, false);
    while link.is_none() || !console {
        let line = lines.next().expect("demo output ended").expect("read");
        if let Some(at) = line.find(&format!("{base}/.passgate/bind?token=")) {
            link = Some(line[at..].trim().to_string());
        }
        console |= line.contains(&format!("{base}/.passgate/console/"));
    }
    let link = link.unwrap();
    assert!(
        data.path().join("store/passgate-demo.db").exists(),
        "--data-dir holds the store"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while client()
        .get(format!("{base}/.passgate/healthz"))
        .send()
        .await
        .map_or(true, |r| r.status() != 200)
    {
        assert!(Instant::now() < deadline, "the demo never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    let vars = [
        ("PASSGATE_BIND_LINK", link.as_str()),
        ("PASSGATE_SHOTS", shots.to_str().unwrap()),
    ];
    if let Err(e) = run_browser_test_with("console", &base, &vars).await {
        panic!("{e}");
    }
}
