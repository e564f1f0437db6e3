//! Credential binding jobs and their batches: insert, look up (by id or token hash), list
//! with filters, atomic state transitions, email delivery bookkeeping, and completion
//! (job, credential and identity in one transaction).

use sqlx::{AnyPool, Row};

use super::audit;
use super::query::{self, list, placeholders, Bind, Listing};
use super::rows::{batch, credential_insert, job, BATCH_COLUMNS, JOB_COLUMNS};
use crate::store::*;

/// States in which a job's link can still be used.
const OPEN: &str = "'LINK_SENT', 'LINK_OPENED', 'FAILED_TO_SEND'";

pub(super) async fn create(
    pool: &AnyPool,
    jobs: &[BindingJobRecord],
    b: Option<&BindingBatchRecord>,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    if let Some(b) = b {
        sqlx::query(
            "INSERT INTO binding_batches (id, tenant_id, realm_id, delivery_method, results, \
             create_us) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&b.id)
        .bind(&b.tenant_id)
        .bind(&b.realm_id)
        .bind(&b.delivery_method)
        .bind(&b.results)
        .bind(b.create_us)
        .execute(&mut *tx)
        .await?;
    }
    for j in jobs {
        sqlx::query(
            "INSERT INTO binding_jobs (id, tenant_id, realm_id, identity_id, delivery_method, \
             state, post_binding_redirect_uri, token_hash, expire_us, credential_id, batch_id, \
             failure_reason, send_attempts, next_send_us, create_us, update_us) VALUES ($1, $2, \
             $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&j.id)
        .bind(&j.tenant_id)
        .bind(&j.realm_id)
        .bind(&j.identity_id)
        .bind(&j.delivery_method)
        .bind(&j.state)
        .bind(&j.post_binding_redirect_uri)
        .bind(&j.token_hash)
        .bind(j.expire_us)
        .bind(&j.credential_id)
        .bind(&j.batch_id)
        .bind(&j.failure_reason)
        .bind(j.send_attempts)
        .bind(j.next_send_us)
        .bind(j.create_us)
        .bind(j.update_us)
        .execute(&mut *tx)
        .await?;
    }
    audit::insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(())
}

async fn one(
    pool: &AnyPool,
    condition: &str,
    binds: &[&str],
) -> Result<BindingJobRecord, StoreError> {
    let select = (JOB_COLUMNS, "binding_jobs j");
    query::one(
        pool,
        select,
        condition,
        binds,
        "credential binding job",
        job,
    )
    .await
}

pub(super) async fn get(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    id: &str,
) -> Result<BindingJobRecord, StoreError> {
    one(
        pool,
        "j.tenant_id = $1 AND j.realm_id = $2 AND j.id = $3",
        &[tenant, realm, id],
    )
    .await
}

pub(super) async fn by_token(pool: &AnyPool, hash: &str) -> Result<BindingJobRecord, StoreError> {
    one(pool, "j.token_hash = $1", &[hash]).await
}

pub(super) async fn list_jobs(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    f: &BindingJobFilter,
    page: PageRequest,
) -> Result<Page<BindingJobRecord>, StoreError> {
    let mut condition = "j.tenant_id = $1 AND j.realm_id = $2".to_string();
    let mut binds = vec![Bind::Text(tenant.into()), Bind::Text(realm.into())];
    for (column, value) in [
        ("j.identity_id", &f.identity_id),
        ("j.state", &f.state),
        ("j.delivery_method", &f.delivery_method),
    ] {
        if let Some(v) = value {
            binds.push(Bind::Text(v.clone()));
            condition.push_str(&format!(" AND {column} = ${}", binds.len()));
        }
    }
    let listing = Listing {
        from: "binding_jobs j",
        columns: JOB_COLUMNS,
        seq: "j.seq",
        condition,
        binds,
    };
    list(pool, listing, page, job).await
}

pub(super) async fn batch_jobs(
    pool: &AnyPool,
    batch_id: &str,
) -> Result<Vec<BindingJobRecord>, StoreError> {
    let sql =
        format!("SELECT {JOB_COLUMNS} FROM binding_jobs j WHERE j.batch_id = $1 ORDER BY j.seq");
    let rows = sqlx::query(&sql).bind(batch_id).fetch_all(pool).await?;
    Ok(rows.iter().map(job).collect::<Result<_, _>>()?)
}

pub(super) async fn get_batch(
    pool: &AnyPool,
    tenant: &str,
    realm: &str,
    id: &str,
) -> Result<BindingBatchRecord, StoreError> {
    let select = (BATCH_COLUMNS, "binding_batches b");
    let condition = "b.tenant_id = $1 AND b.realm_id = $2 AND b.id = $3";
    let missing = "batch credential binding job";
    query::one(
        pool,
        select,
        condition,
        &[tenant, realm, id],
        missing,
        batch,
    )
    .await
}

pub(super) async fn expire(pool: &AnyPool, now_us: i64) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "UPDATE binding_jobs SET state = 'EXPIRED', update_us = $1, next_send_us = NULL \
         WHERE state IN ({OPEN}) AND expire_us <= $1"
    ))
    .bind(now_us)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn transition(
    pool: &AnyPool,
    id: &str,
    from: &[&str],
    to: &str,
    now_us: i64,
    a: Option<&AuditRecord>,
) -> Result<bool, StoreError> {
    let mut tx = super::begin(pool).await?;
    let sql = format!(
        "UPDATE binding_jobs SET state = $1, update_us = $2, next_send_us = NULL \
         WHERE id = $3 AND expire_us > $2 AND state IN ({})",
        placeholders(4, from.len())
    );
    let mut q = sqlx::query(&sql).bind(to).bind(now_us).bind(id);
    for f in from {
        q = q.bind(*f);
    }
    let moved = q.execute(&mut *tx).await?.rows_affected() == 1;
    if moved {
        if let Some(a) = a {
            audit::insert(&mut tx, a).await?;
        }
    }
    tx.commit().await?;
    Ok(moved)
}

