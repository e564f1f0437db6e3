//! A private PostgreSQL server for tests that stop and restart it: `initdb` in a temp
//! dir, `pg_ctl` on a free port (never the shared server). The binaries are looked up in
//! `PASSGATE_TEST_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`; without them
//! [`PrivatePg::start`] prints why and returns `None` (a failure when
//! `PASSGATE_REQUIRE_PRIVATE_POSTGRES` is set). As root the server runs as the `postgres`
//! user (`runuser`), since PostgreSQL refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN_ENV: &str = "PASSGATE_TEST_PG_BIN";
pub const REQUIRE_ENV: &str = "PASSGATE_REQUIRE_PRIVATE_POSTGRES";

pub struct PrivatePg {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    run_as: Option<String>,
    _dir: tempfile::TempDir,
}

fn find_bin() -> Option<PathBuf> {
    if let Some(b) = std::env::var_os(BIN_ENV) {
        return Some(PathBuf::from(b));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b)
}

fn skip(why: &str) -> Option<PrivatePg> {
    assert!(
        std::env::var_os(REQUIRE_ENV).is_none(),
        "{REQUIRE_ENV} is set but {why}"
    );
    eprintln!("skipped: {why}");
    None
}

impl PrivatePg {
    /// A fresh server, started and accepting connections.
    pub fn start() -> Option<PrivatePg> {
        let Some(bin) = find_bin() else {
            return skip(&format!(
                "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or {BIN_ENV}"
            ));
        };
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        let run_as = root.then(|| "postgres".to_string());
        let has_user = || {
            Command::new("id")
                .arg("postgres")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if root && !has_user() {
            return skip("running as root and there is no postgres user to run PostgreSQL as");
        }
        let dir = tempfile::Builder::new()
            .prefix("passgate-pg-")
            .tempdir()
            .expect("tempdir");
        let data = dir.path().join("data");
        if root {
            let status = Command::new("chown")
                .arg("postgres")
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success());
        }
        let pg = PrivatePg {
            port: super::free_port(),
            bin,
            data,
            run_as,
            _dir: dir,
        };
        let out = pg.run(
            "initdb",
            &[
                "-D",
                pg.data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        assert!(out.status.success(), "initdb: {}", text(&out));
        pg.ctl_start();
        Some(pg)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(tool);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args).current_dir("/").output().expect(tool)
    }

    fn log(&self) -> PathBuf {
        self.data.with_file_name("server.log")
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    pub fn ctl_start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.data.parent().unwrap_or(Path::new("/tmp")).display()
        );
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-l",
                self.log().to_str().unwrap(),
                "-o",
                &opts,
                "-w",
                "-t",
                "30",
                "start",
            ],
        );
        assert!(out.status.success(), "pg_ctl start: {}", text(&out));
    }

    /// `pg_ctl stop -m fast` (connections are terminated: SQLSTATE 57P01).
    pub fn ctl_stop(&self) {
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
        assert!(out.status.success(), "pg_ctl stop: {}", text(&out));
    }

    /// `pg_ctl restart -m fast`.
    pub fn ctl_restart(&self) {
        self.ctl_stop();
        self.ctl_start();
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
