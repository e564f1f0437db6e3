//! Headers on the way upstream: `X-Forwarded-*` replaced (default) or appended (trusted),
//! `Host` preserved or rewritten per route, and client-sent `X-Passgate-*` never arriving.

use crate::support::gateway::{public_route, Gateway};
use crate::support::http::{echoed, echoed_one, get, request, send, HTML, JSON};
use crate::support::upstream;

async fn get_with_forwarded(gw: &Gateway) -> serde_json::Value {
    send(
        request(gw, reqwest::Method::GET, "App.Test:8080", "/fwd")
            .header("X-Forwarded-For", "6.6.6.6")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "evil.test")
            .header("Forwarded", "for=6.6.6.6"),
    )
    .await
    .echo()
}

#[tokio::test]
async fn forwarded_headers_replace_untrusted_client_values() {
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&public_route(&up.url())).await;
    let echo = get_with_forwarded(&gw).await;
    assert_eq!(echoed_one(&echo, "x-forwarded-for"), "127.0.0.1");
    assert_eq!(echoed_one(&echo, "x-forwarded-proto"), "http");
    // The Host as the client sent it, port included (apps build absolute URLs from it).
    assert_eq!(echoed_one(&echo, "x-forwarded-host"), "App.Test:8080");
    assert!(echoed(&echo, "forwarded").is_empty(), "{echo}");
    // Without client values the gateway still sets all three.
    let echo = get(&gw, "app.test", "/", None).await.echo();
    assert_eq!(echoed_one(&echo, "x-forwarded-for"), "127.0.0.1");
    assert_eq!(echoed_one(&echo, "x-forwarded-proto"), "http");
    assert_eq!(echoed_one(&echo, "x-forwarded-host"), "app.test");
}

#[tokio::test]
async fn forwarded_headers_append_when_trusted() {
    let up = upstream::start("app").await;
    let gw =
        Gateway::with_server_keys("trust_forwarded_headers = true", &public_route(&up.url())).await;
    let echo = get_with_forwarded(&gw).await;
    assert_eq!(echoed_one(&echo, "x-forwarded-for"), "6.6.6.6, 127.0.0.1");
    assert_eq!(echoed_one(&echo, "x-forwarded-proto"), "https");
    assert_eq!(echoed_one(&echo, "x-forwarded-host"), "evil.test");
    assert_eq!(echoed_one(&echo, "forwarded"), "for=6.6.6.6");
}

#[tokio::test]
async fn host_header_is_preserved_or_rewritten_per_route() {
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "keep.test"
upstream = "{u}"
policy = "public"

[[routes]]
host = "up.test"
upstream = "{u}"
policy = "public"
host_header = "upstream"

[[routes]]
host = "fixed.test"
upstream = "{u}"
policy = "public"
host_header = "internal.example:8443"
"#,
        u = up.url()
    ))
    .await;
    let host = |h: &'static str| {
        let gw = &gw;
        async move { echoed_one(&get(gw, h, "/", None).await.echo(), "host") }
    };
    assert_eq!(host("keep.test").await, "keep.test");
    assert_eq!(host("Keep.Test:8080").await, "Keep.Test:8080");
    assert_eq!(host("up.test").await, up.addr.to_string());
    assert_eq!(host("fixed.test").await, "internal.example:8443");
}

#[tokio::test]
async fn spoofed_identity_headers_never_reach_the_upstream() {
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "*"
path_prefix = "/private"
upstream = "{u}"
policy = "authenticated"

[[routes]]
host = "*"
upstream = "{u}"
policy = "public"
"#,
        u = up.url()
    ))
    .await;
    let spoof = |path: &str, accept: &str| {
        request(&gw, reqwest::Method::GET, "app.test", path)
            .header("accept", accept)
            .header("X-Passgate-User", "mallory")
            .header("x-passgate-user", "eve")
            .header("X-PASSGATE-GROUPS", "admin")
            .header("X-Passgate-Identity", "id-1")
            .header("x-PassGate-Jwt-Assertion", "forged")
            .header("X-Passgate-Email", "m@example.com")
            .header("X-Other", "kept")
    };
    let echo = send(spoof("/public", "*/*")).await.echo();
    let names: Vec<&String> = echo["headers"].as_object().unwrap().keys().collect();
    assert!(
        names.iter().all(|n| !n.starts_with("x-passgate")),
        "spoofed headers reached the upstream: {names:?}"
    );
    assert_eq!(echoed_one(&echo, "x-other"), "kept");

    // On a protected route the unauthenticated request never reaches the upstream at all.
    let r = send(spoof("/private", JSON.unwrap())).await;
    r.assert_json_error(401, "unauthorized");
    assert_eq!(send(spoof("/private", HTML.unwrap())).await.status, 302);
}
