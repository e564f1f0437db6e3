//! Misbehaving upstreams (`support::raw_upstream`), each bounded in time: one that closes
//! before answering (`502`) or half-way through a body (the client sees the cut, never a
//! stitched answer), one that never answers (`504` at `read_timeout`), one that streams
//! slowly (passed on piece by piece, with or without a `Content-Length`). Nothing of a
//! failed exchange reaches the next request: the client connection is closed, and the
//! upstream connection is not reused. And passgate out of file descriptors answers `503`
//! without counting it against a healthy peer.

use std::time::{Duration, Instant};

use crate::support::conn::Conn;
use crate::support::gateway::Gateway;
use crate::support::raw_upstream::{self, RawUpstream};

fn route(up: &RawUpstream, read_timeout: &str) -> String {
    format!(
        "\n[[routes]]\nhost = \"*\"\nupstream = \"{}\"\npolicy = \"public\"\nconnect_timeout = \"1s\"\nread_timeout = \"{read_timeout}\"\nmax_fails = 100\n",
        up.url()
    )
}

/// Reads from `c` until the connection ends; (bytes, when each read completed).
async fn read_all_timed(c: &mut Conn, give_up: Duration) -> Vec<(Duration, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout(
        give_up.saturating_sub(start.elapsed()),
        c.stream.read(&mut buf),
    )
    .await
    {
        if n == 0 {
            break;
        }
        out.push((start.elapsed(), buf[..n].to_vec()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_closes_or_never_answers_gives_502_or_504() {
    let up = raw_upstream::start("app").await;
    let gw = Gateway::with_routes(&route(&up, "1s")).await;

    // Closes without answering: 502 page, and the client connection is not kept.
    let mut c = Conn::open(gw.port).await.unwrap();
    let r = c.get("localhost", "/close-early").await.unwrap();
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(r.text().contains("upstream_unavailable"), "{}", r.text());
    assert!(c.closes_within(Duration::from_secs(2)).await.unwrap());
    // Never answers: 504 after read_timeout, and the connection is not kept.
    let mut c = Conn::open(gw.port).await.unwrap();
    let start = Instant::now();
    let r = c.get("localhost", "/never").await.unwrap();
    assert_eq!(r.status, 504, "{}", r.text());
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    assert!(r.text().contains("upstream_timeout"), "{}", r.text());
    assert!(c.closes_within(Duration::from_secs(2)).await.unwrap());

    // Closes half-way through a body whose header was passed on: the client sees the
    // header and the bytes sent, then the connection ends (no 502 page glued on).
    let mut c = Conn::open(gw.port).await.unwrap();
    c.send(b"GET /close-mid HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let got = read_all_timed(&mut c, Duration::from_secs(3)).await;
    let text: String = got
        .iter()
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(text.starts_with("HTTP/1.1 200"), "{text:?}");
    assert!(text.ends_with("\r\n\r\n0123456789"), "{text:?}");
    assert!(!text.contains("502"), "{text:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_answer_never_reaches_the_next_request() {
    let up = raw_upstream::start("app").await;
    let gw = Gateway::with_routes(&route(&up, "1s")).await;

    // Control: answered requests reuse one upstream connection.
    let mut c = Conn::open(gw.port).await.unwrap();
    assert_eq!(
        c.get("localhost", "/one").await.unwrap().text(),
        "app GET /one 0"
    );
    assert_eq!(
        c.get("localhost", "/two").await.unwrap().text(),
        "app GET /two 0"
    );
    let reqs = up.requests();
    assert_eq!(
        reqs[0].connection, reqs[1].connection,
        "the upstream pool is not in use"
    );

    // A request the upstream answers after read_timeout: 504 …
    let r = c.get("localhost", "/late?ms=1500").await.unwrap();
    assert_eq!(r.status, 504);
    // … and its answer, arriving later on that upstream connection, is never read as the
    // answer to the next request.
    tokio::time::sleep(Duration::from_millis(700)).await;
    for path in ["/three", "/four"] {
        let mut c = Conn::open(gw.port).await.unwrap();
        let r = c.get("localhost", path).await.unwrap();
        assert_eq!(r.text(), format!("app GET {path} 0"));
    }
    let reqs = up.requests();
    let late = reqs.iter().find(|r| r.target.starts_with("/late")).unwrap();
    let three = reqs.iter().find(|r| r.target == "/three").unwrap();
    assert_ne!(
        late.connection, three.connection,
        "the timed-out connection was reused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_are_passed_on_as_they_arrive() {
    let up = raw_upstream::start("app").await;
    // Each piece comes well within read_timeout; the whole body takes longer than it.
    let gw = Gateway::with_routes(&route(&up, "2s")).await;
    for path in ["/slow-stream?n=5&ms=400", "/slow-length?n=5&ms=400"] {
        let mut c = Conn::open(gw.port).await.unwrap();
        c.send(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
        let got = read_all_timed(&mut c, Duration::from_secs(6)).await;
        let text: String = got
            .iter()
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert!(text.starts_with("HTTP/1.1 200"), "{path}: {text:?}");
        assert!(
            text.contains("chunk 0\n") && text.contains("chunk 4\n"),
            "{path}: {text:?}"
        );
        // The first piece reached the client long before the last was sent (≈ 2 s).
        let first = got
            .iter()
            .find(|(_, b)| String::from_utf8_lossy(b).contains("chunk 0"))
            .map(|(t, _)| *t)
            .unwrap();
        let last = got.last().unwrap().0;
        eprintln!("{path}: first piece after {first:?}, last after {last:?}");
        assert!(
            first < Duration::from_millis(1200) && last > Duration::from_millis(1500),
            "{path}: not streamed (first piece after {first:?}, end after {last:?})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_half_way_passes_on_the_partial_body_before_the_timeout() {
    let up = raw_upstream::start("app").await;
    let gw = Gateway::with_routes(&route(&up, "3s")).await;
    let mut c = Conn::open(gw.port).await.unwrap();
    c.send(b"GET /stall-half HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let start = Instant::now();
    let got = read_all_timed(&mut c, Duration::from_secs(6)).await;
    let ended = start.elapsed();
    let text: String = got
        .iter()
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    let partial_at = got
        .iter()
        .scan(String::new(), |acc, (t, b)| {
            acc.push_str(&String::from_utf8_lossy(b));
            Some((*t, acc.contains("half-body.")))
        })
        .find(|(_, done)| *done)
        .map(|(t, _)| t);
    eprintln!(
        "stall half-way: partial body after {partial_at:?}, connection ended after {ended:?}"
    );
    // Header and the first half arrive as sent, long before read_timeout (3 s) …
    assert!(text.starts_with("HTTP/1.1 200"), "{text:?}");
    assert!(
        partial_at.is_some_and(|t| t < Duration::from_millis(1500)),
        "the partial body waited for the timeout: {partial_at:?}"
    );
    // … then the connection ends at the timeout with nothing added (the client sees a
    // body shorter than its Content-Length, never a 504 page inside it).
    assert!(text.ends_with("half-body."), "{text:?}");
    assert!(
        ended > Duration::from_millis(2500) && ended < Duration::from_millis(5500),
        "the connection ended after {ended:?}, not at read_timeout (3 s)"
    );
}

/// The descriptors `pid` has open (numbers).
fn open_fds(pid: u32) -> Vec<i32> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_descriptors_answers_503_and_keeps_the_peer_healthy() {
    let a = crate::support::upstream::start("a").await;
    let b = crate::support::upstream::start("b").await;
    // max_fails = 1: one counted failure would mark a peer down for a minute.
    let routes = format!(
        "\n[[routes]]\nhost = \"*\"\nupstream = [\"{}\", \"{}\"]\npolicy = \"public\"\nmax_fails = 1\nfail_timeout = \"60s\"\n",
        a.url(),
        b.url()
    );
    let gw = Gateway::with_routes(&routes).await;
    let pid = gw.child.id();

    // Limit the gateway to its current descriptors plus a few, then take those few with
    // idle client connections (each answered, so each holds a descriptor).
    let limit = open_fds(pid).into_iter().max().unwrap() as u64 + 12;
    let lim = libc::rlimit {
        rlim_cur: limit,
        rlim_max: limit,
    };
    // SAFETY: prlimit reads `lim` and writes nothing (old limit pointer is null).
    let rc = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_NOFILE,
            &lim,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
    let used = || {
        open_fds(pid)
            .into_iter()
            .filter(|&n| (n as u64) < limit)
            .count() as u64
    };
    let mut idle = Vec::new();
    while used() < limit {
        let mut c = Conn::open(gw.port).await.unwrap();
        match tokio::time::timeout(
            Duration::from_secs(2),
            c.get("localhost", "/.passgate/healthz"),
        )
        .await
        {
            Ok(Ok(r)) => assert_eq!(r.status, 200),
            _ => break, // not accepted: the gateway is at its limit
        }
        idle.push(c);
        assert!(
            (idle.len() as u64) < limit,
            "the descriptor count never reached the limit ({} of {limit})",
            used()
        );
    }
    assert_eq!(used(), limit, "the gateway still has descriptors free");

    // A proxied request now cannot open an upstream socket (EMFILE).
    let r = idle[0].get("localhost", "/x").await.unwrap();
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(r.text().contains("\"service_unavailable\""), "{}", r.text());
    gw.wait_for_log("out of local resources", 5).await;

    // Descriptors back: both peers serve, neither was marked down.
    idle.truncate(2);
    let freed = Instant::now();
    while used() > limit - 8 {
        assert!(
            freed.elapsed() < Duration::from_secs(5),
            "the gateway kept the closed connections"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut names = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let r = idle[1].get("localhost", "/x").await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        names.insert(v["upstream"].as_str().unwrap().to_string());
    }
    assert_eq!(
        names.len(),
        2,
        "a peer was marked down: only {names:?} answered"
    );
    let log = gw.log();
    assert!(!log.contains("upstream connect failed"), "{log}");
}
