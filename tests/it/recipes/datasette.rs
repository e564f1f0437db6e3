//! Datasette with `datasette-auth-headers` (examples/recipes/datasette): `/-/actor.json`
//! names the user passgate signed in; a spoofed `X-Passgate-User` without a session gives
//! no actor through passgate, although Datasette itself would take it.

use std::process::Command;

use super::app::{installed_or_skip, App, Installed, Kind};
use super::visitor::{direct, unescaped, Visitor};
use super::{example_route, examples, SPOOFED};
use crate::support::db::Backend;
use crate::support::free_port;
use crate::support::sessions::SessionEnv;

/// Public on the test route (until `optional`): Datasette's HTML view of the actor.
const PROBE: &str = "/-/actor";

/// `datasette serve --memory` with the recipe's metadata.json on `port`.
pub async fn start_datasette(installed: &Installed, port: u16) -> App {
    let mut cmd = Command::new(installed.venv_bin("datasette"));
    cmd.arg("serve")
        .arg("--memory")
        .arg("-m")
        .arg(examples().join("datasette/metadata.json"))
        .args(["-h", "127.0.0.1", "-p", &port.to_string()]);
    App::start("datasette", port, cmd, "/-/versions.json").await
}

/// The actor `/-/actor` shows (HTML), as JSON text with spaces removed.
pub fn shown_actor(html: &str) -> String {
    let text = unescaped(html);
    let start = text.find("\"actor\":").unwrap_or_else(|| panic!("{html}"));
    let tail: String = text[start..]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    tail.chars().take(40).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datasette_names_the_passgate_user() {
    let Some(installed) = installed_or_skip("datasette", Kind::Python) else {
        return;
    };
    let port = free_port();
    let app_url = format!("http://127.0.0.1:{port}");
    let route = example_route("datasette", "localhost", &app_url, &[PROBE]);
    let env = SessionEnv::start_routes(Backend::Sqlite, "", &route)
        .await
        .expect("sqlite");
    let app = start_datasette(&installed, port).await;

    // Signed in with a passkey: Datasette's own API names the user.
    let mut alice = Visitor::enrolled(&env, "alice", &[]).await;
    let r = alice.get("/-/actor.json").await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, app.log());
    assert_eq!(r.json()["actor"]["id"], "alice", "{}", r.body);
    // Her own request carrying another name: passgate's header is the one Datasette reads.
    let r = alice
        .request(reqwest::Method::GET, "/-/actor.json", SPOOFED, None)
        .await;
    assert_eq!(r.json()["actor"]["id"], "alice", "{}", r.body);

    // The probe is sensitive: Datasette takes the header from anyone who reaches it.
    let r = direct(&app.url(PROBE), SPOOFED).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(shown_actor(&r.body).starts_with("\"actor\":{\"id\":\"mallory\""));

    // Through passgate, without a session, the same headers sign no one in…
    let mut anonymous = Visitor::anonymous(&env.gw().url(""));
    let r = anonymous
        .request(reqwest::Method::GET, PROBE, SPOOFED, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        shown_actor(&r.body).starts_with("\"actor\":null"),
        "{}",
        shown_actor(&r.body)
    );
    // …and the rest of the app is passgate's to refuse (a browser is sent to sign in).
    let r = anonymous
        .request(reqwest::Method::GET, "/-/actor.json", SPOOFED, None)
        .await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(r.header("location").contains("/.passgate/login?rd="));

    // Signed out: her old cookie no longer reaches Datasette.
    let old = alice.token().to_string();
    let r = alice
        .request(
            reqwest::Method::DELETE,
            "/.passgate/api/v1/session",
            &[],
            None,
        )
        .await;
    assert!(r.status < 300, "{} {}", r.status, r.body);
    alice.set_token(&old);
    let r = alice.get("/-/actor.json").await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(r.header("location").contains("/.passgate/login?rd="));
}
