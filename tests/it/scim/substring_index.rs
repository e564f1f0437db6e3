//! PostgreSQL with pg_trgm: `emails.value co` and `userName co` searches use the trigram
//! indexes of migration 0005 on every request, also after the first five, when a prepared
//! statement switches to PostgreSQL's generic plan, which on a realm this size walks the
//! realm in creation order instead (75-115 ms per request on 100,000 users in
//! benches/scim.sh; on 20,000 users the generic plan is not chosen, so the realm here has
//! 100,000): passgate sends substring searches as one-shot statements. Seen in the indexes'
//! scan counters (`pg_stat_user_indexes`).

use std::time::{Duration, Instant};

use super::Scim;
use crate::support::admin::AdminApi;
use crate::support::db::Backend;

const REQUESTS: i64 = 12;

async fn index_scans(api: &AdminApi, index: &str) -> i64 {
    api.db
        .count(&format!(
            "SELECT COALESCE(SUM(idx_scan), 0)::BIGINT FROM pg_stat_user_indexes \
             WHERE schemaname = current_schema() AND indexrelname = '{index}'"
        ))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn substring_searches_use_the_trigram_indexes_on_every_request() {
    let Some(api) = AdminApi::start(Backend::Postgres).await else {
        return;
    };
    if api
        .db
        .count("SELECT COUNT(*) FROM pg_extension WHERE extname = 'pg_trgm'")
        .await
        == 0
    {
        eprintln!("pg_trgm is not installed: nothing to check");
        return;
    }
    let scim = Scim::new(&api);
    scim.user(
        "Zed.Lucky",
        serde_json::json!({"emails": [{"value": "Zed.Lucky@Example.org"}]}),
    )
    .await;
    api.db
        .exec(
            "INSERT INTO identities (id, tenant_id, realm_id, display_name, status, \
             enrollment_status, username, username_key, primary_email_address, email_key, \
             extra_traits, version, create_us, update_us) \
             SELECT md5('u' || g), 'default', 'default', 'user' || g, 'active', 'UNENROLLED', \
             'user' || g, 'user' || g, 'user' || g || '@example.com', \
             'user' || g || '@example.com', '{}', 1, 0, 0 FROM generate_series(1, 100000) g",
        )
        .await;
    api.db.exec("ANALYZE identities").await;

    for (attr, needle, index) in [
        ("emails.value", "ky@example.o", "identities_email_trgm"),
        ("userName", "zed.luc", "identities_username_trgm"),
    ] {
        let before = index_scans(&api, index).await;
        for _ in 0..REQUESTS {
            let r = scim
                .filter("Users", &format!("{attr} co \"{needle}\""), "")
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["totalResults"], 1, "{}", r.body);
            assert_eq!(r.body["Resources"][0]["userName"], "Zed.Lucky");
        }
        // Backends report their counters when idle, within about 10 s.
        let since = Instant::now();
        let mut scans = index_scans(&api, index).await - before;
        while scans < REQUESTS && since.elapsed() < Duration::from_secs(20) {
            tokio::time::sleep(Duration::from_millis(500)).await;
            scans = index_scans(&api, index).await - before;
        }
        assert!(
            scans >= REQUESTS,
            "{attr} co: {index} was scanned {scans} times for {REQUESTS} requests"
        );
    }
}
