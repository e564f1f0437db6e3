//! Node-RED with `adminAuth.tokens` + `tokenHeader` (examples/recipes/node-red): its admin
//! API names the user whose `X-Passgate-Jwt-Assertion` verifies against passgate's JWKS
//! (npm `jose`), with permissions from passgate's groups. Only a token signed with
//! passgate's key, for this audience and issuer, and not expired, opens it: a bare
//! header or a forged token is refused whether it comes through passgate or not.

use std::process::Command;

use passgate::session::assertion::{sign, AssertionClaims};
use passgate::session::keys::{KeyMaterial, KeyRing};

use super::app::{installed_or_skip, App, Installed, Kind};
use super::visitor::{direct, Visitor};
use super::{example_route, examples, SPOOFED};
use crate::support::db::Backend;
use crate::support::free_port;
use crate::support::sessions::{now, SessionEnv};

/// Public on the test route (until `optional`): the flows, which need a verified token.
const PROBE: &str = "/flows";
const HEADER: &str = "X-Passgate-Jwt-Assertion";

/// Node-RED with the recipe's settings.js, trusting the gateway at `gw_port`.
async fn start_node_red(installed: &Installed, port: u16, gw_port: u16) -> App {
    let dir = tempfile::tempdir().expect("node-red dir");
    let modules = installed.node_modules();
    let mut cmd = Command::new("node");
    cmd.arg(modules.join("node-red/red.js"))
        .arg("--userDir")
        .arg(dir.path())
        .arg("--settings")
        .arg(examples().join("node-red/settings.js"))
        // settings.js requires `jose`: found in the installed node_modules.
        .env("NODE_PATH", &modules)
        .env("PORT", port.to_string())
        .env(
            "PASSGATE_JWKS_URL",
            format!("http://127.0.0.1:{gw_port}/.passgate/jwks.json"),
        )
        .env("PASSGATE_ISSUER", format!("http://localhost:{gw_port}"))
        .env("PASSGATE_AUDIENCE", "localhost")
        .env("PASSGATE_ADMIN_GROUPS", "admins");
    App::start_in("node-red", port, dir, &mut cmd, "/auth/login").await
}

fn claims(gw_port: u16) -> AssertionClaims {
    let now = now();
    AssertionClaims {
        iss: format!("http://localhost:{gw_port}"),
        aud: "localhost".into(),
        sub: "id_mallory".into(),
        username: "mallory".into(),
        email: None,
        groups: vec!["admins".into()],
        iat: now,
        exp: now + 120,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_red_verifies_the_passgate_assertion() {
    let Some(installed) = installed_or_skip("node_red", Kind::Node) else {
        return;
    };
    let port = free_port();
    let app_url = format!("http://127.0.0.1:{port}");
    let route = example_route("node-red", "localhost", &app_url, &[PROBE]);
    assert!(route.contains("assertion = true"), "{route}");
    let env = SessionEnv::start_routes(Backend::Sqlite, "", &route)
        .await
        .expect("sqlite");
    let gw_port = env.api.port;
    let app = start_node_red(&installed, port, gw_port).await;

    // alice (passgate group "admins"): Node-RED's settings name her, with every permission;
    // she may change her editor settings.
    let mut alice = Visitor::enrolled(&env, "alice", &["admins"]).await;
    let r = alice.get("/settings").await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, app.log());
    assert_eq!(r.json()["user"]["username"], "alice", "{}", r.body);
    assert_eq!(r.json()["user"]["permissions"], "*", "{}", r.body);
    let r = write_settings(&mut alice).await;
    assert_eq!(r.status, 204, "{}\n{}", r.body, app.log());

    // bob (no group): named, read-only.
    let mut bob = Visitor::enrolled(&env, "bob", &[]).await;
    let r = bob.get("/settings").await;
    assert_eq!(r.json()["user"]["username"], "bob", "{}", r.body);
    assert_eq!(r.json()["user"]["permissions"], "read", "{}", r.body);
    let r = write_settings(&mut bob).await;
    assert_eq!(r.status, 401, "{}", r.body);
    // His own spoofed assertion is replaced by passgate's.
    let r = bob
        .request(reqwest::Method::GET, "/settings", SPOOFED, None)
        .await;
    assert_eq!(r.json()["user"]["username"], "bob", "{}", r.body);

    // Through passgate without a session: a spoofed header opens nothing.
    let mut anonymous = Visitor::anonymous(&env.gw().url(""));
    let r = anonymous
        .request(reqwest::Method::GET, PROBE, SPOOFED, None)
        .await;
    assert_eq!(r.status, 401, "{}", r.body);

    // Straight to Node-RED: only a token signed with passgate's key, for this audience
    // and issuer, and not expired, opens the probe (so the check above could fail).
    let ring = env.ring().await;
    let kid = ring.signing_kid().expect("a signing key").to_string();
    let good = sign(&ring, &claims(gw_port)).unwrap();
    let r = direct(&app.url(PROBE), &[(HEADER, &good)]).await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, app.log());

    let mut foreign = KeyMaterial::generate(now()).unwrap();
    foreign.kid = kid; // claims to be passgate's key
    let forged = sign(&KeyRing::new(&[foreign]), &claims(gw_port)).unwrap();
    let mut other_audience = claims(gw_port);
    other_audience.aud = "elsewhere.example.com".into();
    let mut other_issuer = claims(gw_port);
    other_issuer.iss = "http://localhost:1".into();
    let mut expired = claims(gw_port);
    (expired.iat, expired.exp) = (now() - 600, now() - 300);
    for (what, token) in [
        ("a bare user name", "alice".to_string()),
        ("another key under passgate's kid", forged),
        ("another audience", sign(&ring, &other_audience).unwrap()),
        ("another issuer", sign(&ring, &other_issuer).unwrap()),
        ("an expired token", sign(&ring, &expired).unwrap()),
        ("no signature", unsigned(&good)),
    ] {
        let r = direct(&app.url(PROBE), &[(HEADER, &token)]).await;
        assert_eq!(r.status, 401, "{what}: {}", r.body);
    }
}

/// `POST /settings/user` (Node-RED permission `settings.write`).
async fn write_settings(v: &mut Visitor) -> crate::support::http::Reply {
    let body = br#"{"editor": {"view": {"view-grid-size": 20}}}"#.to_vec();
    v.request(
        reqwest::Method::POST,
        "/settings/user",
        &[],
        Some(("application/json", body)),
    )
    .await
}

/// `jwt` with `alg: none` and no signature.
fn unsigned(jwt: &str) -> String {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    format!("{header}.{payload}.")
}
