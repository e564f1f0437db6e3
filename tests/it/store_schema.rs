//! The two backends' migrations build the same schema: after migrating a fresh SQLite file
//! and a fresh PostgreSQL schema, both have the same tables, the same columns (name, type
//! family, nullability), the same named indexes (table and columns) and the same unique
//! keys, apart from PostgreSQL's trigram indexes for substring filters (`*_trgm`, made when
//! pg_trgm is available; SQLite has no such index). Without pg_trgm the migration leaves them
//! out and substring filters still answer. Skipped, with a note, when PostgreSQL is not
//! configured.

use std::collections::BTreeSet;
use std::time::Duration;

use sqlx::{Connection, Row};

use passgate::store::search::{Condition, Search, SearchField, SearchOp, SearchValue};
use passgate::store::{self, StoreOptions};

use crate::support::db::TestDb;

/// `(table, column, type family, nullable)`.
type Column = (String, String, String, bool);
/// `(name or "", table, columns, unique)`: named indexes keep their name; unique keys
/// behind a constraint are compared by table and columns only.
type Index = (String, String, String, bool);

#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    tables: BTreeSet<String>,
    columns: BTreeSet<Column>,
    indexes: BTreeSet<Index>,
}

fn family(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int8" => "integer".into(),
        "text" => "text".into(),
        other => other.into(),
    }
}

const SKIP: &[&str] = &["_sqlx_migrations", "sqlite_sequence"];
/// The suffix of PostgreSQL's trigram indexes (migration 0005).
const TRIGRAM: &str = "_trgm";

async fn sqlite_schema(url: &str) -> Schema {
    let mut c = sqlx::AnyConnection::connect(url).await.unwrap();
    let mut s = Schema::default();
    let tables: Vec<String> = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(&mut c)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .filter(|t| !SKIP.contains(&t.as_str()))
        .collect();
    for t in &tables {
        s.tables.insert(t.clone());
        let cols = sqlx::query(&format!(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{t}')"
        ))
        .fetch_all(&mut c)
        .await
        .unwrap();
        for r in cols {
            let not_null = r.get::<i64, _>(2) != 0 || r.get::<i64, _>(3) != 0;
            s.columns.insert((
                t.clone(),
                r.get(0),
                family(&r.get::<String, _>(1)),
                !not_null,
            ));
        }
        let indexes = sqlx::query(&format!(
            "SELECT name, \"unique\", origin FROM pragma_index_list('{t}')"
        ))
        .fetch_all(&mut c)
        .await
        .unwrap();
        for r in indexes {
            let name: String = r.get(0);
            let origin: String = r.get(2);
            let cols: Vec<String> = sqlx::query(&format!(
                "SELECT name FROM pragma_index_info('{name}') ORDER BY seqno"
            ))
            .fetch_all(&mut c)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect();
            let named = if origin == "c" { name } else { String::new() };
            s.indexes
                .insert((named, t.clone(), cols.join(","), r.get::<i64, _>(1) != 0));
        }
    }
    s
}

async fn postgres_schema(url: &str) -> Schema {
    let mut c = sqlx::AnyConnection::connect(url).await.unwrap();
    let mut s = Schema::default();
    let cols = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in cols {
        let table: String = r.get(0);
        if SKIP.contains(&table.as_str()) {
            continue;
        }
        s.tables.insert(table.clone());
        let nullable = r.get::<String, _>(3) == "YES";
        s.columns
            .insert((table, r.get(1), family(&r.get::<String, _>(2)), nullable));
    }
    let indexes = sqlx::query(
        "SELECT i.relname::text, t.relname::text, \
           (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
              FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum), \
           CASE WHEN ix.indisunique THEN 1 ELSE 0 END, \
           CASE WHEN EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) \
                THEN 1 ELSE 0 END \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema()",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in indexes {
        let (name, table, cols): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        if SKIP.contains(&table.as_str()) || cols == "seq" || name.ends_with(TRIGRAM) {
            // SQLite's `seq INTEGER PRIMARY KEY` is the row id itself: no index to compare;
            // trigram indexes exist on PostgreSQL only (checked apart).
            continue;
        }
        let backs_constraint = r.get::<i32, _>(4) != 0;
        let named = if backs_constraint {
            String::new()
        } else {
            name
        };
        s.indexes
            .insert((named, table, cols, r.get::<i32, _>(3) != 0));
    }
    s
}

