//! Request smuggling: probes with both `Content-Length` and `Transfer-Encoding`, obfuscated
//! `Transfer-Encoding`, repeated or listed lengths, each carrying a second request in its
//! body. Every ambiguous probe is refused (and its connection closed) without a single
//! byte reaching the upstream; the unambiguous ones reach it as exactly one request whose
//! body holds the would-be smuggled one; a well-behaved client is served throughout.
//! The upstream (`support::raw_upstream`) parses strictly and records every byte.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::faults_clients::good_client;
use crate::support::conn::Conn;
use crate::support::gateway::{public_route, Gateway};
use crate::support::{raw_upstream, upstream};

/// The request hidden in every probe's body.
const SMUGGLED: &str = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// `(name, head lines after the request line, body, expected status)`.
fn probes() -> Vec<(&'static str, String, String, u16)> {
    let chunked_smuggle = format!("0\r\n\r\n{SMUGGLED}");
    let te_cl_body = format!("{:x}\r\n{SMUGGLED}\r\n0\r\n\r\n", SMUGGLED.len());
    let cl = |b: &str| b.len().to_string();
    vec![
        // CL.TE and TE.CL: both framings at once.
        (
            "CL.TE",
            format!(
                "Content-Length: {}\r\nTransfer-Encoding: chunked",
                cl(&chunked_smuggle)
            ),
            chunked_smuggle.clone(),
            400,
        ),
        (
            "TE.CL",
            "Transfer-Encoding: chunked\r\nContent-Length: 4".into(),
            te_cl_body.clone(),
            400,
        ),
        (
            "TE.CL, upper case",
            "transfer-encoding: CHUNKED\r\ncontent-length: 4".into(),
            te_cl_body.clone(),
            400,
        ),
        (
            "TE with a tab, CL",
            "Transfer-Encoding:\tchunked\r\nContent-Length: 4".into(),
            te_cl_body.clone(),
            400,
        ),
        // Obfuscated Transfer-Encoding.
        (
            "TE xchunked, CL",
            format!(
                "Transfer-Encoding: xchunked\r\nContent-Length: {}",
                cl(&chunked_smuggle)
            ),
            chunked_smuggle.clone(),
            400,
        ),
        (
            "TE with a space before the colon",
            "Transfer-Encoding : chunked\r\nContent-Length: 4".into(),
            te_cl_body.clone(),
            400,
        ),
        (
            "TE folded onto a second line",
            "Transfer-Encoding:\r\n chunked\r\nContent-Length: 4".into(),
            te_cl_body.clone(),
            400,
        ),
        (
            "TE twice, identity last",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity".into(),
            te_cl_body.clone(),
            400,
        ),
        (
            "TE chunked, identity",
            "Transfer-Encoding: chunked, identity".into(),
            te_cl_body.clone(),
            400,
        ),
        (
            "TE chunked twice",
            "Transfer-Encoding: chunked, chunked".into(),
            te_cl_body.clone(),
            400,
        ),
        (
            "TE gzip, chunked",
            "Transfer-Encoding: gzip, chunked".into(),
            te_cl_body.clone(),
            501,
        ),
        (
            "Transfer_Encoding",
            format!(
                "Transfer_Encoding: chunked\r\nContent-Length: {}",
                cl(&te_cl_body)
            ),
            te_cl_body.clone(),
            400,
        ),
        (
            "HTTP/1.0 with TE",
            "Transfer-Encoding: chunked".into(),
            te_cl_body.clone(),
            400,
        ),
        // Lengths: repeated, listed, signed, differing.
        (
            "CL 4, 4",
            "Content-Length: 4, 4".into(),
            format!("abcd{SMUGGLED}"),
            400,
        ),
        (
            "CL twice, same value",
            "Content-Length: 4\r\nContent-Length: 4".into(),
            format!("abcd{SMUGGLED}"),
            400,
        ),
        (
            "CL twice, different values",
            format!(
                "Content-Length: 4\r\nContent-Length: {}",
                4 + SMUGGLED.len()
            ),
            format!("abcd{SMUGGLED}"),
            400,
        ),
        (
            "CL +4",
            "Content-Length: +4".into(),
            format!("abcd{SMUGGLED}"),
            400,
        ),
        (
            "Content_Length",
            "Content_Length: 4".into(),
            format!("abcd{SMUGGLED}"),
            400,
        ),
    ]
}

