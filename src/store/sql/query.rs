//! Shared query plumbing: owned bind values, `$n` placeholder lists, keyset-paged listings.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool, Row};

use crate::idm::types::Resource;
use crate::store::{Page, PageRequest, StoreError};

/// A value bound into a dynamically built query.
#[derive(Debug, Clone)]
pub(super) enum Bind {
    Text(String),
    Int(i64),
}

pub(super) fn bind_all<'q>(
    mut q: Query<'q, Any, AnyArguments<'q>>,
    binds: &'q [Bind],
) -> Query<'q, Any, AnyArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s.as_str()),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}

/// Whether `table` (a fixed name, never input) has the row `tenant_id`, `id`.
pub(super) async fn exists(
    conn: &mut AnyConnection,
    table: &str,
    tenant: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1 AND id = $2");
    let n: i64 = sqlx::query(&sql)
        .bind(tenant)
        .bind(id)
        .fetch_one(conn)
        .await?
        .try_get(0)?;
    Ok(n > 0)
}

/// `$start, $start+1, …` for `n` values.
pub(super) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One paged listing: `SELECT columns FROM from WHERE condition ORDER BY seq`.
pub(super) struct Listing<'a> {
    pub from: &'a str,
    pub columns: &'a str,
    /// The ordering column, e.g. `i.seq`.
    pub seq: &'a str,
    /// Conditions using `$1…$n` for `binds`.
    pub condition: String,
    pub binds: Vec<Bind>,
}

pub(super) async fn list<T>(
    pool: &AnyPool,
    listing: Listing<'_>,
    page: PageRequest,
    decode: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> Result<Page<T>, StoreError> {
    let Listing {
        from,
        columns,
        seq,
        condition,
        mut binds,
    } = listing;
    let count_sql = format!("SELECT COUNT(*) FROM {from} WHERE {condition}");
    let total: i64 = bind_all(sqlx::query(&count_sql), &binds)
        .fetch_one(pool)
        .await?
        .try_get(0)?;

    let n = binds.len();
    binds.push(Bind::Int(page.after.unwrap_or(0)));
    binds.push(Bind::Int(i64::from(page.size) + 1));
    let sql = format!(
        "SELECT {seq} AS page_seq, {columns} FROM {from} WHERE {condition} AND {seq} > ${} \
         ORDER BY {seq} LIMIT ${}",
        n + 1,
        n + 2
    );
    let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(pool).await?;
    let mut items = Vec::with_capacity(rows.len());
    let mut next = None;
    for (i, row) in rows.iter().enumerate() {
        if i == page.size as usize {
            break;
        }
        items.push(decode(row)?);
        next = Some(row.try_get::<i64, _>("page_seq")?);
    }
    let next = if rows.len() > page.size as usize {
        next
    } else {
        None
    };
    Ok(Page { items, total, next })
}

/// The one row of `SELECT columns FROM from WHERE condition` (`$1…` bound to `binds`), or
/// `NotFound(missing)`.
pub(super) async fn one<T>(
    pool: &AnyPool,
    select: (&str, &str),
    condition: &str,
    binds: &[&str],
    missing: Resource,
    decode: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> Result<T, StoreError> {
    let (columns, from) = select;
    let sql = format!("SELECT {columns} FROM {from} WHERE {condition}");
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(*b);
    }
    let row = q
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound(missing))?;
    Ok(decode(&row)?)
}
