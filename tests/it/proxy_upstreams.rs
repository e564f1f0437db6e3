//! Upstream selection and failure: round-robin, passive health (a dead peer is retried
//! around and skipped for `fail_timeout`), connect and read timeouts → 504, nothing
//! reachable → 502, each with a small page, logged with route and peer; the gateway stays up.

use std::time::{Duration, Instant};

use crate::support::gateway::Gateway;
use crate::support::http::{get, request, send, upstream_name, HTML, JSON};
use crate::support::upstream;
use crate::support::{blackhole, dead_url};

#[tokio::test]
async fn round_robin_alternates_between_upstreams() {
    let a = upstream::start("a").await;
    let b = upstream::start("b").await;
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "*"
upstream = ["{}", "{}"]
policy = "public"
"#,
        a.url(),
        b.url()
    ))
    .await;
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(upstream_name(&get(&gw, "app.test", "/", None).await.echo()).to_string());
    }
    assert_eq!(seen.iter().filter(|n| *n == "a").count(), 3, "{seen:?}");
    assert_eq!(seen.iter().filter(|n| *n == "b").count(), 3, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] != w[1]),
        "not alternating: {seen:?}"
    );
}

fn connect_failures(gw: &Gateway) -> usize {
    gw.log().matches("upstream connect failed").count()
}

#[tokio::test]
async fn a_dead_peer_is_retried_around_and_skipped_for_fail_timeout() {
    let live = upstream::start("live").await;
    let dead = dead_url();
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
id = "pool"
host = "*"
upstream = ["{dead}", "{}"]
policy = "public"
fail_timeout = "1s"
"#,
        live.url()
    ))
    .await;
    // The first request meets the dead peer: a POST is retried too (nothing was sent yet)
    // and its body arrives whole.
    let echo =
        send(request(&gw, reqwest::Method::POST, "app.test", "/form").body(vec![b'p'; 5000]))
            .await
            .echo();
    assert_eq!(
        (upstream_name(&echo), &echo["body_len"]),
        ("live", &5000.into())
    );
    for _ in 0..5 {
        let echo = get(&gw, "app.test", "/", None).await.echo();
        assert_eq!(upstream_name(&echo), "live");
    }
    // max_fails defaults to 1: the dead peer was tried once, then skipped.
    gw.wait_for_log("upstream connect failed", 5).await;
    assert_eq!(connect_failures(&gw), 1, "{}", gw.log());
    let log = gw.log();
    let line = log
        .lines()
        .find(|l| l.contains("upstream connect failed"))
        .unwrap();
    assert!(
        line.contains("pool") && line.contains(&dead.url[7..]),
        "{line}"
    );

    // Once fail_timeout has passed the dead peer is tried again (and fails over again).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..2 {
        assert_eq!(
            upstream_name(&get(&gw, "app.test", "/", None).await.echo()),
            "live"
        );
    }
    assert_eq!(connect_failures(&gw), 2, "{}", gw.log());
}

#[tokio::test]
async fn timeouts_give_504_and_unreachable_upstreams_502() {
    let up = upstream::start("slowpoke").await;
    let dead = dead_url();
    let hole = blackhole();
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
id = "hang-route"
host = "hang.test"
upstream = "{}"
policy = "public"
connect_timeout = "300ms"

[[routes]]
id = "slow-route"
host = "slow.test"
upstream = "{}"
policy = "public"
read_timeout = "300ms"

[[routes]]
id = "down-route"
host = "down.test"
upstream = ["{dead}", "{dead}"]
policy = "public"
connect_timeout = "1s"
"#,
        hole.url,
        up.url()
    ))
    .await;

    let t = Instant::now();
    get(&gw, "hang.test", "/", None)
        .await
        .assert_json_error(504, "upstream_timeout");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());

    let r = get(&gw, "slow.test", "/slow?ms=2000", None).await;
    r.assert_json_error(504, "upstream_timeout");
    get(&gw, "slow.test", "/slow?ms=2000", HTML)
        .await
        .assert_html_page(504);
    // The upstream's own error statuses pass through untouched.
    let r = get(&gw, "slow.test", "/status/503", HTML).await;
    assert_eq!((r.status, r.body.as_str()), (503, "status 503"));
    // Under the timeout the answer comes through.
    let ok = get(&gw, "slow.test", "/slow?ms=10", None).await;
    assert_eq!((ok.status, ok.body.as_str()), (200, "slow done"));

    get(&gw, "down.test", "/", JSON)
        .await
        .assert_json_error(502, "upstream_unavailable");
    get(&gw, "down.test", "/", HTML).await.assert_html_page(502);

    // Still up, and the failures name the route and the peer.
    assert_eq!(get(&gw, "x", "/.passgate/healthz", None).await.status, 200);
    let log = gw.log();
    let failed: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("upstream request failed"))
        .collect();
    assert!(
        failed.iter().any(|l| l.contains("slow-route")
            && l.contains(&up.addr.to_string())
            && l.contains("504")),
        "{log}"
    );
    assert!(
        failed
            .iter()
            .any(|l| l.contains("down-route") && l.contains(&dead.url[7..]) && l.contains("502")),
        "{log}"
    );
}

/// A peer that accepts connections and never answers: every request to it times out
/// after the connection succeeded. It must still count towards `max_fails`.
async fn silent_peer() -> (
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(s);
        }
    });
    (url, accepted, task)
}

#[tokio::test]
async fn a_peer_that_connects_but_times_out_is_skipped_after_max_fails() {
    let live = upstream::start("live").await;
    let (silent, accepted, task) = silent_peer().await;
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "*"
upstream = ["{silent}", "{}"]
policy = "public"
read_timeout = "300ms"
max_fails = 2
fail_timeout = "30s"
"#,
        live.url()
    ))
    .await;
    let mut timeouts = 0;
    for _ in 0..10 {
        match get(&gw, "app.test", "/", JSON).await.status {
            200 => {}
            504 => timeouts += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(
        timeouts, 2,
        "the silent peer must be skipped after two timeouts"
    );
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    task.abort();
}