/// Sends one probe on a fresh connection: the answer and whether the gateway then closed.
async fn probe(port: u16, target: &str, version: &str, head: &str, body: &str) -> (u16, bool) {
    let mut c = Conn::open(port).await.unwrap();
    let text = format!("POST {target} {version}\r\nHost: localhost\r\n{head}\r\n\r\n{body}");
    c.send(text.as_bytes()).await.unwrap();
    let r = c.response().await.expect("an answer");
    let closed = r.closes()
        || c.closes_within(Duration::from_secs(2))
            .await
            .unwrap_or(true);
    (r.status, closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_framing_is_refused_and_never_reaches_the_upstream() {
    let up = raw_upstream::start("app").await;
    // The well-behaved client has an upstream of its own, so every byte the recording
    // upstream receives comes from a probe.
    let echo = upstream::start("echo").await;
    let routes = format!(
        "{}\n[[routes]]\nhost = \"*\"\npath_prefix = \"/good\"\nupstream = \"{}\"\npolicy = \"public\"\n",
        public_route(&up.url()),
        echo.url()
    );
    let gw = Gateway::with_routes(&routes).await;
    let stop = Arc::new(AtomicBool::new(false));
    let good = good_client(gw.url("/good"), stop.clone());

    let mut failures = Vec::new();
    for target in ["/probe", "/.passgate/healthz"] {
        for (name, head, body, want) in probes() {
            let version = if name.starts_with("HTTP/1.0") {
                "HTTP/1.0"
            } else {
                "HTTP/1.1"
            };
            let before = up.raw().len();
            let (status, closed) = probe(gw.port, target, version, &head, &body).await;
            let reached = up.raw().len() - before;
            if status != want || !closed || reached != 0 {
                failures.push(format!(
                    "{target} {name}: status {status} (want {want}), closed {closed}, {reached} bytes upstream"
                ));
            }
        }
    }
    // Unambiguous framings with the same payload reach the upstream as one request each,
    // the would-be smuggled request inside its body.
    let chunked = format!("{:x}\r\n{SMUGGLED}\r\n0\r\n\r\n", SMUGGLED.len());
    let c = Conn::open(gw.port).await;
    let mut c = c.unwrap();
    for (head, body) in [
        ("Transfer-Encoding: chunked".to_string(), chunked.clone()),
        ("Transfer-Encoding: Chunked".to_string(), chunked),
        (
            format!("Content-Length: {}", SMUGGLED.len()),
            SMUGGLED.to_string(),
        ),
    ] {
        let text = format!("POST /plain HTTP/1.1\r\nHost: localhost\r\n{head}\r\n\r\n{body}");
        c.send(text.as_bytes()).await.unwrap();
        let r = c.response().await.unwrap();
        assert_eq!(r.status, 200, "{head}: {}", r.text());
        assert_eq!(
            r.text(),
            format!("app POST /plain {}", SMUGGLED.len()),
            "{head}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    let (ok, bad) = good.await.unwrap();

    let reqs = up.requests();
    let smuggled: Vec<_> = reqs
        .iter()
        .filter(|r| r.target.contains("smuggled"))
        .collect();
    assert!(
        smuggled.is_empty(),
        "smuggled requests reached the upstream: {smuggled:?}"
    );
    assert_eq!(reqs.iter().filter(|r| r.target == "/plain").count(), 3);
    assert_eq!(
        reqs.iter().filter(|r| r.target == "/probe").count(),
        0,
        "{:?}",
        reqs.iter().map(|r| &r.target).collect::<Vec<_>>()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        bad.is_empty() && ok > 0,
        "the good client: {ok} ok, {bad:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_chunked_body_ends_the_request_without_a_second_one() {
    let up = raw_upstream::start("app").await;
    let gw = Gateway::with_routes(&public_route(&up.url())).await;
    // Chunk sizes no strict parser accepts, each followed by a request.
    for size in ["0x5", "-5", "5 5", "ffffffffffffffffff"] {
        let mut c = Conn::open(gw.port).await.unwrap();
        let text = format!(
            "POST /broken HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nhello\r\n0\r\n\r\n{SMUGGLED}"
        );
        c.send(text.as_bytes()).await.unwrap();
        let status = match c.response().await {
            Ok(r) => r.status,
            Err(_) => 0,
        };
        assert!(
            status == 0 || status >= 400,
            "chunk size {size:?} was answered {status}"
        );
        assert!(c
            .closes_within(Duration::from_secs(3))
            .await
            .unwrap_or(true));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let reqs = up.requests();
    assert!(
        reqs.iter()
            .all(|r| !r.target.contains("smuggled") && r.target != "/broken"),
        "{reqs:?}"
    );
}
