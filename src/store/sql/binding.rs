//! [`BindingStore`]: credential binding jobs and their batches: insert, look up (by id or
//! token hash), list with filters, atomic state transitions, email delivery bookkeeping,
//! and completion (job, credential and identity in one transaction). Every write that opens
//! or closes a link brings its identity's enrollment status up to date in the same
//! transaction (`enrollment.rs`).

use async_trait::async_trait;
use sqlx::Row;

use super::audit::insert as insert_audit;
use super::enrollment::{self, Whose};
use super::query::{self, bind_all, list, placeholders, Bind, Listing};
use super::rows::{
    batch, credential_insert, job, to_json, StoredResult, BATCH_COLUMNS, JOB_COLUMNS,
};
use super::SqlStore;
use crate::idm::types::{DeliveryMethod, EnrollmentStatus, IdentityStatus, JobState, Resource};
use crate::store::*;

/// `($start, …)` for `states` and their binds.
fn states_in(start: usize, states: &[JobState]) -> (String, Vec<Bind>) {
    let binds = states
        .iter()
        .map(|s| Bind::Text(s.as_str().to_string()))
        .collect();
    (placeholders(start, states.len()), binds)
}

impl SqlStore {
    async fn job_where(
        &self,
        condition: &str,
        binds: &[&str],
    ) -> Result<BindingJobRecord, StoreError> {
        let select = (JOB_COLUMNS, "binding_jobs j");
        let missing = Resource::CredentialBindingJob;
        query::one(&self.pool, select, condition, binds, missing, job).await
    }
}

