//! Rate-limit windows in the store, on every backend (SQLite always, PostgreSQL when
//! `PASSGATE_TEST_POSTGRES_URL` is set): two handles on one database (as two instances)
//! counting the same window concurrently see every increment exactly once; windows are
//! separate by key and start; the sweep takes ended windows only.

use std::time::Duration;

use passgate::store::{self, StoreOptions};

use crate::support::db::TestDb;

fn options(db: &TestDb) -> StoreOptions {
    StoreOptions {
        url: db.url.clone(),
        max_connections: 4,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn windows_count_every_hit_once_across_handles_and_are_swept() {
    for db in TestDb::all().await {
        let a = store::open(&options(&db)).await.unwrap();
        let b = store::open(&options(&db)).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..40 {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            tasks.push(tokio::spawn(async move {
                s.add_to_window("fail:10.0.0.1", 1000, 1300, 1).await
            }));
        }
        let mut seen = Vec::new();
        for t in tasks {
            seen.push(
                t.await
                    .unwrap()
                    .unwrap_or_else(|e| panic!("{:?}: {e}", db.backend)),
            );
        }
        seen.sort_unstable();
        assert_eq!(seen, (1..=40).collect::<Vec<i64>>(), "{:?}", db.backend);
        assert_eq!(a.window_count("fail:10.0.0.1", 1000).await.unwrap(), 40);
        assert_eq!(b.window_count("fail:10.0.0.1", 1000).await.unwrap(), 40);

        // Another key, another window: separate counts; a count of nothing is 0.
        assert_eq!(
            a.add_to_window("fail:10.0.0.2", 1000, 1300, 1)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            a.add_to_window("fail:10.0.0.1", 1300, 1600, 1)
                .await
                .unwrap(),
            1
        );
        assert_eq!(a.window_count("nobody", 1000).await.unwrap(), 0);

        // At 1300 nothing has ended before it; at 1301 the two windows ending at 1300 go.
        assert_eq!(a.sweep_windows(1300).await.unwrap(), 0, "{:?}", db.backend);
        assert_eq!(b.sweep_windows(1301).await.unwrap(), 2, "{:?}", db.backend);
        assert_eq!(a.window_count("fail:10.0.0.1", 1000).await.unwrap(), 0);
        assert_eq!(a.window_count("fail:10.0.0.1", 1300).await.unwrap(), 1);
    }
}