async fn migrated(db: &TestDb) {
    let options = StoreOptions {
        url: db.url.clone(),
        max_connections: 2,
        connect_timeout: Duration::from_secs(10),
        timeout: Duration::from_secs(5),
    };
    store::open(&options).await.expect("migrate");
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_are_the_same() {
    let Some(pg) = TestDb::postgres().await else {
        eprintln!("schema comparison skipped: PostgreSQL is not configured");
        return;
    };
    let lite = TestDb::sqlite();
    migrated(&lite).await;
    migrated(&pg).await;
    let a = sqlite_schema(&lite.url).await;
    let b = postgres_schema(&pg.url).await;
    assert!(
        a.tables.contains("identities") && a.tables.len() > 10,
        "{a:?}"
    );
    assert!(
        a.columns.contains(&(
            "identities".into(),
            "version".into(),
            "integer".into(),
            false
        )),
        "the version column is missing"
    );
    let named = (
        "identities_by_realm".to_string(),
        "identities".to_string(),
        "tenant_id,realm_id,seq".to_string(),
        false,
    );
    assert!(a.indexes.contains(&named), "{:?}", a.indexes);
    let unique_username = (
        String::new(),
        "identities".to_string(),
        "tenant_id,realm_id,username_key".to_string(),
        true,
    );
    assert!(a.indexes.contains(&unique_username), "{:?}", a.indexes);
    assert_eq!(a.tables, b.tables, "tables differ");
    let only = |x: &BTreeSet<Column>, y: &BTreeSet<Column>| -> Vec<Column> {
        x.difference(y).cloned().collect()
    };
    assert!(
        a.columns == b.columns,
        "columns differ: SQLite only {:?}, PostgreSQL only {:?}",
        only(&a.columns, &b.columns),
        only(&b.columns, &a.columns)
    );
    let only_i = |x: &BTreeSet<Index>, y: &BTreeSet<Index>| -> Vec<Index> {
        x.difference(y).cloned().collect()
    };
    assert!(
        a.indexes == b.indexes,
        "indexes differ: SQLite only {:?}, PostgreSQL only {:?}",
        only_i(&a.indexes, &b.indexes),
        only_i(&b.indexes, &a.indexes)
    );

    // With pg_trgm in the database, the substring filters' trigram indexes are there.
    let trgm = pg
        .count("SELECT COUNT(*) FROM pg_extension WHERE extname = 'pg_trgm'")
        .await;
    let trigram_indexes = pg
        .count(
            "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename = 'identities' AND indexname IN \
             ('identities_username_trgm', 'identities_email_trgm') AND indexdef LIKE '%gin%'",
        )
        .await;
    if trgm == 1 {
        assert_eq!(trigram_indexes, 2, "pg_trgm is installed but not used");
    } else {
        eprintln!("pg_trgm is not installed: no trigram indexes to check");
        assert_eq!(trigram_indexes, 0);
    }

    // A drift on one side is seen.
    pg.exec("CREATE INDEX drift ON identities (display_name)")
        .await;
    pg.exec("ALTER TABLE user_groups ADD COLUMN drift TEXT")
        .await;
    let drifted = postgres_schema(&pg.url).await;
    assert_ne!(drifted.indexes, a.indexes);
    assert_ne!(drifted.columns, a.columns);
}

/// Drops the database and role made for [`without_pg_trgm_the_migration_leaves_the_trigram_indexes_out`].
struct Scratch {
    server: String,
    name: String,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&server).await {
                    for sql in [
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        format!("DROP ROLE IF EXISTS {name}"),
                    ] {
                        let _ = tokio::time::timeout(
                            Duration::from_secs(10),
                            sqlx::query(&sql).execute(&mut c),
                        )
                        .await;
                    }
                }
            });
        })
        .join();
    }
}

