//! Runs the real `passgate` binary on a config written to a temp dir, waits until it
//! answers `/.passgate/healthz`, captures its log, and kills it on drop.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;

pub const BIN: &str = env!("CARGO_BIN_EXE_passgate");

pub struct Gateway {
    pub child: Child,
    pub dir: tempfile::TempDir,
    /// The plain-HTTP listener port (the first listener of the config).
    pub port: u16,
    pub config_path: PathBuf,
    pub log_path: PathBuf,
}

/// A minimal config head with a plain listener on `port` and public_url on localhost.
pub fn base_config(port: u16) -> String {
    format!(
        r#"public_url = "http://localhost:{port}"

[server]
threads = 2
grace_period = "0s"
graceful_shutdown_timeout = "5s"

[[listeners]]
address = "127.0.0.1:{port}"
"#
    )
}

/// A `[[routes]]` entry sending every host and path to `upstream`, with no sign-in.
pub fn public_route(upstream: &str) -> String {
    format!("\n[[routes]]\nhost = \"*\"\nupstream = \"{upstream}\"\npolicy = \"public\"\n")
}

impl Gateway {
    /// Starts passgate with `config` (TOML). `port` must be the plain listener in it.
    pub async fn start(port: u16, config: &str) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(dir, port, config).await
    }

    /// Like [`Gateway::start`] but in a prepared directory (e.g. holding certificates).
    pub async fn start_in(dir: tempfile::TempDir, port: u16, config: &str) -> Gateway {
        Self::start_with_args(dir, port, config, &[]).await
    }

    /// Like [`Gateway::start_in`] with extra `serve` arguments (e.g. `--log-json`).
    pub async fn start_with_args(
        dir: tempfile::TempDir,
        port: u16,
        config: &str,
        args: &[&str],
    ) -> Gateway {
        Self::start_full(dir, port, config, args, None).await
    }

    /// Like [`Gateway::start`] on the test clock `clock` (see [`TestClock`]).
    pub async fn start_on_clock(port: u16, config: &str, clock: Option<&TestClock>) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_full(dir, port, config, &[], clock).await
    }

    async fn start_full(
        dir: tempfile::TempDir,
        port: u16,
        config: &str,
        args: &[&str],
        clock: Option<&TestClock>,
    ) -> Gateway {
        let config_path = dir.path().join("passgate.toml");
        std::fs::write(&config_path, config).expect("write config");
        let log_path = dir.path().join("passgate.log");
        let log = std::fs::File::create(&log_path).expect("log file");
        let mut cmd = Command::new(BIN);
        if let Some(c) = clock {
            cmd.env(passgate::clock::TEST_CLOCK_ENV, &c.path);
        }
        let child = cmd
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .args(args)
            .current_dir(dir.path())
            .env("RUST_LOG", "info,passgate=debug")
            .env_remove("PASSGATE_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn passgate");
        let mut gw = Gateway {
            child,
            dir,
            port,
            config_path,
            log_path,
        };
        gw.wait_ready().await;
        gw
    }

    /// A fresh gateway on a fresh port with `routes` appended to the base config.
    pub async fn with_routes(routes: &str) -> Gateway {
        Gateway::with_server_keys("", routes).await
    }

    /// Like [`Gateway::with_routes`], with extra `key = value` lines in `[server]`.
    pub async fn with_server_keys(server_keys: &str, routes: &str) -> Gateway {
        let port = free_port();
        let head = base_config(port).replace("[server]\n", &format!("[server]\n{server_keys}\n"));
        Gateway::start(port, &format!("{head}\n{routes}")).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::Client::new();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("passgate exited early ({status}):\n{}", self.log());
            }
            let url = format!("http://127.0.0.1:{}/.passgate/healthz", self.port);
            if let Ok(r) = client.get(&url).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            if Instant::now() > deadline {
                panic!("passgate did not become ready:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log_path) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// Waits until the log contains `needle` (or panics after `secs`).
    pub async fn wait_for_log(&self, needle: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.log().contains(needle) {
            if Instant::now() > deadline {
                panic!("log never contained {needle:?}:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until at least `n` log lines contain `needle` (or panics after `secs`).
    pub async fn wait_for_lines(&self, needle: &str, n: usize, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.log().lines().filter(|l| l.contains(needle)).count() < n {
            if Instant::now() > deadline {
                panic!(
                    "fewer than {n} log lines contained {needle:?}:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until one log line contains every needle: the access line of a request is
    /// written after its debug lines, so waiting for a path alone can return too early.
    pub async fn wait_for_line(&self, needles: &[&str], secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self
            .log()
            .lines()
            .any(|l| needles.iter().all(|n| l.contains(n)))
        {
            if Instant::now() > deadline {
                panic!("no log line contained all of {needles:?}:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn write_config(&self, config: &str) {
        std::fs::write(&self.config_path, config).expect("rewrite config");
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, sig).expect("send signal");
    }

    /// Waits for the process to exit on its own (or panics after `secs`).
    pub async fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                panic!("passgate did not exit:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// A spawned server's clock, moved by the test: the server adds the seconds written in
/// this file to its system clock (`PASSGATE_TEST_CLOCK_FILE`, read on every clock call), so
/// an expiry is reached by moving the clock instead of sleeping.
pub struct TestClock {
    pub path: PathBuf,
}

impl TestClock {
    /// A clock file in `dir`, at offset 0.
    pub fn in_dir(dir: &Path) -> TestClock {
        let path = dir.join("clock-offset-secs");
        std::fs::write(&path, "0").expect("write the clock file");
        TestClock { path }
    }

    /// Moves the server's clock forward by `secs`.
    pub fn advance_secs(&self, secs: i64) {
        let now: i64 = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        // Written whole under another name, then renamed: a read never sees half a number.
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, (now + secs).to_string()).expect("write the clock file");
        std::fs::rename(&tmp, &self.path).expect("move the clock file");
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The problem lines (`  - path (line n): message`) of a `check` report.
pub fn problem_lines(report: &str) -> Vec<String> {
    report
        .lines()
        .filter_map(|l| l.strip_prefix("  - "))
        .map(str::to_string)
        .collect()
}

/// Runs `passgate check --config <path>`, returning (exit success, stdout, stderr).
pub fn check(path: &Path) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("check")
        .arg("--config")
        .arg(path)
        .env_remove("PASSGATE_CONFIG")
        .output()
        .expect("run passgate check");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
