//! The OpenID Connect provider driven by a certified relying-party library: `node
//! tests/oidc-rp/rp.test.mjs` (openid-client, jose) against a real gateway, with a session
//! the Rust side made (as a passkey sign-in makes one). Skipped with a message when node
//! or `npm ci` in `tests/oidc-rp` is missing, unless `PASSGATE_REQUIRE_BROWSER=1`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::support::browser::browser_required;
use crate::support::db::Backend;
use crate::support::sessions::SessionEnv;

fn rp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-rp")
}

fn ready() -> bool {
    let node = std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let ok = node && rp_dir().join("node_modules/openid-client").is_dir();
    if !ok {
        let why = "node or tests/oidc-rp/node_modules is missing (cd tests/oidc-rp && npm ci)";
        assert!(
            !browser_required(),
            "oidc_rp: PASSGATE_REQUIRE_BROWSER=1 but {why}"
        );
        println!("skipped: oidc_rp: {why}");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_completes_the_whole_flow() {
    if !ready() {
        return;
    }
    let Some(env) = SessionEnv::start_on_clock(Backend::Sqlite, &crate::oidc::clients(), "").await
    else {
        return;
    };
    let (_, cookie) = env.sign_in("rp-user").await;
    let child = tokio::process::Command::new("node")
        .arg("rp.test.mjs")
        .current_dir(rp_dir())
        .env("PASSGATE_URL", env.gw().url(""))
        .env("PASSGATE_COOKIE", &cookie)
        .env("OIDC_CLIENT_ID", "app")
        .env("OIDC_CLIENT_SECRET", crate::oidc::SECRET)
        .env("OIDC_PUBLIC_CLIENT_ID", "spa")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start node");
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("node timed out")
        .expect("node");
    let text = format!(
        "--- stdout ---\n{}--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{text}\n--- gateway log ---\n{}",
        env.gw().log()
    );
    assert!(text.contains("oidc-rp: ok"), "{text}");
}
