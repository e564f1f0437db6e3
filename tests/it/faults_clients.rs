//! Misbehaving clients against the real gateway, each bounded in time, while a well-behaved
//! client keeps being served: slowloris (100 connections trickling a request head, closed
//! at `server.header_timeout`), oversized heads and bodies. Idle connections are in
//! `faults_idle.rs`, request smuggling in `faults_framing.rs`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::conn::Conn;
use crate::support::gateway::{public_route, Gateway};
use crate::support::{client, upstream};

/// A well-behaved client requesting `url` until stopped: (answered 200, other outcomes).
pub fn good_client(
    url: String,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<(u32, Vec<String>)> {
    tokio::spawn(async move {
        let http = client();
        let (mut ok, mut bad) = (0, Vec::new());
        while !stop.load(Ordering::Relaxed) {
            match http.get(&url).send().await {
                Ok(r) if r.status() == 200 => ok += 1,
                Ok(r) => bad.push(format!("status {}", r.status())),
                Err(e) => bad.push(e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (ok, bad)
    })
}

/// Sends `bytes` one at a time, `every` apart, until the server closes the connection:
/// `Some(time to close)` (measured from the first byte), or `None` if still open after
/// `give_up`. Panics if the server answers instead.
async fn trickle(
    port: u16,
    bytes: Vec<u8>,
    every: Duration,
    give_up: Duration,
) -> Option<Duration> {
    let s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    s.set_nodelay(true).unwrap();
    let (mut r, mut w) = s.into_split();
    let start = Instant::now();
    let writer = async move {
        for b in bytes {
            if w.write_all(&[b]).await.is_err() {
                break;
            }
            tokio::time::sleep(every).await;
        }
        // Written everything without being closed: wait to be closed or give up.
        std::future::pending::<()>().await;
    };
    let reader = async move {
        let mut buf = [0u8; 1024];
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => start.elapsed(),
            Ok(n) => panic!(
                "the server answered a head that never ended: {:?}",
                String::from_utf8_lossy(&buf[..n])
            ),
        }
    };
    tokio::time::timeout(give_up, async {
        tokio::select! {
            closed = reader => closed,
            () = writer => unreachable!(),
        }
    })
    .await
    .ok()
}

/// An idle connection, before its first request or between two, is closed after
/// `server.keepalive_timeout` (Pingora alone kept a used one open for ever); one in use is
/// not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_after_the_keepalive_timeout() {
    let up = upstream::start("app").await;
    let gw =
        Gateway::with_server_keys("keepalive_timeout = \"1s\"", &public_route(&up.url())).await;
    let mut used = Conn::open(gw.port).await.unwrap();
    let mut silent = Conn::open(gw.port).await.unwrap();
    assert_eq!(used.get("localhost", "/one").await.unwrap().status, 200);
    let idle_from = Instant::now();
    // Still open half-way through the timeout …
    assert!(!used
        .closes_within(Duration::from_millis(500))
        .await
        .unwrap());
    // … and a request then starts it again: answered, kept alive.
    let r = used.get("localhost", "/two").await.unwrap();
    assert_eq!(r.status, 200);
    assert!(!r.closes());
    let idle_from_two = Instant::now();
    assert!(used.closes_within(Duration::from_secs(3)).await.unwrap());
    let used_after = idle_from_two.elapsed();
    assert!(silent.closes_within(Duration::from_secs(3)).await.unwrap());
    let silent_after = idle_from.elapsed();
    eprintln!("idle connections closed after {used_after:?} (used) and {silent_after:?} (silent)");
    assert!(
        used_after >= Duration::from_millis(900) && used_after < Duration::from_millis(2500),
        "closed {used_after:?} after its last answer"
    );
    assert!(silent_after >= Duration::from_millis(900));
    // Only idle time counts: an answer that takes longer than the timeout is not cut.
    let mut busy = Conn::open(gw.port).await.unwrap();
    let r = busy.get("localhost", "/slow?ms=1500").await.unwrap();
    assert_eq!((r.status, r.text()), (200, "slow done".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_are_closed_at_the_header_deadline() {
    let up = upstream::start("app").await;
    let gw = Gateway::with_server_keys("header_timeout = \"1s\"", &public_route(&up.url())).await;
    let stop = Arc::new(AtomicBool::new(false));
    let good = good_client(gw.url("/good"), stop.clone());

    // 100 connections, each sending a head that never ends at 10 bytes a second.
    let mut head = b"GET /slow HTTP/1.1\r\nHost: localhost\r\nX-Trickle: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 100));
    let started = Instant::now();
    let tricklers: Vec<_> = (0..100)
        .map(|_| {
            let head = head.clone();
            tokio::spawn(trickle(
                gw.port,
                head,
                Duration::from_millis(100),
                Duration::from_secs(4),
            ))
        })
        .collect();
    let mut closed = Vec::new();
    for t in tricklers {
        closed.push(t.await.unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    let (ok, bad) = good.await.unwrap();
    let open = closed.iter().filter(|c| c.is_none()).count();
    let mut times: Vec<Duration> = closed.into_iter().flatten().collect();
    times.sort();
    eprintln!(
        "slowloris: {} of 100 closed (first {:?}, last {:?}) in {:?}; good client: {ok} answered, {} not",
        times.len(),
        times.first(),
        times.last(),
        started.elapsed(),
        bad.len()
    );
    assert_eq!(
        open, 0,
        "{open} trickling connections were still open after 4 s"
    );
    // Closed at the deadline (1 s from the first byte), not at once.
    assert!(times[0] >= Duration::from_millis(900), "{:?}", times[0]);
    assert!(bad.is_empty(), "the good client was not served: {bad:?}");
    assert!(ok > 10, "{ok}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_deadline_counts_from_the_first_byte_of_each_head_only() {
    let up = upstream::start("app").await;
    let gw = Gateway::with_server_keys("header_timeout = \"1s\"", &public_route(&up.url())).await;

    // A head trickled, but complete within the deadline, is answered.
    let mut c = Conn::open(gw.port).await.unwrap();
    for b in b"GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n" {
        c.send(&[*b]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    assert_eq!(c.response().await.unwrap().status, 200);
    // Idle time between requests is not head time.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(c.get("localhost", "/b").await.unwrap().status, 200);
    // A body may take longer than the deadline.
    c.send(b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20\r\n\r\n")
        .await
        .unwrap();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(75)).await;
        c.send(b"x").await.unwrap();
    }
    let r = c.response().await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("\"bytes\":20"), "{}", r.text());
    // The next head on the same connection is held to the deadline again.
    let start = Instant::now();
    c.send(b"GET /c HTTP/1.1\r\n").await.unwrap();
    let mut closed = false;
    for _ in 0..40 {
        if c.send(b"X-Slow: 1\r\n").await.is_err() {
            closed = true;
            break;
        }
        if c.closes_within(Duration::from_millis(100)).await.unwrap() {
            closed = true;
            break;
        }
    }
    assert!(
        closed,
        "a trickled head on a kept-alive connection was never cut off"
    );
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_and_bodies_are_refused_and_others_served() {
    let up = upstream::start("app").await;
    let gw =
        Gateway::with_server_keys("control_body_limit = 65536", &public_route(&up.url())).await;
    let stop = Arc::new(AtomicBool::new(false));
    let good = good_client(gw.url("/good"), stop.clone());

    // A 2 MiB header (Pingora's head limit is 1 MiB): 400, connection closed.
    let mut c = Conn::open(gw.port).await.unwrap();
    let big = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "a".repeat(2 * 1024 * 1024)
    );
    let _ = c.send(big.as_bytes()).await; // the server may stop reading half-way
    let r = c.response().await.expect("an answer to an oversized head");
    assert_eq!(r.status, 400);
    assert!(c
        .closes_within(Duration::from_secs(2))
        .await
        .unwrap_or(true));

    // 300 header lines (Pingora parses at most 256): 400.
    let mut c = Conn::open(gw.port).await.unwrap();
    let many: String = (0..300).map(|i| format!("X-H{i}: v\r\n")).collect();
    let _ = c
        .send(format!("GET / HTTP/1.1\r\nHost: localhost\r\n{many}\r\n").as_bytes())
        .await;
    assert_eq!(c.response().await.unwrap().status, 400);

    // A control-plane body over server.control_body_limit, declared: 413, closed.
    let mut c = Conn::open(gw.port).await.unwrap();
    c.send(
        b"POST /.passgate/api/v1/authenticate/begin HTTP/1.1\r\nHost: localhost\r\n\
          Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{",
    )
    .await
    .unwrap();
    let r = c.response().await.unwrap();
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.closes());
    // Chunked, so only counted as it streams in: 413 as well.
    let mut c = Conn::open(gw.port).await.unwrap();
    c.send(
        b"POST /.passgate/api/v1/authenticate/begin HTTP/1.1\r\nHost: localhost\r\n\
          Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    .await
    .unwrap();
    let chunk = format!("4000\r\n{}\r\n", "x".repeat(0x4000));
    for _ in 0..8 {
        if c.send(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let r = c.response().await.unwrap();
    assert_eq!(r.status, 413, "{}", r.text());

    stop.store(true, Ordering::Relaxed);
    let (ok, bad) = good.await.unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert!(ok > 0);
}
