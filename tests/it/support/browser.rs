//! Runs a browser test (`tests/browser/<name>.test.mjs`: Node, playwright-core, Debian's
//! Chromium with a WebAuthn virtual authenticator) against a base URL, or a Node check of
//! the same package (`sdk-types.mjs`), with a timeout. Without Chromium or `npm ci` the
//! test is skipped with a message, unless `PASSGATE_REQUIRE_BROWSER=1` (CI), where that
//! is a failure.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

pub const CHROMIUM: &str = "/usr/bin/chromium";
const TIMEOUT: Duration = Duration::from_secs(120);

/// `tests/browser` in the source tree.
pub fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Chromium is installed and `npm ci` has been run in `tests/browser`.
pub fn browser_available() -> bool {
    Path::new(CHROMIUM).exists()
        && browser_dir().join("node_modules/playwright-core").is_dir()
        && which_node()
}

fn which_node() -> bool {
    std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when the browser tests must run (CI sets `PASSGATE_REQUIRE_BROWSER=1`).
pub fn browser_required() -> bool {
    std::env::var("PASSGATE_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// For the top of a browser test: `true` to go on; `false` after printing a "skipped"
/// line when the browser is missing. Panics when it is missing but required.
pub fn ready_or_skip(test: &str) -> bool {
    if browser_available() {
        return true;
    }
    let why = format!(
        "{CHROMIUM}, node, or tests/browser/node_modules/playwright-core is missing \
         (apt-get install chromium; cd tests/browser && npm ci)"
    );
    assert!(
        !browser_required(),
        "{test}: PASSGATE_REQUIRE_BROWSER=1 but {why}"
    );
    println!("skipped: {test}: {why}");
    false
}

/// Runs `node tests/browser/<name>.test.mjs` with `PASSGATE_URL=base_url`. Screenshots of
/// failures go to `$PASSGATE_ARTIFACTS` or a temp dir named in the error. `Ok` on exit 0;
/// `Err` with the exit status and the whole output otherwise (or on timeout).
pub async fn run_browser_test(name: &str, base_url: &str) -> Result<(), String> {
    run_browser_test_with(name, base_url, &[]).await
}

/// [`run_browser_test`] with more environment variables for the script.
pub async fn run_browser_test_with(
    name: &str,
    base_url: &str,
    env: &[(&str, &str)],
) -> Result<(), String> {
    let script = browser_dir().join(format!("{name}.test.mjs"));
    if !script.is_file() {
        return Err(format!("no browser test {}", script.display()));
    }
    let artifacts = match std::env::var("PASSGATE_ARTIFACTS") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => {
            std::env::temp_dir().join(format!("passgate-browser-{name}-{}", std::process::id()))
        }
    };
    let mut vars = vec![
        ("PASSGATE_URL", base_url),
        ("PASSGATE_ARTIFACTS", artifacts.to_str().unwrap_or_default()),
    ];
    vars.extend_from_slice(env);
    run_node(&script, &vars)
        .await
        .map_err(|e| format!("{e}\n(artifacts in {})", artifacts.display()))
}

/// Runs `node tests/browser/<file>` (a check that needs Node and `npm ci`, not a gateway)
/// under the same timeout.
pub async fn run_node_script(file: &str) -> Result<(), String> {
    run_node(&browser_dir().join(file), &[]).await
}

/// `node script` in `tests/browser` with `env`: `Ok` on exit 0 (its output printed), else
/// `Err` with the exit status and the whole output (or on timeout).
async fn run_node(script: &Path, env: &[(&str, &str)]) -> Result<(), String> {
    let name = script.display();
    let child = tokio::process::Command::new("node")
        .arg(script)
        .current_dir(browser_dir())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let out = match tokio::time::timeout(TIMEOUT, child.wait_with_output()).await {
        Ok(out) => out.map_err(|e| format!("waiting for node: {e}"))?,
        Err(_) => return Err(format!("{name}: timed out after {TIMEOUT:?}")),
    };
    let text = format!(
        "--- stdout ---\n{}--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        print!("{text}");
        Ok(())
    } else {
        Err(format!("{name}: {}\n{text}", out.status))
    }
}
