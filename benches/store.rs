//! Store benches: creating identities (one transaction each, with its audit record) and
//! looking one up by username with 10,000 and with 100,000 identities in the realm. SQLite
//! always (a temp file); PostgreSQL too when `PASSGATE_TEST_POSTGRES_URL` is set (a fresh
//! schema, dropped at the end).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{black_box, Criterion};
use sqlx::Connection;

use passgate::idm::identities::{NewIdentity, TraitsPatch};
use passgate::idm::types::Patch;
use passgate::idm::{Actor, Context, Directory, SystemClock};
use passgate::store::{self, StoreOptions};

const CLI: Actor = Actor::Cli;
const SCOPE: Context<'static> = Context {
    tenant: "default",
    realm: "default",
    actor: &CLI,
};

struct Bench {
    name: &'static str,
    url: String,
    /// PostgreSQL: the server URL and the schema to drop afterwards.
    pg: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

fn targets(rt: &tokio::runtime::Runtime) -> Vec<Bench> {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut out = vec![Bench {
        name: "sqlite",
        url,
        pg: None,
        _dir: dir,
    }];
    match std::env::var("PASSGATE_TEST_POSTGRES_URL") {
        Err(_) => eprintln!("PostgreSQL bench skipped: PASSGATE_TEST_POSTGRES_URL is not set"),
        Ok(base) => {
            let schema = format!("passgate_bench_{}", std::process::id());
            rt.block_on(async {
                let mut c = sqlx::PgConnection::connect(&base)
                    .await
                    .expect("PostgreSQL");
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut c)
                    .await
                    .expect("create schema");
            });
            let sep = if base.contains('?') { '&' } else { '?' };
            out.push(Bench {
                name: "postgres",
                url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                pg: Some((base, schema)),
                _dir: tempfile::tempdir().expect("tempdir"),
            });
        }
    }
    out
}

async fn open(url: &str) -> Arc<Directory> {
    let options = StoreOptions {
        url: url.to_string(),
        max_connections: 4,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
    };
    let store = store::open(&options).await.expect("open store");
    let dir = Arc::new(Directory::new(store, Arc::new(SystemClock)));
    let config = passgate::config::from_str(
        "public_url = \"http://localhost:1\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n",
        std::path::Path::new("."),
    )
    .expect("config");
    dir.sync_config_realms(&config).await.expect("realms");
    dir
}

async fn create(dir: &Directory, username: &str) {
    let new = NewIdentity {
        traits: TraitsPatch {
            username: Patch::Set(username.to_string()),
            primary_email_address: Patch::Set(format!("{username}@example.com")),
            ..TraitsPatch::default()
        },
        ..NewIdentity::default()
    };
    dir.create_identity(&SCOPE, new)
        .await
        .expect("create identity");
}

/// Refreshes the planner's statistics (PostgreSQL picks a realm scan over the username index
/// on a never-analyzed table; autovacuum does this within a minute in a running deployment).
async fn analyze(url: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    sqlx::query("ANALYZE")
        .execute(&mut conn)
        .await
        .expect("analyze");
}

/// Adds identities `from..to` with plain multi-row INSERTs in one transaction (seeding only).
async fn seed(url: &str, from: usize, to: usize) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    let mut tx = conn.begin().await.expect("begin");
    for chunk_start in (from..to).step_by(500) {
        let end = (chunk_start + 500).min(to);
        let rows: Vec<String> = (chunk_start..end)
            .map(|i| {
                format!(
                    "('seed{i:08}', 'default', 'default', 'seed {i}', 'active', 'UNENROLLED', \
                     'seed{i:08}', 'seed{i:08}', '{{}}', 1, 1)"
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO identities (id, tenant_id, realm_id, display_name, status, \
             enrollment_status, username, username_key, extra_traits, create_us, update_us) \
             VALUES {}",
            rows.join(", ")
        );
        sqlx::query(&sql).execute(&mut *tx).await.expect("seed");
    }
    tx.commit().await.expect("commit");
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(50)
        .measurement_time(Duration::from_secs(5));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for target in targets(&rt) {
        let dir = rt.block_on(open(&target.url));

        let start = Instant::now();
        rt.block_on(async {
            for i in 0..10_000 {
                create(&dir, &format!("user{i:05}")).await;
            }
        });
        let took = start.elapsed();
        println!(
            "{}: created 10,000 identities in {:.2?} ({:.2?} per identity)",
            target.name,
            took,
            took / 10_000
        );

        rt.block_on(analyze(&target.url));
        let mut n = 0u64;
        c.bench_function(&format!("{}/create_identity", target.name), |b| {
            b.iter(|| {
                n += 1;
                rt.block_on(create(&dir, &format!("extra{n:08}")));
            })
        });
        c.bench_function(&format!("{}/find_by_username/10k", target.name), |b| {
            b.iter(|| {
                let found = rt.block_on(dir.find_by_username(&SCOPE, black_box("USER05000")));
                black_box(found.expect("found"));
            })
        });

        rt.block_on(seed(&target.url, 0, 90_000));
        rt.block_on(analyze(&target.url));
        c.bench_function(&format!("{}/find_by_username/100k", target.name), |b| {
            b.iter(|| {
                let found = rt.block_on(dir.find_by_username(&SCOPE, black_box("seed00045000")));
                black_box(found.expect("found"));
            })
        });

        if let Some((base, schema)) = &target.pg {
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(base).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                        .execute(&mut c)
                        .await;
                }
            });
        }
    }
    c.final_summary();
}
