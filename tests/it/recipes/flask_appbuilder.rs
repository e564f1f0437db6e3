//! Flask-AppBuilder with `AUTH_REMOTE_USER` and the recipe's security manager
//! (examples/recipes/flask-appbuilder): FAB's own pages name the passgate user, the
//! passgate group `admins` is FAB's `Admin` role, another passgate user on the same
//! browser is that user in FAB; a spoofed header without a session signs no one in,
//! although FAB itself would take it.

use std::process::Command;

use super::app::{installed_or_skip, App, Installed, Kind};
use super::visitor::{direct, Visitor};
use super::{example_route, examples, SPOOFED};
use crate::support::db::Backend;
use crate::support::free_port;
use crate::support::sessions::SessionEnv;

/// Public on the test route (until `optional`): FAB's profile page, shown to a signed-in
/// user with the right role, a redirect to `/login/` for anyone else.
const PROBE: &str = "/users/userinfo/";

/// `flask run` (Werkzeug) with the recipe's app.py on `port`, on a fresh SQLite database.
async fn start_fab(installed: &Installed, port: u16) -> App {
    let dir = tempfile::tempdir().expect("fab dir");
    let mut cmd = Command::new(installed.venv_bin("flask"));
    cmd.arg("--app")
        .arg(examples().join("flask-appbuilder/app.py"))
        .args(["run", "--host", "127.0.0.1", "--port", &port.to_string()])
        .env("FAB_SECRET_KEY", "recipe-test-secret-key-0123456789abcdef")
        .env(
            "FAB_DATABASE_URI",
            format!("sqlite:///{}", dir.path().join("app.db").display()),
        );
    App::start_in("flask-appbuilder", port, dir, &mut cmd, "/health").await
}

/// The name in FAB's navigation bar (the user menu), or `None` when it offers "Login".
fn signed_in_as(html: &str) -> Option<String> {
    let menu = html.split("<span class=\"fa fa-user\"></span>").nth(1)?;
    Some(menu.split('<').next()?.trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flask_appbuilder_follows_the_passgate_user() {
    let Some(installed) = installed_or_skip("flask_appbuilder", Kind::Python) else {
        return;
    };
    let port = free_port();
    let app_url = format!("http://127.0.0.1:{port}");
    let route = example_route("flask-appbuilder", "localhost", &app_url, &[PROBE]);
    let env = SessionEnv::start_routes(Backend::Sqlite, "", &route)
        .await
        .expect("sqlite");
    let app = start_fab(&installed, port).await;

    // alice, in passgate's "admins": FAB names her and gives her the Admin role.
    let mut alice = Visitor::enrolled(&env, "alice", &["admins"]).await;
    let r = alice.get("/").await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, app.log());
    assert_eq!(
        signed_in_as(&r.body).as_deref(),
        Some("alice -"),
        "{}",
        r.body
    );
    let r = alice.get("/users/list/").await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, app.log());
    assert!(r.body.contains("<td>alice@example.com</td>"), "{}", r.body);

    // bob, in no group: created with the registration role, which may not list users.
    let mut bob = Visitor::enrolled(&env, "bob", &[]).await;
    let r = bob.get("/").await;
    assert_eq!(
        signed_in_as(&r.body).as_deref(),
        Some("bob -"),
        "{}",
        r.body
    );
    let r = bob.get("/users/list/").await;
    assert_ne!(r.status, 200, "{}", r.body);
    // A spoofed header from a signed-in user changes nothing.
    let r = bob.request(reqwest::Method::GET, "/", SPOOFED, None).await;
    assert_eq!(
        signed_in_as(&r.body).as_deref(),
        Some("bob -"),
        "{}",
        r.body
    );

    // bob signs in on alice's browser (her FAB session cookie still in the jar): FAB
    // follows passgate and shows bob, with bob's role.
    alice.set_token(bob.token());
    let r = alice.get("/").await;
    assert_eq!(
        signed_in_as(&r.body).as_deref(),
        Some("bob -"),
        "{}",
        r.body
    );
    let r = alice.get("/users/list/").await;
    assert_ne!(r.status, 200, "{}", r.body);

    // The probe is sensitive: FAB takes the header from anyone who reaches it…
    let r = direct(
        &app.url(PROBE),
        &[
            ("X-Passgate-User", "alice"),
            ("X-Passgate-Groups", "admins"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("alice@example.com"), "{}", r.body);
    // …but through passgate, without a session, the same headers are gone.
    let mut anonymous = Visitor::anonymous(&env.gw().url(""));
    let spoofed = [
        ("X-Passgate-User", "alice"),
        ("X_Passgate_User", "alice"),
        ("X-Passgate-Groups", "admins"),
    ];
    let r = anonymous
        .request(reqwest::Method::GET, PROBE, &spoofed, None)
        .await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(
        r.header("location").starts_with("/login/"),
        "{:?}",
        r.headers
    );
    let r = anonymous
        .request(reqwest::Method::GET, "/", SPOOFED, None)
        .await;
    assert_eq!(r.status, 302, "passgate's to refuse: {}", r.body);
}
