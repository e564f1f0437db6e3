//! The two backends' migrations build the same schema: after migrating a fresh SQLite file
//! and a fresh PostgreSQL schema, both have the same tables, the same columns (name, type
//! family, nullability), the same named indexes (table and columns) and the same unique
//! keys. Skipped, with a note, when PostgreSQL is not configured.

use std::collections::BTreeSet;
use std::time::Duration;

use sqlx::{Connection, Row};

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
        if SKIP.contains(&table.as_str()) || cols == "seq" {
            // SQLite's `seq INTEGER PRIMARY KEY` is the row id itself: no index to compare.
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

    // A drift on one side is seen.
    pg.exec("CREATE INDEX drift ON identities (display_name)")
        .await;
    pg.exec("ALTER TABLE user_groups ADD COLUMN drift TEXT")
        .await;
    let drifted = postgres_schema(&pg.url).await;
    assert_ne!(drifted.indexes, a.indexes);
    assert_ne!(drifted.columns, a.columns);
}
