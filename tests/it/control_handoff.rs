//! `/.passgate/*` is answered in process by the control plane on every host and never
//! proxied; `/.passgatex` is an ordinary path; bodies over `control_body_limit` get 413.

use futures_util::stream;

use crate::support::gateway::Gateway;
use crate::support::http::{get, request, send, upstream_name};
use crate::support::upstream;

async fn gateway() -> (Gateway, upstream::Upstream) {
    let up = upstream::start("app").await;
    let gw = Gateway::with_server_keys(
        "control_body_limit = 2048",
        &format!(
            r#"
[[routes]]
host = "*"
upstream = "{}"
policy = "public"

[[routes]]
host = "locked.test"
upstream = "{}"
policy = "authenticated"
"#,
            up.url(),
            up.url()
        ),
    )
    .await;
    (gw, up)
}

#[tokio::test]
async fn health_endpoints_answer_on_every_host_without_proxying() {
    let (gw, _up) = gateway().await;
    for host in [
        "app.test",
        "locked.test",
        "unknown.example",
        "LOCKED.TEST:99",
    ] {
        let r = get(&gw, host, "/.passgate/healthz", None).await;
        assert_eq!(r.status, 200, "{host}: {}", r.body);
        assert_eq!(r.json(), serde_json::json!({"status": "ok"}), "{host}");
        let r = get(&gw, host, "/.passgate/readyz", None).await;
        assert_eq!(r.status, 200, "{host}: {}", r.body);
        assert_eq!(r.json()["status"], "ready", "{host}");
        assert_eq!(r.json()["routes"], 2, "{host}");
    }
}

#[tokio::test]
async fn unknown_control_paths_get_json_404_and_lookalikes_are_routed() {
    let (gw, _up) = gateway().await;
    for path in [
        "/.passgate/x",
        "/.passgate",
        "/.passgate/",
        "/.passgate/healthz/extra",
    ] {
        get(&gw, "app.test", path, None)
            .await
            .assert_json_error(404, "not_found");
    }
    // Not under /.passgate/: an ordinary path for the route.
    let echo = get(&gw, "app.test", "/.passgatex", None).await.echo();
    assert_eq!(upstream_name(&echo), "app");
    assert_eq!(echo["path"], "/.passgatex");
    let echo = get(&gw, "app.test", "/x/.passgate/healthz", None)
        .await
        .echo();
    assert_eq!(echo["path"], "/x/.passgate/healthz");
}

#[tokio::test]
async fn control_bodies_over_the_limit_get_413() {
    let (gw, _up) = gateway().await;
    let post = |body: reqwest::Body| {
        send(request(&gw, reqwest::Method::POST, "app.test", "/.passgate/x").body(body))
    };
    // Under the limit the request reaches the control plane (which has no such endpoint).
    post(vec![b'a'; 2048].into())
        .await
        .assert_json_error(404, "not_found");
    // Declared too large.
    post(vec![b'a'; 4096].into())
        .await
        .assert_json_error(413, "payload_too_large");
    // Chunked, no declared length: caught while reading.
    let chunks = (0..8).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 1024]));
    post(reqwest::Body::wrap_stream(stream::iter(chunks)))
        .await
        .assert_json_error(413, "payload_too_large");
    // The gateway still serves afterwards; ordinary routes are not limited.
    assert_eq!(
        get(&gw, "app.test", "/.passgate/healthz", None)
            .await
            .status,
        200
    );
    let echo = send(request(&gw, reqwest::Method::POST, "app.test", "/big").body(vec![b'a'; 8192]))
        .await
        .echo();
    assert_eq!(echo["body_len"], 8192);
}

#[tokio::test]
async fn a_wrong_method_gets_a_json_405() {
    let gw = Gateway::with_routes("").await;
    let r = send(request(
        &gw,
        reqwest::Method::DELETE,
        "localhost",
        "/.passgate/healthz",
    ))
    .await;
    r.assert_json_error(405, "method_not_allowed");
}
