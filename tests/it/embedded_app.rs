//! The embedded-app example (`examples/embedded-app`: its own sign-in, enrolment and
//! passkey pages on the SDK) behind the real gateway with the example's own route: public
//! and protected paths over HTTP, then the whole journey in Chromium with the WebAuthn
//! virtual authenticator (`tests/browser/embedded.test.mjs`), checked afterwards in the
//! store through the admin API.

use std::path::Path;

use crate::support::admin::realm_path;
use crate::support::binding::{create_job, get_job, token_of};
use crate::support::browser::{ready_or_skip, run_browser_test_with};
use crate::support::db::Backend;
use crate::support::embedded_app;
use crate::support::gateway::check;
use crate::support::http::{get, HTML};
use crate::support::sessions::SessionEnv;

fn example_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/embedded-app")
}

/// The example behind passgate, and two copies of the app on their own origins calling
/// passgate cross-origin: `cross` is a trusted origin of the `cross-origin` embedded
/// configuration, `untrusted` is not.
struct Apps {
    env: SessionEnv,
    cross: String,
    untrusted: String,
}

async fn app_listener() -> (tokio::net::TcpListener, String) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://localhost:{}", l.local_addr().unwrap().port());
    (l, url)
}

/// The app on a free port, and passgate in front of it with the realm and route of the
/// example's `passgate.toml` (its upstream pointed at the app, its port at the gateway's),
/// plus the `cross-origin` configuration for [`Apps::cross`].
async fn start() -> Apps {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(embedded_app::serve(listener));
    let (cross_listener, cross) = app_listener().await;
    let (untrusted_listener, untrusted) = app_listener().await;
    let config = std::fs::read_to_string(example_dir().join("passgate.toml")).unwrap();
    let realm = &config[config.find("[[realms]]").expect("a realm")..];
    let (realm, routes) = realm.split_at(realm.find("[[routes]]").expect("a route"));
    let extra = format!(
        "{realm}\n[[realms.authenticator_configs]]\nid = \"cross-origin\"\ntype = \"embedded\"\n\
         invoke_url = \"{cross}/passkeys\"\ntrusted_origins = [\"{cross}\"]\n\n{routes}"
    );
    let extra = extra
        .replace("http://127.0.0.1:8082", &app)
        .replace("localhost:8080", "localhost:{port}");
    assert!(extra.contains(&app), "{extra}");
    let env = SessionEnv::start_routes(Backend::Sqlite, "", &extra)
        .await
        .expect("sqlite");
    let passgate = env.api.url("");
    let p = passgate.clone();
    tokio::spawn(async move { embedded_app::serve_for(cross_listener, &p).await });
    tokio::spawn(async move { embedded_app::serve_for(untrusted_listener, &passgate).await });
    Apps {
        env,
        cross,
        untrusted,
    }
}

/// A RETURN link of `identity` made with the authenticator configuration `config`.
async fn link_with(env: &SessionEnv, identity: &str, config: &str) -> (String, String) {
    let (s, v) = create_job(
        &env.api,
        identity,
        serde_json::json!({"delivery_method": "RETURN", "authenticator_config_id": config}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let job = v["credential_binding_job"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (
        job,
        v["credential_binding_link"].as_str().unwrap().to_string(),
    )
}

#[test]
fn example_config_passes_check() {
    let (ok, out, err) = check(&example_dir().join("passgate.toml"));
    assert!(ok, "{out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_pages_are_public_the_rest_needs_sign_in() {
    let Apps { env, cross, .. } = start().await;
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
        // The route's login_url: the app's own sign-in page.
        assert!(
            r.header("location").starts_with("/signin?rd="),
            "{path}: {}",
            r.header("location")
        );
    }
    // The SDK comes from passgate, not from the app.
    let r = get(gw, "localhost", "/.passgate/sdk.js", None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("export class Embedded"));

    // On its own origin the app imports the SDK from passgate and allows it in its CSP.
    let r =
        crate::support::http::send(crate::support::client().get(format!("{cross}/static/bind.js")))
            .await;
    assert!(
        r.body
            .contains(&format!("from '{}/.passgate/sdk.js'", env.api.url(""))),
        "{}",
        r.body
    );
    let r =
        crate::support::http::send(crate::support::client().get(format!("{cross}/signin"))).await;
    let csp = r.header("content-security-policy");
    assert!(
        csp.contains(&format!("connect-src 'self' {}", env.api.url(""))),
        "{csp}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_app_in_chromium() {
    if !ready_or_skip("embedded_app") {
        return;
    }
    let Apps { env, .. } = start().await;
    let id = env.api.create_identity("erin").await;
    // A job made with the example's embedded configuration links to the app's own page.
    let (_, app_link) = link_with(&env, &id, "embedded-app").await;
    assert!(
        app_link.starts_with(&env.api.url("/passkeys/bind?token=")),
        "{app_link}"
    );
    // Another user's link, whose account is then suspended.
    let sam = env.api.create_identity("sam").await;
    let (_, suspended_link) = link_with(&env, &sam, "embedded-app").await;
    let (s, v) = env
        .api
        .patch(
            &realm_path(&format!("/identities/{sam}")),
            serde_json::json!({"identity": {"status": "suspended"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
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

/// The app on another origin than passgate (two localhost ports): binding through its own
/// page from a RETURN link of the `cross-origin` configuration, getSession, sign-out and
/// sign-in, all cross-origin with credentials; the same app on an origin passgate does not
/// trust cannot even use a valid link (`tests/browser/embedded-cross-origin.test.mjs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_app_on_another_origin_in_chromium() {
    if !ready_or_skip("embedded_app_cross_origin") {
        return;
    }
    let Apps {
        env,
        cross,
        untrusted,
    } = start().await;
    let id = env.api.create_identity("erin").await;
    let (cross_job, cross_link) = link_with(&env, &id, "cross-origin").await;
    assert!(
        cross_link.starts_with(&format!("{cross}/passkeys/bind?token=")),
        "{cross_link}"
    );
    let (untrusted_job, other) = link_with(&env, &id, "cross-origin").await;
    let untrusted_link = format!("{untrusted}/passkeys/bind?token={}", token_of(&other));
    let vars = [
        ("PASSGATE_CROSS_APP", cross.as_str()),
        ("PASSGATE_CROSS_LINK", cross_link.as_str()),
        ("PASSGATE_UNTRUSTED_APP", untrusted.as_str()),
        ("PASSGATE_UNTRUSTED_LINK", untrusted_link.as_str()),
    ];
    if let Err(e) = run_browser_test_with("embedded-cross-origin", &env.api.url(""), &vars).await {
        panic!("{e}\n--- gateway log ---\n{}", env.gw().log());
    }
    // One passkey, from the trusted origin; the untrusted origin's link is still unused.
    let (_, creds) = env
        .api
        .get(&realm_path(&format!("/identities/{id}/credentials")))
        .await;
    assert_eq!(creds["credentials"].as_array().unwrap().len(), 1, "{creds}");
    assert_eq!(
        get_job(&env.api, &id, &cross_job).await["state"],
        "COMPLETE"
    );
    assert_eq!(
        get_job(&env.api, &id, &untrusted_job).await["state"],
        "LINK_SENT",
        "the untrusted page never reached passgate"
    );
}
