//! Misbehaving clients against the real gateway, each bounded in time, while a well-behaved
//! client keeps being served: slowloris (100 connections trickling a request head, closed
//! at `server.header_timeout`), 20,000 idle kept-alive connections, oversized heads and
//! bodies. Request smuggling is in `faults_framing.rs`.

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

/// The `RLIMIT_NOFILE` of this process: the soft limit raised to the hard one (always
/// allowed, and inherited by the processes started afterwards); returns the hard limit.
fn nofile_raised_to_hard() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) };
    }
    lim.rlim_max
}

fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

/// `port:count`: set for the helper process that holds the idle connections.
const HOLDER_ENV: &str = "PASSGATE_IDLE_HOLDER";

/// Descriptors the gateway needs besides the idle connections (listeners, runtimes, the
/// store, the upstream pool, the well-behaved client's connections).
const GATEWAY_SPARE_FDS: u64 = 300;

/// The helper process of [`twenty_thousand_idle_keepalive_connections`]: opens the idle
/// connections (this test binary run again, so the test process's own descriptors stay
/// free for the other tests), reports on stdout, re-uses a sample when told `check` on
/// stdin, and exits (resetting every connection) when stdin closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "helper process of twenty_thousand_idle_keepalive_connections"]
async fn idle_connection_holder() {
    use futures_util::StreamExt;
    use tokio::io::AsyncBufReadExt;
    let Some((port, n)) = std::env::var(HOLDER_ENV).ok().and_then(|v| {
        let (p, n) = v.split_once(':')?;
        Some((p.parse::<u16>().ok()?, n.parse::<usize>().ok()?))
    }) else {
        return;
    };
    let started = Instant::now();
    let mut conns: Vec<Conn> = futures_util::stream::iter(0..n)
        .map(|i| async move {
            let source = std::net::Ipv4Addr::new(127, 0, 1, 1 + (i % 32) as u8);
            let mut c = Conn::open_from(port, source).await.expect("connect");
            // Reset on exit: the client ports must not linger in TIME_WAIT.
            socket2::SockRef::from(&c.stream)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            let r = c.get("idle.test", "/").await.expect("first request");
            assert_eq!(r.status, 404);
            assert!(!r.closes());
            c
        })
        .buffer_unordered(200)
        .collect()
        .await;
    println!(
        "HOLDER opened {} {}",
        conns.len(),
        started.elapsed().as_millis()
    );
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line == "check" {
            let mut reused = 0;
            for c in conns.iter_mut().step_by((n / 100).max(1)) {
                let r = c
                    .get("idle.test", "/again")
                    .await
                    .expect("an idle connection was dropped");
                assert_eq!(r.status, 404);
                reused += 1;
            }
            println!("HOLDER checked {reused}");
        }
    }
}

/// The rest of the holder's next stdout line after `prefix` (two minutes at most).
async fn holder_line(
    out: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    prefix: &str,
) -> String {
    let wait = tokio::time::timeout(Duration::from_secs(120), async {
        while let Ok(Some(l)) = out.next_line().await {
            // libtest may print the test's name on the same line first.
            if let Some(i) = l.find(prefix) {
                return l[i + prefix.len()..].to_string();
            }
        }
        panic!("the holder ended without {prefix:?}");
    });
    wait.await.expect("the holder took over 2 minutes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_idle_keepalive_connections() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    const WANT: u64 = 20_000;
    // The gateway holds one descriptor per connection plus its own, under the limit it
    // inherits from this process; the helper holds the client ends.
    let hard = nofile_raised_to_hard();
    let n = WANT.min(hard.saturating_sub(GATEWAY_SPARE_FDS));
    if n < WANT {
        eprintln!(
            "holding {n} idle connections, not {WANT}: RLIMIT_NOFILE is {hard} here \
             (raise `ulimit -Hn` above {} for the full count)",
            WANT + GATEWAY_SPARE_FDS
        );
    }
    let up = upstream::start("app").await;
    // Requests for another host get passgate's own 404 (no route): a cheap first request.
    let routes = format!(
        "\n[[routes]]\nhost = \"app.test\"\nupstream = \"{}\"\npolicy = \"public\"\n",
        up.url()
    );
    let gw = Gateway::with_server_keys("access_log = false", &routes).await;
    let pid = gw.child.id();
    let rss_before = rss_mib(pid);
    let mut holder = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "faults_clients::idle_connection_holder",
        ])
        .args(["--nocapture", "--test-threads", "1"])
        .env(HOLDER_ENV, format!("{}:{n}", gw.port))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the holder");
    let mut out = tokio::io::BufReader::new(holder.stdout.take().unwrap()).lines();
    let opened = holder_line(&mut out, "HOLDER opened ").await;
    let (count, ms) = opened.split_once(' ').unwrap();
    assert_eq!(count.parse::<u64>().unwrap(), n);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = rss_mib(pid);

    // A client with its own connections is served while they all sit idle.
    let http = client();
    let mut took = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let r = http
            .get(gw.url("/x"))
            .header("host", "app.test")
            .send()
            .await
            .expect("served while the idle connections are held");
        assert_eq!(r.status(), 200);
        took.push(t.elapsed());
    }
    took.sort();
    // And the idle connections are still usable.
    let mut stdin = holder.stdin.take().unwrap();
    stdin.write_all(b"check\n").await.unwrap();
    let checked = holder_line(&mut out, "HOLDER checked ").await;
    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(60), holder.wait())
        .await
        .expect("the holder did not exit")
        .unwrap();
    assert!(status.success(), "the holder failed: {status}");
    eprintln!(
        "{n} idle keep-alive connections opened in {ms} ms ({checked} re-used later); gateway RSS \
         {rss_before} MiB -> {rss_idle} MiB ({:.1} KiB per connection); meanwhile 50 requests: \
         median {:?}, max {:?}",
        (rss_idle.saturating_sub(rss_before) * 1024) as f64 / n as f64,
        took[took.len() / 2],
        took[took.len() - 1],
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
