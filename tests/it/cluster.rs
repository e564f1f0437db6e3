//! Several instances behind a real load balancer (`support::cluster`: three passgate
//! processes on one PostgreSQL schema behind HAProxy, round-robin, no stickiness), with
//! the software passkey: ceremonies begun on one instance finish on another; sessions and
//! re-issued tokens count everywhere (revocations: `cluster_revocations.rs`); a key
//! rotation is published by every instance before it signs; a reload of one
//! instance leaves the others alone. PostgreSQL only: skipped without
//! `PASSGATE_TEST_POSTGRES_URL`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use crate::support::authenticator::Authenticator;
use crate::support::cluster::{exp_of, kid_of, Cluster, Served};
use crate::support::sessions::now;

/// The username the echo upstream saw, or the status when it was not reached.
fn user_of(r: &Served) -> Result<String, u16> {
    if r.status != 200 {
        return Err(r.status);
    }
    Ok(r.body["headers"]["x-passgate-user"][0]
        .as_str()
        .unwrap_or("")
        .to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ceremonies_and_sessions_cross_instances() {
    let Some(c) = Cluster::start("[session]\ntoken_ttl = \"2s\"\nidle_timeout = \"1h\"\n").await
    else {
        return;
    };
    // Binding: begin and finish on two instances (checked by `enroll`).
    let mut device = Authenticator::new();
    let (_, _, bound) = c.enroll(&mut device, "alice").await;
    let bound_token = bound.token().expect("binding sets the session cookie");

    // Sign-in likewise.
    let (begin_server, finished) = c.sign_in(&mut device).await;
    assert_eq!(finished.status, 200, "{}", finished.text);
    assert_ne!(
        begin_server, finished.server,
        "sign-in begin and finish met one instance"
    );
    let token = finished.token().expect("sign-in sets the session cookie");

    // Both sessions are honoured by every instance (three requests: three instances).
    for t in [&bound_token, &token] {
        let mut servers = BTreeSet::new();
        for _ in 0..3 {
            let r = c.get_lb("/app", t).await;
            assert_eq!(user_of(&r), Ok("alice".into()), "{}", r.text);
            servers.insert(r.server);
        }
        assert_eq!(servers.len(), 3, "{servers:?}");
    }

    // Re-issue: once the token has expired, the instance it reaches re-issues it, and the
    // new token counts on the others without another re-issue.
    // Past its expiry by the instances' shared test clock (no sleeping).
    let wait = exp_of(&token) + 1 - now().min(exp_of(&token) + 1);
    c.clock.advance_secs(wait as i64 + 1);
    let r = c.get_lb("/app", &token).await;
    assert_eq!(user_of(&r), Ok("alice".into()), "{}", r.text);
    let reissued = r.token().expect("an expired token is re-issued");
    assert_ne!(reissued, token);
    let reissuer = r.server.clone();
    let mut others = BTreeSet::new();
    for _ in 0..2 {
        let r = c.get_lb("/app", &reissued).await;
        assert_eq!(user_of(&r), Ok("alice".into()), "{}", r.text);
        assert!(r.set_cookie.is_none(), "re-issued again by {}", r.server);
        others.insert(r.server);
    }
    assert!(
        !others.contains(&reissuer) && others.len() == 2,
        "{reissuer} {others:?}"
    );
    for i in 0..3 {
        let r = c
            .get_direct(i, "/.passgate/api/v1/session", &reissued)
            .await;
        assert_eq!(r.status, 200, "{}: {}", c.nodes[i].name, r.text);
        assert_eq!(r.body["identity"]["username"], "alice");
    }
}

/// The kids in node `i`'s JWKS.
async fn jwks_kids(c: &Cluster, i: usize) -> Vec<String> {
    let r = Cluster::send(c.direct(i, Method::GET, "/.passgate/jwks.json")).await;
    r.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

fn key_states(c: &Cluster) -> Vec<(String, String)> {
    let out = c.cli(1, &["keys", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["kid"].as_str().unwrap().to_string(),
                v["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_is_published_everywhere_before_it_signs() {
    const ACTIVATE_IN: Duration = Duration::from_secs(3);
    let Some(c) = Cluster::start("[session]\ntoken_ttl = \"8s\"\nidle_timeout = \"1h\"\n").await
    else {
        return;
    };
    let mut device = Authenticator::new();
    let (_, _, bound) = c.enroll(&mut device, "alice").await;
    let old = bound.token().unwrap();
    let old_kid = kid_of(&old);

    // Rotated with the second instance's configuration (the CLI writes to the store).
    let out = c.cli(1, &["keys", "rotate", "--activate-in", "3s"]);
    let rotated = Instant::now();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_kid = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_ne!(new_kid, old_kid);
    assert_eq!(
        key_states(&c),
        vec![
            (old_kid.clone(), "signing".to_string()),
            (new_kid.clone(), "pending".to_string())
        ]
    );

    // Every instance publishes the new key before it signs.
    let mut published = Vec::new();
    for i in 0..3 {
        while !jwks_kids(&c, i).await.contains(&new_kid) {
            assert!(
                rotated.elapsed() < ACTIVATE_IN,
                "{} did not publish {new_kid} before it signs",
                c.nodes[i].name
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        published.push(format!(
            "{} {} ms",
            c.nodes[i].name,
            rotated.elapsed().as_millis()
        ));
        // Until then the old key signs.
    }
    eprintln!(
        "new key published (signs after {ACTIVATE_IN:?}): {}",
        published.join(", ")
    );
    let (_, before) = c.sign_in(&mut device).await;
    if rotated.elapsed() < ACTIVATE_IN {
        assert_eq!(kid_of(&before.token().unwrap()), old_kid);
    }

    // After the activation (and one sync round) new sessions are signed with the new key,
    // and every instance accepts both the new token and the old one until it expires.
    tokio::time::sleep(
        (ACTIVATE_IN + Duration::from_millis(1200)).saturating_sub(rotated.elapsed()),
    )
    .await;
    let (_, after) = c.sign_in(&mut device).await;
    let fresh = after.token().unwrap();
    assert_eq!(kid_of(&fresh), new_kid);
    assert!(
        now() < exp_of(&old),
        "the old token expired too early for the test"
    );
    for i in 0..3 {
        for t in [&old, &fresh] {
            let r = c.get_direct(i, "/app", t).await;
            assert_eq!(
                user_of(&r),
                Ok("alice".into()),
                "{}: {}",
                c.nodes[i].name,
                r.text
            );
            assert!(r.set_cookie.is_none(), "{}", c.nodes[i].name);
        }
    }
    assert_eq!(
        key_states(&c),
        vec![
            (old_kid.clone(), "verifying".to_string()),
            (new_kid.clone(), "signing".to_string())
        ]
    );

    // Once expired, the old token is re-issued under the new key.
    let wait = exp_of(&old) + 1 - now().min(exp_of(&old) + 1);
    c.clock.advance_secs(wait as i64 + 1);
    let r = c.get_lb("/app", &old).await;
    assert_eq!(user_of(&r), Ok("alice".into()), "{}", r.text);
    assert_eq!(kid_of(&r.token().expect("re-issued")), new_kid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_of_one_instance_does_not_disturb_the_others() {
    let Some(c) = Cluster::start("").await else {
        return;
    };
    let mut device = Authenticator::new();
    let (_, _, bound) = c.enroll(&mut device, "alice").await;
    let token = bound.token().unwrap();

    // Traffic through the balancer for the whole test: signed-in and public requests.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = (0..4).map(|n| {
        let stop = stop.clone();
        let token = token.clone();
        let c = &c;
        async move {
            let (mut ok, mut failed) = (0u32, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = if n % 2 == 0 {
                    c.get_lb("/app", &token).await
                } else {
                    c.get_lb("/public/x", "none").await
                };
                if r.status == 200 {
                    ok += 1;
                } else {
                    failed.push(format!("{} from {}: {}", r.status, r.server, r.text));
                }
            }
            (ok, failed)
        }
    });
    let reloads = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let first = &c.nodes[0].gw;
        let original = std::fs::read_to_string(&first.config_path).unwrap();
        // A valid change (a new public route) on the first instance only...
        let extra = format!(
            "{original}\n[[routes]]\nhost = \"*\"\npath_prefix = \"/only-on-pg1\"\nupstream = \"{}\"\npolicy = \"public\"\n",
            c.upstream.url()
        );
        first.write_config(&extra);
        first.signal(nix::sys::signal::Signal::SIGHUP);
        first.wait_for_log("configuration reloaded", 10).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        // ...then an invalid file, refused.
        first.write_config(&format!("{original}\n[[routes]]\nhost = 1\n"));
        first.signal(nix::sys::signal::Signal::SIGHUP);
        first.wait_for_log("config reload rejected", 10).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    let (results, ()) = tokio::join!(futures_util::future::join_all(load), reloads);
    let ok: u32 = results.iter().map(|(ok, _)| ok).sum();
    let failed: Vec<&String> = results.iter().flat_map(|(_, f)| f).collect();
    eprintln!(
        "requests during the reloads: {ok} answered, {} failed",
        failed.len()
    );
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(ok > 20, "too little traffic to tell: {ok}");

    // The new route exists on the reloaded instance only; the others never reloaded.
    let on = |i: usize| {
        let c = &c;
        async move {
            Cluster::send(c.direct(i, Method::GET, "/only-on-pg1/x"))
                .await
                .status
        }
    };
    assert_eq!(on(0).await, 200);
    for i in 1..3 {
        assert_eq!(on(i).await, 401, "{} changed", c.nodes[i].name);
        let log = c.nodes[i].gw.log();
        assert!(
            !log.contains("configuration reloaded") && !log.contains("config reload rejected"),
            "{} reloaded:\n{log}",
            c.nodes[i].name
        );
        assert_eq!(c.get_direct(i, "/app", &token).await.status, 200);
    }
}
