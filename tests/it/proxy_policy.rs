//! Route policy before sign-in exists: `public` is proxied as is; `authenticated` sends a
//! browser navigation to the sign-in page with `rd` = the original URL, and answers
//! everything else with a 401 JSON error.

use crate::support::gateway::Gateway;
use crate::support::http::{get, request, send, HTML, JSON};
use crate::support::upstream;

async fn gateway() -> (Gateway, upstream::Upstream) {
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "app.test"
path_prefix = "/public"
upstream = "{u}"
policy = "public"

[[routes]]
host = "app.test"
upstream = "{u}"
policy = "authenticated"
"#,
        u = up.url()
    ))
    .await;
    (gw, up)
}

/// The decoded `rd` of a sign-in redirect, after checking the rest of the `Location`.
fn rd_of(location: &str) -> String {
    let query = location
        .strip_prefix("/.passgate/login?")
        .unwrap_or_else(|| panic!("not a same-host sign-in redirect: {location}"));
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs.len(), 1, "{location}");
    assert_eq!(pairs[0].0, "rd");
    pairs[0].1.clone()
}

#[tokio::test]
async fn public_routes_are_proxied_as_is() {
    let (gw, _up) = gateway().await;
    let r = send(
        request(
            &gw,
            reqwest::Method::POST,
            "app.test",
            "/public/form?a=1&b=%2F",
        )
        .header("accept", "text/html")
        .header("x-custom", "v")
        .body("name=value"),
    )
    .await;
    let echo = r.echo();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/public/form");
    assert_eq!(echo["query"], "a=1&b=%2F");
    assert_eq!(echo["body_len"], 10);
    assert_eq!(echo["headers"]["x-custom"][0], "v");
    // A browser navigation to a public path is not redirected either.
    get(&gw, "app.test", "/public", HTML).await.echo();
}

#[tokio::test]
async fn browser_navigation_is_redirected_to_sign_in_with_the_original_url() {
    let (gw, _up) = gateway().await;
    let r = get(
        &gw,
        "app.test",
        "/reports/q3?year=2026&tag=a%20b&x=1/2",
        HTML,
    )
    .await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(
        rd_of(r.header("location")),
        "http://app.test/reports/q3?year=2026&tag=a%20b&x=1/2"
    );
    assert_eq!(r.header("cache-control"), "no-store");

    // The host (with its port) is kept; HEAD is a navigation too and has no body.
    let r = send(
        request(&gw, reqwest::Method::HEAD, "App.Test:8080", "/").header("accept", "text/html"),
    )
    .await;
    assert_eq!(r.status, 302);
    assert_eq!(rd_of(r.header("location")), "http://App.Test:8080/");
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn api_requests_get_401_json() {
    let (gw, _up) = gateway().await;
    get(&gw, "app.test", "/data", JSON)
        .await
        .assert_json_error(401, "unauthorized");
    get(&gw, "app.test", "/data", None)
        .await
        .assert_json_error(401, "unauthorized");
    // A POST is never a navigation, even when it accepts HTML.
    send(
        request(&gw, reqwest::Method::POST, "app.test", "/form")
            .header("accept", "text/html")
            .body("x=1"),
    )
    .await
    .assert_json_error(401, "unauthorized");
    let r = get(&gw, "app.test", "/data", JSON).await;
    assert!(r.header("location").is_empty());
    assert_eq!(r.json()["details"], serde_json::json!([]));
}
