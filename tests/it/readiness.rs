//! `/.passgate/readyz` follows the store: 503 while PostgreSQL is cut off, 200 once it is
//! back (through a real TCP relay; skipped without `PASSGATE_TEST_POSTGRES_URL`).

use std::time::{Duration, Instant};

use crate::support::db::TestDb;
use crate::support::gateway::{base_config, Gateway};
use crate::support::relay::Relay;
use crate::support::{client, free_port};

async fn readyz(port: u16) -> u16 {
    client()
        .get(format!("http://localhost:{port}/.passgate/readyz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn wait_for(port: u16, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = readyz(port).await;
        if got == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "readyz stayed {got}, expected {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_while_the_store_is_unreachable() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let (mut relay, relayed) = Relay::to_postgres(&db.url).await;

    let port = free_port();
    let config = format!(
        "{}\n[store]\nurl = \"{relayed}\"\nconnect_timeout = \"1s\"\n",
        base_config(port)
    );
    let gw = Gateway::start(port, &config).await;
    assert_eq!(readyz(port).await, 200, "{}", gw.log());

    relay.cut();
    wait_for(port, 503).await;
    // Liveness does not depend on the store.
    let health = client()
        .get(gw.url("/.passgate/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    relay.restore().await;
    wait_for(port, 200).await;
}
