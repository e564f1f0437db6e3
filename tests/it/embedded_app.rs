//! The embedded-app example (`examples/embedded-app`: its own sign-in, enrolment and
//! passkey pages on the SDK) behind the real gateway with the example's own route: public
//! and protected paths over HTTP, then the whole journey in Chromium with the WebAuthn
//! virtual authenticator (`tests/browser/embedded.test.mjs`), checked afterwards in the
//! store through the admin API.

use std::path::Path;

use crate::support::admin::realm_path;
use crate::support::binding::{return_link, token_of};
use crate::support::browser::{ready_or_skip, run_browser_test_with};
use crate::support::db::Backend;
use crate::support::embedded_app;
use crate::support::gateway::check;
use crate::support::http::{get, HTML};
use crate::support::sessions::SessionEnv;

fn example_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/embedded-app")
}

/// The app on a free port, and passgate in front of it with the route of the example's
/// `passgate.toml` (its upstream pointed at the app).
async fn start() -> SessionEnv {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(embedded_app::serve(listener));
    let config = std::fs::read_to_string(example_dir().join("passgate.toml")).unwrap();
    let routes = &config[config.find("[[routes]]").expect("a route")..];
    let routes = routes.replace("http://127.0.0.1:8082", &app);
    assert!(routes.contains(&app), "{routes}");
    SessionEnv::start_routes(Backend::Sqlite, "", &routes)
        .await
        .expect("sqlite")
}

#[test]
fn example_config_passes_check() {
    let (ok, out, err) = check(&example_dir().join("passgate.toml"));
    assert!(ok, "{out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_pages_are_public_the_rest_needs_sign_in() {
    let env = start().await;
    let gw = env.gw();
    for (path, needle) in [
        ("/signin", "Sign in to the example app"),
        (
            "/passkeys/bind?token=abc",
            "Create your passkey for the example app",
        ),
        ("/static/signin.js", "from '/.passgate/sdk.js'"),
        ("/static/bind.js", "bindPasskey(location.href)"),
    ] {
        let r = get(gw, "localhost", path, HTML).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(r.body.contains(needle), "{path}: {}", r.body);
    }
    let r = get(gw, "localhost", "/passkeys/bind", HTML).await;
    assert_eq!(
        r.header("referrer-policy"),
        "no-referrer",
        "tokens stay put"
    );
    for path in ["/", "/passkeys", "/passkeys/other"] {
        let r = get(gw, "localhost", path, HTML).await;
        assert_eq!(r.status, 302, "{path}");
        assert!(
            r.header("location").starts_with("/.passgate/login?rd="),
            "{path}: {}",
            r.header("location")
        );
    }
    // The SDK comes from passgate, not from the app.
    let r = get(gw, "localhost", "/.passgate/sdk.js", None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("export class Embedded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_app_in_chromium() {
    if !ready_or_skip("embedded_app") {
        return;
    }
    let env = start().await;
    let id = env.api.create_identity("erin").await;
    let (_, link) = return_link(&env.api, &id).await;
    // The admin API's link leads to passgate's hosted page; the app's own page takes the
    // same token.
    let app_link = env
        .api
        .url(&format!("/passkeys/bind?token={}", token_of(&link)));
    // Another user's link, whose account is then suspended.
    let sam = env.api.create_identity("sam").await;
    let (_, sam_link) = return_link(&env.api, &sam).await;
    let (s, v) = env
        .api
        .patch(
            &realm_path(&format!("/identities/{sam}")),
            serde_json::json!({"identity": {"status": "suspended"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let suspended_link = env
        .api
        .url(&format!("/passkeys/bind?token={}", token_of(&sam_link)));
    let vars = [
        ("PASSGATE_APP_BIND_LINK", app_link.as_str()),
        ("PASSGATE_SUSPENDED_LINK", suspended_link.as_str()),
    ];
    if let Err(e) = run_browser_test_with("embedded", &env.api.url(""), &vars).await {
        panic!("{e}\n--- gateway log ---\n{}", env.gw().log());
    }

    // Two passkeys were made (the admin's link, then the app's link for a second device);
    // the first was renamed and removed, the second is the one left.
    let (_, creds) = env
        .api
        .get(&realm_path(&format!("/identities/{id}/credentials")))
        .await;
    let list = creds["credentials"].as_array().expect("credentials");
    assert_eq!(list.len(), 2, "{creds}");
    let revoked: Vec<_> = list.iter().filter(|c| c["state"] == "REVOKED").collect();
    assert_eq!(revoked.len(), 1, "{creds}");
    assert_eq!(revoked[0]["name"], "Old laptop", "{creds}");
    let (_, jobs) = env
        .api
        .get(&realm_path(&format!(
            "/identities/{id}/credential-binding-jobs"
        )))
        .await;
    let jobs = jobs["credential_binding_jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert!(jobs.iter().all(|j| j["state"] == "COMPLETE"), "{jobs:?}");
}
