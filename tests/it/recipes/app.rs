//! The installed apps (`examples/recipes/install.sh`) and one app process: started with
//! its log in a temp dir, ready when it answers HTTP on its port (polled, with a deadline),
//! killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long an app may take to answer its first request (Node-RED and Django start in a
/// few seconds; a busy two-core machine is slower).
const READY_WITHIN: Duration = Duration::from_secs(120);

/// What `install.sh` installed.
pub struct Installed {
    pub dir: PathBuf,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The venv with Datasette, Django and Flask-AppBuilder.
    Python,
    /// Node-RED and jose.
    Node,
}

impl Installed {
    /// `$PASSGATE_RECIPES_DIR`, default `target/recipes` in the source tree.
    pub fn dir() -> PathBuf {
        match std::env::var_os("PASSGATE_RECIPES_DIR") {
            Some(d) => PathBuf::from(d),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/recipes"),
        }
    }

    /// The program `name` of the venv (`python`, `datasette`, `flask`).
    pub fn venv_bin(&self, name: &str) -> PathBuf {
        self.dir.join("venv/bin").join(name)
    }

    pub fn node_modules(&self) -> PathBuf {
        self.dir.join("node/node_modules")
    }

    fn present(&self, kind: Kind) -> bool {
        match kind {
            // The stamp is written after `pip install` and `pip check` succeeded.
            Kind::Python => self.dir.join("venv/.passgate-requirements").is_file(),
            Kind::Node => {
                self.dir.join("node/.passgate-lock").is_file()
                    && self.node_modules().join("node-red/red.js").is_file()
            }
        }
    }
}

/// For the top of a recipe test: the installed apps, or `None` after printing "skipped"
/// when they are missing. Panics when they are missing but `PASSGATE_REQUIRE_RECIPES=1`.
pub fn installed_or_skip(test: &str, kind: Kind) -> Option<Installed> {
    let installed = Installed {
        dir: Installed::dir(),
    };
    if installed.present(kind) {
        return Some(installed);
    }
    let why = format!(
        "the recipe apps are not installed in {} (run examples/recipes/install.sh)",
        installed.dir.display()
    );
    assert!(
        std::env::var("PASSGATE_REQUIRE_RECIPES").as_deref() != Ok("1"),
        "{test}: PASSGATE_REQUIRE_RECIPES=1 but {why}"
    );
    println!("skipped: {test}: {why}");
    None
}

/// A running app on `127.0.0.1:port`.
pub struct App {
    pub name: &'static str,
    pub port: u16,
    child: Child,
    /// Holds the log (and whatever else the app writes: databases, user dirs).
    _dir: tempfile::TempDir,
    log: PathBuf,
}

impl App {
    /// Runs `cmd` (its working directory and stdio are set here: a temp dir, and a log
    /// file in it), then waits until `GET ready_path` gets any HTTP answer.
    pub async fn start(name: &'static str, port: u16, mut cmd: Command, ready_path: &str) -> App {
        let dir = tempfile::tempdir().expect("app dir");
        Self::start_in(name, port, dir, &mut cmd, ready_path).await
    }

    /// Like [`App::start`] in a prepared directory (which `cmd` may name).
    pub async fn start_in(
        name: &'static str,
        port: u16,
        dir: tempfile::TempDir,
        cmd: &mut Command,
        ready_path: &str,
    ) -> App {
        let log = dir.path().join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = cmd
            .current_dir(dir.path())
            // Nothing is written into the source tree (the apps are run from it).
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone().expect("log file")))
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let mut app = App {
            name,
            port,
            child,
            _dir: dir,
            log,
        };
        app.wait_ready(ready_path).await;
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn wait_ready(&mut self, path: &str) {
        let deadline = Instant::now() + READY_WITHIN;
        let client = crate::support::client();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited early ({status}):\n{}", self.name, self.log());
            }
            if client.get(self.url(path)).send().await.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not answer on port {} within {READY_WITHIN:?}:\n{}",
                self.name,
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a one-off command (e.g. `manage.py migrate`) to completion within `limit`; panics
/// with its output when it fails or takes longer.
pub async fn run_to_end(what: &str, cmd: &mut Command, limit: Duration) {
    let mut cmd = tokio::process::Command::from(std::mem::replace(cmd, Command::new("true")));
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(limit, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {limit:?}"))
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
