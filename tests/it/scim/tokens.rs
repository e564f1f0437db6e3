//! Verified tokens are remembered for `token_cache::TTL` (2 s): a token revoked by another
//! process (here `passgate token revoke`, as another instance would through the store) is
//! refused within that bound, one revoked through this instance at once; a wrong secret
//! beside a remembered token is still refused.

use std::time::{Duration, Instant};

use super::Scim;
use crate::support::admin::AdminApi;
use crate::support::db::Backend;

on_both_backends!(revoked_tokens_are_refused_within_the_cache_bound);

async fn revoked_tokens_are_refused_within_the_cache_bound(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let mut scim = Scim::new(&api);
    // Remembered after the first request.
    for _ in 0..3 {
        assert_eq!(scim.get("/Users?count=0").await.status, 200);
    }
    // The same id with another secret is not the remembered token.
    let good = scim.token.clone();
    let (prefix, _) = good.rsplit_once('_').unwrap();
    scim.token = format!("{prefix}_wrong");
    scim.get("/Users?count=0").await.assert_error(401, None);
    scim.token = good;

    let id = scim.token.split('_').nth(1).unwrap().to_string();
    let out = api.cli(&["token", "revoke", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let revoked = Instant::now();
    let bound = passgate::idm::token_cache::TTL + Duration::from_millis(500);
    loop {
        let r = scim.get("/Users?count=0").await;
        if r.status == 401 {
            r.assert_error(401, None);
            break;
        }
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            revoked.elapsed() < bound,
            "a revoked token still works after {:?}",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("revoked token refused after {:?}", revoked.elapsed());
    // And stays refused.
    tokio::time::sleep(Duration::from_millis(100)).await;
    scim.get("/Users?count=0").await.assert_error(401, None);
}
