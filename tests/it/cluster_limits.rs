//! Rate limits across instances (`support::cluster`: three passgate processes on one
//! PostgreSQL schema behind HAProxy, round-robin): a client's failed sign-ins, spread over
//! every instance, reach the failure budget at the configured count (10), not three times
//! it, because the counters live in the store. PostgreSQL only: skipped without
//! `PASSGATE_TEST_POSTGRES_URL`.

use std::collections::BTreeSet;

use serde_json::json;

use crate::support::authenticator::Authenticator;
use crate::support::cluster::Cluster;
use crate::support::sessions::now;

/// `control::limits::FAILURES`: failed sign-ins per address per 5 minutes.
const FAILURE_BUDGET: usize = 10;
const FAILURE_WINDOW_SECS: u64 = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_failures_hit_the_budget_across_instances() {
    let Some(c) = Cluster::start("").await else {
        return;
    };
    let mut device = Authenticator::new();
    c.enroll(&mut device, "mallory").await;
    // Windows are aligned to the epoch: start one second into a fresh failure window, so
    // the run cannot straddle two.
    let into = now() % FAILURE_WINDOW_SECS;
    c.clock
        .advance_secs(i64::try_from(FAILURE_WINDOW_SECS - into + 1).unwrap());

    // Each failure: a real ceremony, an assertion with a bad signature.
    device.tweaks.tamper_signature = true;
    let mut failed_on = BTreeSet::new();
    for i in 0..FAILURE_BUDGET {
        let begin = c
            .ceremony("/.passgate/api/v1/authenticate/begin", json!({}))
            .await;
        assert_eq!(begin.status, 200, "attempt {i}: {}", begin.text);
        let assertion = device.authenticate(&c.origin(), &begin.body).unwrap();
        let finish = c
            .ceremony(
                "/.passgate/api/v1/authenticate/finish",
                json!({"ceremony": begin.body["ceremony"], "credential": assertion}),
            )
            .await;
        assert_eq!(finish.status, 400, "attempt {i}: {}", finish.text);
        failed_on.insert(finish.server);
    }
    assert_eq!(failed_on.len(), 3, "failures met {failed_on:?}");

    // The budget is spent everywhere: every instance refuses the next ceremony request.
    let mut refused_by = BTreeSet::new();
    for _ in 0..3 {
        let r = c
            .ceremony("/.passgate/api/v1/authenticate/begin", json!({}))
            .await;
        assert_eq!(
            r.status, 429,
            "{} answered {}: {}",
            r.server, r.status, r.text
        );
        assert_eq!(r.body["code"], "too_many_requests", "{}", r.text);
        refused_by.insert(r.server);
    }
    assert_eq!(refused_by.len(), 3, "{refused_by:?}");
    // Even the right passkey waits for the window's end.
    device.tweaks.tamper_signature = false;
    let r = c
        .ceremony("/.passgate/api/v1/authenticate/begin", json!({}))
        .await;
    assert_eq!(r.status, 429, "{}", r.text);

    // A new window: the same client signs in again.
    c.clock
        .advance_secs(i64::try_from(FAILURE_WINDOW_SECS).unwrap());
    let (_, done) = c.sign_in(&mut device).await;
    assert_eq!(done.status, 200, "{}", done.text);
}
