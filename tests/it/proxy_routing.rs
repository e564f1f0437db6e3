//! Route selection over real sockets: exact host, then the longest wildcard, then `*`;
//! within a host the longest segment-aware path prefix; unknown hosts get a 404 page.

use crate::support::gateway::Gateway;
use crate::support::http::{get, upstream_name, HTML, JSON};
use crate::support::upstream;

#[tokio::test]
async fn host_then_longest_prefix_picks_the_route() {
    let names = [
        "exact",
        "exact-api",
        "exact-api-v2",
        "wild",
        "deep-wild",
        "any",
    ];
    let mut ups = Vec::new();
    for n in names {
        ups.push(upstream::start(n).await);
    }
    let u = |i: usize| ups[i].url();
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "app.test"
upstream = "{}"
policy = "public"

[[routes]]
host = "app.test"
path_prefix = "/api"
upstream = "{}"
policy = "public"

[[routes]]
host = "app.test"
path_prefix = "/api/v2/"
upstream = "{}"
policy = "public"

[[routes]]
host = "*.test"
upstream = "{}"
policy = "public"

[[routes]]
host = "*.deep.test"
upstream = "{}"
policy = "public"

[[routes]]
host = "*"
upstream = "{}"
policy = "public"
"#,
        u(0),
        u(1),
        u(2),
        u(3),
        u(4),
        u(5)
    ))
    .await;

    let cases = [
        ("app.test", "/", "exact", "/"),
        ("app.test", "/api", "exact-api", "/api"),
        ("app.test", "/api/users?q=1", "exact-api", "/api/users"),
        ("app.test", "/api?q=1", "exact-api", "/api"),
        // Segment-aware: /api does not catch /apiary.
        ("app.test", "/apiary", "exact", "/apiary"),
        ("app.test", "/api/v2/x", "exact-api-v2", "/api/v2/x"),
        // "/api/v2/" ends with a slash, so "/api/v2" itself belongs to "/api".
        ("app.test", "/api/v2", "exact-api", "/api/v2"),
        // Host matching ignores case and the port.
        ("APP.Test:8080", "/api/x", "exact-api", "/api/x"),
        ("app.test:1", "/", "exact", "/"),
        ("other.test", "/api", "wild", "/api"),
        ("a.b.test", "/", "wild", "/"),
        ("x.deep.test", "/", "deep-wild", "/"),
        ("X.DEEP.TEST:443", "/", "deep-wild", "/"),
        // `*.test` does not match the bare domain.
        ("test", "/", "any", "/"),
        ("unknown.example", "/anything", "any", "/anything"),
    ];
    for (host, path, want, upstream_path) in cases {
        let echo = get(&gw, host, path, None).await.echo();
        assert_eq!(upstream_name(&echo), want, "{host}{path}");
        assert_eq!(echo["path"], upstream_path, "{host}{path}");
    }
    let echo = get(&gw, "app.test", "/api/users?q=1&r=%20", None)
        .await
        .echo();
    assert_eq!(echo["query"], "q=1&r=%20", "the query passes unchanged");
}

#[tokio::test]
async fn exact_host_without_a_matching_prefix_falls_through() {
    let api = upstream::start("api").await;
    let fallback = upstream::start("fallback").await;
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "app.test"
path_prefix = "/api/"
upstream = "{}"
policy = "public"

[[routes]]
host = "*"
path_prefix = "/"
upstream = "{}"
policy = "public"
"#,
        api.url(),
        fallback.url()
    ))
    .await;
    assert_eq!(
        upstream_name(&get(&gw, "app.test", "/api/x", None).await.echo()),
        "api"
    );
    assert_eq!(
        upstream_name(&get(&gw, "app.test", "/other", None).await.echo()),
        "fallback"
    );
}

#[tokio::test]
async fn unknown_host_or_path_gets_a_404_page() {
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "app.test"
path_prefix = "/app"
upstream = "{}"
policy = "public"
"#,
        up.url()
    ))
    .await;
    get(&gw, "nobody.test", "/app", None)
        .await
        .assert_json_error(404, "no_route");
    get(&gw, "nobody.test", "/app", JSON)
        .await
        .assert_json_error(404, "no_route");
    get(&gw, "nobody.test", "/", HTML)
        .await
        .assert_html_page(404);
    // Right host, but /apple is not under /app.
    get(&gw, "app.test", "/apple", None)
        .await
        .assert_json_error(404, "no_route");
    assert_eq!(
        upstream_name(&get(&gw, "app.test", "/app/x", None).await.echo()),
        "app"
    );
}