#[async_trait]
impl BindingStore for SqlStore {
    async fn create_binding_jobs(
        &self,
        jobs: &[BindingJobRecord],
        b: Option<&BindingBatchRecord>,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        if let Some(b) = b {
            let results: Vec<StoredResult> =
                b.results.iter().map(StoredResult::from_result).collect();
            sqlx::query(
                "INSERT INTO binding_batches (id, tenant_id, realm_id, delivery_method, \
                 post_binding_redirect_uri, authenticator_config_id, results, create_us) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&b.id)
            .bind(&b.tenant_id)
            .bind(&b.realm_id)
            .bind(b.delivery_method.as_str())
            .bind(&b.post_binding_redirect_uri)
            .bind(&b.authenticator_config_id)
            .bind(to_json(&results))
            .bind(b.create_us)
            .execute(&mut *tx)
            .await?;
        }
        for j in jobs {
            sqlx::query(
                "INSERT INTO binding_jobs (id, tenant_id, realm_id, identity_id, \
                 delivery_method, state, post_binding_redirect_uri, authenticator_config_id, \
                 token_hash, expire_us, credential_id, batch_id, failure_reason, send_attempts, \
                 next_send_us, create_us, update_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                 $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            )
            .bind(&j.id)
            .bind(&j.tenant_id)
            .bind(&j.realm_id)
            .bind(&j.identity_id)
            .bind(j.delivery_method.as_str())
            .bind(j.state.as_str())
            .bind(&j.post_binding_redirect_uri)
            .bind(&j.authenticator_config_id)
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
        match b {
            Some(b) => enrollment::refresh(&mut tx, Whose::Batch(&b.id), b.create_us).await?,
            None => {
                for j in jobs {
                    enrollment::refresh(&mut tx, Whose::Job(&j.id), j.create_us).await?;
                }
            }
        }
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_binding_job(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<BindingJobRecord, StoreError> {
        let condition = "j.tenant_id = $1 AND j.realm_id = $2 AND j.id = $3";
        self.job_where(condition, &[tenant, realm, id]).await
    }

    async fn find_binding_job_by_token(&self, hash: &str) -> Result<BindingJobRecord, StoreError> {
        self.job_where("j.token_hash = $1", &[hash]).await
    }

    async fn list_binding_jobs(
        &self,
        tenant: &str,
        realm: &str,
        f: &BindingJobFilter,
        page: PageRequest,
    ) -> Result<Page<BindingJobRecord>, StoreError> {
        let mut condition = "j.tenant_id = $1 AND j.realm_id = $2".to_string();
        let mut binds = vec![Bind::Text(tenant.into()), Bind::Text(realm.into())];
        for (column, value) in [
            ("j.identity_id", f.identity_id.clone()),
            ("j.batch_id", f.batch_id.clone()),
            ("j.state", f.state.map(|s| s.as_str().to_string())),
            (
                "j.delivery_method",
                f.delivery_method.map(|m| m.as_str().to_string()),
            ),
        ] {
            if let Some(v) = value {
                binds.push(Bind::Text(v));
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
        list(&self.pool, listing, page, job).await
    }

    async fn list_batch_jobs(&self, batch_id: &str) -> Result<Vec<BindingJobRecord>, StoreError> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM binding_jobs j WHERE j.batch_id = $1 ORDER BY j.seq"
        );
        let rows = sqlx::query(&sql)
            .bind(batch_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(job).collect::<Result<_, _>>()?)
    }

    async fn get_binding_batch(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<BindingBatchRecord, StoreError> {
        let select = (BATCH_COLUMNS, "binding_batches b");
        let condition = "b.tenant_id = $1 AND b.realm_id = $2 AND b.id = $3";
        let missing = Resource::BatchCredentialBindingJob;
        query::one(
            &self.pool,
            select,
            condition,
            &[tenant, realm, id],
            missing,
            batch,
        )
        .await
    }

    async fn expire_binding_jobs(&self, now_us: i64) -> Result<(), StoreError> {
        let (open, mut binds) = states_in(3, JobState::OPEN);
        let sql = format!(
            "UPDATE binding_jobs SET state = $1, update_us = $2, next_send_us = NULL \
             WHERE state IN ({open}) AND expire_us <= $2"
        );
        binds.insert(0, Bind::Int(now_us));
        binds.insert(0, Bind::Text(JobState::Expired.as_str().into()));
        let mut tx = super::begin(&self.pool).await?;
        let expired = bind_all(sqlx::query(&sql), &binds)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if expired > 0 {
            enrollment::refresh(&mut tx, Whose::ExpiredAt, now_us).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn transition_binding_job(
        &self,
        id: &str,
        from: &[JobState],
        to: JobState,
        now_us: i64,
        a: Option<&AuditRecord>,
    ) -> Result<bool, StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        let (states, state_binds) = states_in(4, from);
        let sql = format!(
            "UPDATE binding_jobs SET state = $1, update_us = $2, next_send_us = NULL \
             WHERE id = $3 AND expire_us > $2 AND state IN ({states})"
        );
        let mut binds = vec![
            Bind::Text(to.as_str().into()),
            Bind::Int(now_us),
            Bind::Text(id.into()),
        ];
        binds.extend(state_binds);
        let moved = bind_all(sqlx::query(&sql), &binds)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if moved {
            enrollment::refresh(&mut tx, Whose::Job(id), now_us).await?;
            if let Some(a) = a {
                insert_audit(&mut tx, a).await?;
            }
        }
        tx.commit().await?;
        Ok(moved)
    }

    async fn set_binding_token(
        &self,
        id: &str,
        token_hash: &str,
        now_us: i64,
    ) -> Result<bool, StoreError> {
        let (sendable, state_binds) = states_in(4, JobState::SENDABLE);
        let sql = format!(
            "UPDATE binding_jobs SET token_hash = $1, update_us = $2 \
             WHERE id = $3 AND state IN ({sendable})"
        );
        let q = sqlx::query(&sql).bind(token_hash).bind(now_us).bind(id);
        let done = bind_all(q, &state_binds).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_delivery(
        &self,
        j: &BindingJobRecord,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = super::begin(&self.pool).await?;
        let (sendable, state_binds) = states_in(8, JobState::SENDABLE);
        let sql = format!(
            "UPDATE binding_jobs SET state = $1, failure_reason = $2, send_attempts = $3, \
             next_send_us = $4, update_us = $5, token_hash = $7 \
             WHERE id = $6 AND state IN ({sendable})"
        );
        let q = sqlx::query(&sql)
            .bind(j.state.as_str())
            .bind(&j.failure_reason)
            .bind(j.send_attempts)
            .bind(j.next_send_us)
            .bind(j.update_us)
            .bind(&j.id)
            .bind(&j.token_hash);
        let done = bind_all(q, &state_binds).execute(&mut *tx).await?;
        if done.rows_affected() == 1 {
            enrollment::refresh(&mut tx, Whose::Job(&j.id), j.update_us).await?;
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn due_deliveries(
        &self,
        now_us: i64,
        limit: u32,
    ) -> Result<Vec<BindingJobRecord>, StoreError> {
        let (sendable, state_binds) = states_in(4, JobState::SENDABLE);
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM binding_jobs j WHERE j.delivery_method = $3 \
             AND j.state IN ({sendable}) AND j.next_send_us IS NOT NULL \
             AND j.next_send_us <= $1 AND j.expire_us > $1 ORDER BY j.next_send_us LIMIT $2"
        );
        let q = sqlx::query(&sql)
            .bind(now_us)
            .bind(i64::from(limit))
            .bind(DeliveryMethod::Email.as_str());
        let rows = bind_all(q, &state_binds).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(job).collect::<Result<_, _>>()?)
    }

    async fn complete_binding(
        &self,
        c: &BindingCompletion,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        let cred = &c.credential;
        let mut tx = super::begin(&self.pool).await?;
        // The job's update comes first: it takes the write lock (SQLite) or the row lock
        // (PostgreSQL), so of two racing completions the second sees the job already done.
        let (usable, state_binds) = states_in(5, JobState::USABLE);
        let sql = format!(
            "UPDATE binding_jobs SET state = $4, credential_id = $1, update_us = $2, \
             next_send_us = NULL WHERE id = $3 AND expire_us > $2 AND state IN ({usable})"
        );
        let q = sqlx::query(&sql)
            .bind(&cred.id)
            .bind(c.now_us)
            .bind(&c.job_id)
            .bind(JobState::Complete.as_str());
        let moved = bind_all(q, &state_binds)
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
            return Err(StoreError::Duplicate(Duplicate::CredentialId));
        }
        let enrolled = sqlx::query(
            "UPDATE identities SET enrollment_status = $3, version = version + 1, update_us = $1 \
             WHERE id = $2 AND status = $4",
        )
        .bind(c.now_us)
        .bind(&cred.identity_id)
        .bind(EnrollmentStatus::Enrolled.as_str())
        .bind(IdentityStatus::Active.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if enrolled != 1 {
            return Err(StoreError::Gone("credential binding link"));
        }
        credential_insert(cred)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::duplicate(Duplicate::CredentialId))?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }
}
