//! Sign-out, suspension, passkey revocation and identity deletion made through the load
//! balancer (`support::cluster`) reach every instance within 2 s: the instance that made
//! the change refuses the token at once, the others within a sync round; the distribution
//! is printed. PostgreSQL only.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::support::admin::realm_path;
use crate::support::authenticator::Authenticator;
use crate::support::cluster::{Cluster, Served};

/// One revocation: what was done, through which instance, and for each instance how long
/// it took to refuse the token afterwards and how many checks that took.
struct Spread {
    kind: &'static str,
    via: String,
    lags: Vec<(String, Duration, u32)>,
}

/// Polls every node with `token` until each refuses it (or 2.5 s pass).
async fn lags(c: &Cluster, token: &str, since: Instant) -> Vec<(String, Duration, u32)> {
    let polls = (0..c.nodes.len()).map(|i| async move {
        let mut checks = 0;
        loop {
            let r = c.get_direct(i, "/app", token).await;
            checks += 1;
            if r.status == 401 || since.elapsed() > Duration::from_millis(2500) {
                return (c.nodes[i].name.clone(), since.elapsed(), checks);
            }
            assert_eq!(r.status, 200, "{}", r.text);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    futures_util::future::join_all(polls).await
}

/// Revokes the session of `user` the way `kind` says, through the balancer.
async fn revoke(c: &Cluster, kind: &str, id: &str, passkey: &str, token: &str) -> Served {
    match kind {
        "sign-out" => {
            Cluster::send(
                c.via_lb(Method::DELETE, "/.passgate/api/v1/session")
                    .header("cookie", format!("passgate_session={token}")),
            )
            .await
        }
        "suspension" => {
            c.admin(
                Method::PATCH,
                &realm_path(&format!("/identities/{id}")),
                Some(json!({"identity": {"status": "suspended"}})),
            )
            .await
        }
        "passkey revocation" => {
            c.admin(
                Method::POST,
                &realm_path(&format!("/credentials/{passkey}:revoke")),
                Some(json!({})),
            )
            .await
        }
        _ => {
            c.admin(
                Method::DELETE,
                &realm_path(&format!("/identities/{id}")),
                None,
            )
            .await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_reach_every_instance_within_two_seconds() {
    let Some(c) = Cluster::start("").await else {
        return;
    };
    let c = &c;
    const EACH: usize = 3;
    let kinds = [
        "sign-out",
        "suspension",
        "passkey revocation",
        "identity deletion",
    ];
    let mut spreads = Vec::new();
    for (k, kind) in kinds.into_iter().enumerate() {
        let mut users = Vec::new();
        for n in 0..EACH {
            let mut device = Authenticator::new();
            let (id, passkey, bound) = c.enroll(&mut device, &format!("u{k}x{n}")).await;
            let token = bound.token().unwrap();
            // Every instance has verified (and cached) the session before it is revoked.
            for i in 0..3 {
                assert_eq!(c.get_direct(i, "/app", &token).await.status, 200);
            }
            users.push((id, passkey, token));
        }
        // The users of one kind are revoked one after the other, each followed at once by
        // its pollers; the kinds one after the other (a handful of pollers at a time, so
        // the measurement does not load the instances it measures).
        let mut pending = Vec::new();
        for (id, passkey, token) in &users {
            let done = revoke(c, kind, id, passkey, token).await;
            assert!(done.status < 300, "{kind}: {} {}", done.status, done.text);
            let since = Instant::now();
            let via = done.server.clone();
            pending.push(async move {
                Spread {
                    kind,
                    via,
                    lags: lags(c, token, since).await,
                }
            });
        }
        spreads.extend(futures_util::future::join_all(pending).await);
    }

    let mut others: Vec<Duration> = Vec::new();
    for s in &spreads {
        let line: Vec<String> = s
            .lags
            .iter()
            .map(|(n, d, _)| format!("{n} {} ms", d.as_millis()))
            .collect();
        eprintln!("{:<18} via {}: {}", s.kind, s.via, line.join(", "));
        others.extend(
            s.lags
                .iter()
                .filter(|(n, ..)| *n != s.via)
                .map(|(_, d, _)| *d),
        );
    }
    others.sort();
    let ms = |d: Duration| d.as_millis();
    eprintln!(
        "revocation spread to the other instances ({} samples): min {} ms, median {} ms, p90 {} ms, max {} ms",
        others.len(),
        ms(others[0]),
        ms(others[others.len() / 2]),
        ms(others[others.len() * 9 / 10]),
        ms(others[others.len() - 1]),
    );
    for s in &spreads {
        for (node, lag, checks) in &s.lags {
            assert!(
                *lag < Duration::from_secs(2),
                "{} via {}: {node} still accepted the token after {lag:?}",
                s.kind,
                s.via
            );
            // The instance that made the change refuses the token at once.
            if *node == s.via {
                assert_eq!(
                    *checks, 1,
                    "{} via {node}: accepted after the change",
                    s.kind
                );
            }
        }
    }
}