/// pg_trgm cannot be had (a fresh database where it is not installed, and a role without
/// the CREATE privilege on the database that creating it takes): the migrations still
/// succeed, without the trigram indexes, and a substring search answers (by reading the
/// rows).
#[tokio::test]
async fn without_pg_trgm_the_migration_leaves_the_trigram_indexes_out() {
    let Ok(server) = std::env::var(crate::support::db::PG_ENV) else {
        eprintln!("pg_trgm fallback test skipped: PostgreSQL is not configured");
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("passgate_notrgm_{:x}_{:x}", nanos, std::process::id());
    let _scratch = Scratch {
        server: server.clone(),
        name: name.clone(),
    };
    let mut c = sqlx::PgConnection::connect(&server).await.unwrap();
    for sql in [
        format!("CREATE ROLE {name} LOGIN"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(&sql).execute(&mut c).await.unwrap();
    }
    let mut owner_url = url::Url::parse(&server).unwrap();
    owner_url.set_path(&name);
    let mut c = sqlx::PgConnection::connect(owner_url.as_str())
        .await
        .unwrap();
    // The role may create tables in `public`, not extensions in the database.
    sqlx::query(&format!("GRANT USAGE, CREATE ON SCHEMA public TO {name}"))
        .execute(&mut c)
        .await
        .unwrap();
    let mut role_url = owner_url.clone();
    role_url.set_username(&name).unwrap();
    let db = role_url.to_string();

    let store = store::open(&StoreOptions {
        url: db.clone(),
        max_connections: 2,
        connect_timeout: Duration::from_secs(10),
        timeout: Duration::from_secs(10),
    })
    .await
    .expect("the migrations succeed without pg_trgm");
    let one = |sql: &'static str| {
        let db = db.clone();
        async move {
            let mut c = sqlx::AnyConnection::connect(&db).await.unwrap();
            sqlx::query(sql)
                .fetch_one(&mut c)
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    assert_eq!(
        one("SELECT COUNT(*) FROM pg_extension WHERE extname = 'pg_trgm'").await,
        0
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM pg_indexes WHERE indexname LIKE '%\\_trgm'").await,
        0
    );
    assert_eq!(
        one("SELECT MAX(version) FROM _sqlx_migrations WHERE success").await,
        7
    );
    let mut c = sqlx::AnyConnection::connect(&db).await.unwrap();
    for sql in [
        "INSERT INTO realms (tenant_id, id, display_name, rp_id, rp_name, from_config, \
         create_us, update_us) VALUES ('t', 'r', 'R', 'localhost', 'R', 0, 0, 0)",
        "INSERT INTO identities (id, tenant_id, realm_id, display_name, status, \
         enrollment_status, username, username_key, primary_email_address, email_key, \
         extra_traits, version, create_us, update_us) VALUES ('i1', 't', 'r', 'Ann', \
         'active', 'UNENROLLED', 'Ann', 'ann', 'Ann@Example.com', 'ann@example.com', '{}', \
         1, 0, 0)",
    ] {
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
    let search = |needle: &str| Search {
        condition: Condition::Compare {
            field: SearchField::Email,
            op: SearchOp::Contains,
            value: SearchValue::Text(needle.into()),
            fold: true,
        },
        sort: None,
        offset: 0,
        limit: 10,
    };
    let found = store
        .search_identities("t", "r", &search("@example"))
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].id, "i1");
    let found = store
        .search_identities("t", "r", &search("nobody"))
        .await
        .unwrap();
    assert_eq!((found.total, found.items.len()), (0, 0));
    drop(store);
}
