//! The Datasette recipe through forward-auth: nginx `auth_request` asks passgate's
//! `/.passgate/verify` and copies the identity headers (the nginx config of
//! docs/forward-auth.md, as `forward_auth::nginx_auth_request_fronts_the_app` runs it).

use super::app::{installed_or_skip, Kind};
use super::datasette::{shown_actor, start_datasette};
use super::visitor::{direct, Visitor};
use super::{example_route, SPOOFED};
use crate::forward_auth::{nginx_binary, start_nginx};
use crate::support::db::Backend;
use crate::support::free_port;
use crate::support::sessions::SessionEnv;

const PROBE: &str = "/-/actor";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datasette_behind_nginx_auth_request() {
    let Some(installed) = installed_or_skip("nginx_datasette", Kind::Python) else {
        return;
    };
    let Some(bin) = nginx_binary() else {
        assert!(
            std::env::var("PASSGATE_REQUIRE_FORWARD_AUTH").as_deref() != Ok("1"),
            "nginx is not installed and PASSGATE_REQUIRE_FORWARD_AUTH=1"
        );
        println!("skipped: nginx_datasette: nginx is not installed");
        return;
    };
    let port = free_port();
    let app_url = format!("http://127.0.0.1:{port}");
    // nginx is reached as 127.0.0.1:PORT: the route covers every host.
    let route = example_route("datasette", "*", &app_url, &[PROBE]);
    let env = SessionEnv::start_routes(Backend::Sqlite, "", &route)
        .await
        .expect("sqlite");
    let app = start_datasette(&installed, port).await;
    let nginx = start_nginx(&bin, env.api.port, &app_url).await;
    let front = format!("http://127.0.0.1:{}", nginx.port);

    // Signed in (on passgate, with the passkey), then through nginx: Datasette names her.
    let mut alice = Visitor::enrolled(&env, "alice", &[]).await;
    alice.base = front.clone();
    let r = alice
        .request(reqwest::Method::GET, "/-/actor.json", SPOOFED, None)
        .await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, app.log());
    assert_eq!(r.json()["actor"]["id"], "alice", "{}", r.body);

    // The probe is sensitive straight to Datasette…
    let r = direct(&app.url(PROBE), SPOOFED).await;
    assert!(shown_actor(&r.body).starts_with("\"actor\":{\"id\":\"mallory\""));
    // …but through nginx, without a session, nginx replaces the headers with passgate's
    // answer (none on a public path): no actor.
    let mut anonymous = Visitor::anonymous(&front);
    let r = anonymous
        .request(reqwest::Method::GET, PROBE, SPOOFED, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        shown_actor(&r.body).starts_with("\"actor\":null"),
        "{}",
        shown_actor(&r.body)
    );
    // Elsewhere nginx sends the anonymous browser to passgate's sign-in on its own host.
    let r = anonymous
        .request(reqwest::Method::GET, "/-/actor.json", SPOOFED, None)
        .await;
    assert_eq!(r.status, 302, "{}", r.body);
    let location = r.header("location");
    assert!(
        location.starts_with(&format!("{front}/.passgate/login?rd=")),
        "{location}"
    );
}
