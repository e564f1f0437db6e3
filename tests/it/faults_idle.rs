//! 20,000 idle kept-alive connections (or as many as `RLIMIT_NOFILE` allows) held on the
//! real gateway by a helper process, while another client is served; the gateway's memory
//! per idle connection is printed.

use std::time::{Duration, Instant};

use crate::support::conn::Conn;
use crate::support::gateway::Gateway;
use crate::support::{client, upstream};

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
            "faults_idle::idle_connection_holder",
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
