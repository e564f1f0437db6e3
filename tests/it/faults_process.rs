//! Signals under load, each bounded in time: a storm of 20 `SIGHUP`s, valid and invalid
//! files alternating, fails no request; `SIGTERM` lets every request in flight finish,
//! and every answer written while draining says `Connection: close`, so no client sends
//! another request on a connection that is about to be dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::support::conn::Conn;
use crate::support::gateway::{base_config, Gateway};
use crate::support::{client, free_port, upstream};

fn config(port: u16, up: &str, extra_route: bool) -> String {
    let mut c = base_config(port);
    c.push_str(&format!(
        "\n[[routes]]\nhost = \"*\"\nupstream = \"{up}\"\npolicy = \"public\"\n"
    ));
    if extra_route {
        c.push_str(&format!(
            "\n[[routes]]\nhost = \"*\"\npath_prefix = \"/extra\"\nupstream = \"{up}\"\npolicy = \"public\"\n"
        ));
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_storm_fails_no_request() {
    let up = upstream::start("app").await;
    let port = free_port();
    let gw = Gateway::start(port, &config(port, &up.url(), false)).await;
    let stop = Arc::new(AtomicBool::new(false));
    // Keep-alive clients (each its own connection pool) and new connections.
    let load: Vec<_> = (0..4)
        .map(|n| {
            let stop = stop.clone();
            let url = gw.url(&format!("/app/{n}"));
            tokio::spawn(async move {
                let (mut ok, mut bad) = (0u32, Vec::new());
                let pooled = client();
                while !stop.load(Ordering::Relaxed) {
                    let http = if n % 2 == 0 { pooled.clone() } else { client() };
                    match http.get(&url).send().await {
                        Ok(r) if r.status() == 200 => ok += 1,
                        Ok(r) => bad.push(format!("status {}", r.status())),
                        Err(e) => bad.push(e.to_string()),
                    }
                }
                (ok, bad)
            })
        })
        .collect();

    let count = |needle: &str| gw.log().matches(needle).count();
    let start = Instant::now();
    for i in 0..20 {
        let (file, needle) = if i % 2 == 0 {
            (
                config(port, &up.url(), i % 4 == 0),
                "configuration reloaded",
            )
        } else {
            (
                format!("{}\n[[routes]]\nhost = 1\n", config(port, &up.url(), true)),
                "still serving the previous configuration",
            )
        };
        let before = count(needle);
        gw.write_config(&file);
        gw.signal(Signal::SIGHUP);
        // One signal at a time: signals sent faster than they are handled coalesce.
        let deadline = Instant::now() + Duration::from_secs(10);
        while count(needle) == before {
            assert!(
                Instant::now() < deadline,
                "SIGHUP {i} was not handled:\n{}",
                gw.log()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let storm = start.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let mut ok = 0;
    let mut bad = Vec::new();
    for l in load {
        let (o, b) = l.await.unwrap();
        ok += o;
        bad.extend(b);
    }
    eprintln!(
        "reload storm: 20 SIGHUPs in {storm:?}; {ok} requests answered, {} failed",
        bad.len()
    );
    assert!(bad.is_empty(), "{bad:?}");
    assert!(ok > 40, "{ok}");
    assert_eq!(count("configuration reloaded"), 10);
    assert_eq!(count("still serving the previous configuration"), 10);
}

/// One client connection sending requests back to back until the gateway says it closes
/// or the connection ends: per answer (when it arrived, status, Connection: close), and
/// the error that ended it, if any.
struct Outcome {
    answers: Vec<(Instant, u16, bool)>,
    error: Option<String>,
}

async fn keep_requesting(port: u16, path: String) -> Outcome {
    let mut c = Conn::open(port).await.expect("connect");
    let mut out = Outcome {
        answers: Vec::new(),
        error: None,
    };
    loop {
        match c.get("localhost", &path).await {
            Ok(r) => {
                out.answers.push((Instant::now(), r.status, r.closes()));
                if r.closes() {
                    return out;
                }
            }
            Err(e) => {
                out.error = Some(e.to_string());
                return out;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_requests_in_flight_and_closes_kept_alive_connections() {
    let up = upstream::start("app").await;
    let port = free_port();
    let file =
        config(port, &up.url(), false).replace("grace_period = \"0s\"", "grace_period = \"3s\"");
    let mut gw = Gateway::start(port, &file).await;
    let clients: Vec<_> = (0..40)
        .map(|_| tokio::spawn(keep_requesting(port, "/slow?ms=1500".into())))
        .collect();
    // Slow answers (1.5 s) keep a request of nearly every client in flight at SIGTERM however
    // loaded the machine is; wait until every client has had one answer.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let term = Instant::now();
    gw.signal(Signal::SIGTERM);
    let mut outcomes = Vec::new();
    for c in clients {
        outcomes.push(
            tokio::time::timeout(Duration::from_secs(10), c)
                .await
                .expect("a client hung")
                .unwrap(),
        );
    }
    let status = gw.wait_exit(15).await;
    assert!(status.success(), "{status}");

    let mut problems = Vec::new();
    let (mut served, mut after_term) = (0, 0);
    for (i, o) in outcomes.iter().enumerate() {
        served += o.answers.len();
        for (at, status, closes) in &o.answers {
            assert_eq!(*status, 200);
            // Answers written while draining (well after the signal) must say close.
            if *at > term + Duration::from_millis(150) {
                after_term += 1;
                if !closes {
                    problems.push(format!(
                        "client {i}: an answer while draining kept the connection"
                    ));
                }
            }
        }
        if let Some(e) = &o.error {
            // Only a request racing the signal itself may meet a closed connection.
            let last = o.answers.last().map(|a| a.0);
            if last.is_none_or(|t| t > term + Duration::from_millis(150)) {
                problems.push(format!("client {i}: {e} after {} answers", o.answers.len()));
            }
        }
    }
    eprintln!(
        "drain: {served} requests answered by 40 keep-alive clients, {after_term} of them after SIGTERM; {} problems",
        problems.len()
    );
    assert!(
        after_term >= 25,
        "too few requests were in flight at SIGTERM: {after_term}"
    );
    assert!(problems.is_empty(), "{problems:#?}");
}
