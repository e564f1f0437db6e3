//! The Prometheus listener: `GET /metrics` counts requests by route and status class,
//! request durations by route, and upstream errors by route and kind (once per attempt).

use std::time::{Duration, Instant};

use crate::support::gateway::{base_config, Gateway};
use crate::support::http::{get, upstream_name};
use crate::support::{dead_url, free_port, upstream};

/// Sum of the samples of `name` whose labels include every `k="v"` in `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn scrape(port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await {
            assert_eq!(r.status(), 200);
            assert!(r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain"));
            return r.text().await.unwrap();
        }
        assert!(Instant::now() < deadline, "metrics listener never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn metrics_count_requests_and_upstream_errors() {
    let up = upstream::start("app").await;
    let (port, metrics_port) = (free_port(), free_port());
    let dead = dead_url();
    let config = format!(
        r#"{}
[metrics]
address = "127.0.0.1:{metrics_port}"

[[routes]]
id = "m-app"
host = "app.test"
upstream = "{}"
policy = "public"
read_timeout = "200ms"

[[routes]]
id = "m-down"
host = "down.test"
upstream = "{}"
policy = "public"
"#,
        base_config(port),
        up.url(),
        dead
    );
    let gw = Gateway::start(port, &config).await;
    let before = scrape(metrics_port).await;
    assert_eq!(
        sample(&before, "passgate_requests_total", &[("route", "m-app")]),
        0.0
    );

    for _ in 0..3 {
        assert_eq!(
            upstream_name(&get(&gw, "app.test", "/", None).await.echo()),
            "app"
        );
    }
    assert_eq!(get(&gw, "app.test", "/status/404", None).await.status, 404);
    assert_eq!(get(&gw, "down.test", "/", None).await.status, 502);
    assert_eq!(
        get(&gw, "app.test", "/slow?ms=1000", None).await.status,
        504
    );

    let text = scrape(metrics_port).await;
    let requests = |route, status| {
        sample(
            &text,
            "passgate_requests_total",
            &[("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("m-app", "2xx"), 3.0, "{text}");
    assert_eq!(requests("m-app", "4xx"), 1.0, "{text}");
    assert_eq!(requests("m-app", "5xx"), 1.0, "{text}");
    assert_eq!(requests("m-down", "5xx"), 1.0, "{text}");
    assert_eq!(
        sample(
            &text,
            "passgate_request_duration_seconds_count",
            &[("route", "m-app")]
        ),
        5.0,
        "{text}"
    );
    let errors = |route, kind| {
        sample(
            &text,
            "passgate_upstream_errors_total",
            &[("route", route), ("kind", kind)],
        )
    };
    // One refused connection is one error, one read timeout another.
    assert_eq!(errors("m-down", "connect"), 1.0, "{text}");
    assert_eq!(errors("m-app", "timeout"), 1.0, "{text}");
    assert_eq!(
        sample(&text, "passgate_upstream_errors_total", &[]),
        2.0,
        "each failure counted once:\n{text}"
    );
}