pub(super) async fn record_delivery(
    pool: &AnyPool,
    j: &BindingJobRecord,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    let done = sqlx::query(&format!(
        "UPDATE binding_jobs SET state = $1, failure_reason = $2, send_attempts = $3, \
         next_send_us = $4, update_us = $5, token_hash = $7 WHERE id = $6 AND state IN ({OPEN})"
    ))
    .bind(&j.state)
    .bind(&j.failure_reason)
    .bind(j.send_attempts)
    .bind(j.next_send_us)
    .bind(j.update_us)
    .bind(&j.id)
    .bind(&j.token_hash)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        audit::insert(&mut tx, a).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn due(
    pool: &AnyPool,
    now_us: i64,
    limit: u32,
) -> Result<Vec<BindingJobRecord>, StoreError> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM binding_jobs j WHERE j.state IN ('FAILED_TO_SEND', 'LINK_SENT') \
         AND j.next_send_us IS NOT NULL AND j.next_send_us <= $1 AND j.expire_us > $1 \
         ORDER BY j.next_send_us LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(now_us)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(job).collect::<Result<_, _>>()?)
}

pub(super) async fn complete(
    pool: &AnyPool,
    c: &BindingCompletion,
    a: &AuditRecord,
) -> Result<(), StoreError> {
    let cred = &c.credential;
    let mut tx = super::begin(pool).await?;
    // The job's update comes first: it takes the write lock (SQLite) or the row lock
    // (PostgreSQL), so of two racing completions the second sees the job already done.
    let moved = sqlx::query(
        "UPDATE binding_jobs SET state = 'COMPLETE', credential_id = $1, update_us = $2, \
         next_send_us = NULL WHERE id = $3 AND expire_us > $2 \
         AND state IN ('LINK_SENT', 'LINK_OPENED')",
    )
    .bind(&cred.id)
    .bind(c.now_us)
    .bind(&c.job_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(StoreError::Gone("credential binding link"));
    }
    let taken: i64 = sqlx::query("SELECT COUNT(*) FROM credentials WHERE credential_id = $1")
        .bind(&cred.credential_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if taken > 0 {
        return Err(StoreError::Conflict(
            "this passkey is already registered".into(),
        ));
    }
    let enrolled = sqlx::query(
        "UPDATE identities SET enrollment_status = 'ENROLLED', update_us = $1 \
         WHERE id = $2 AND status = 'active'",
    )
    .bind(c.now_us)
    .bind(&cred.identity_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if enrolled != 1 {
        return Err(StoreError::Gone("credential binding link"));
    }
    credential_insert(cred).execute(&mut *tx).await?;
    audit::insert(&mut tx, a).await?;
    tx.commit().await?;
    Ok(())
}
