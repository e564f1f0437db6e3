//! Batches: one job per identity that can have one (up to 1,000), the others reported with
//! the reason; `EMAIL` jobs are queued for the delivery task. A batch keeps its template
//! and the per-identity outcome; links are returned once, never stored.

use std::collections::BTreeMap;

use super::super::error::about;
use super::super::fields;
use super::super::identities::{BATCH_MAX, ID_MAX};
use super::super::paging::{page_request, Listing};
use super::super::types::{BatchErrorKind, DeliveryMethod, JobState, Resource};
use super::super::{ids, Context, Directory, IdmError};
use super::{binding_link, effective_state, MailerRef, NewBindingJob, NewJob};
use crate::config::Config;
use crate::store::{
    BatchOutcome, BatchResult, BindingBatchRecord, BindingJobFilter, BindingJobRecord, StoreError,
};

/// Jobs for many identities from one template.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub identity_ids: Vec<String>,
    pub job: NewBindingJob,
}

/// A created batch: the record, its jobs, and the `RETURN` links by identity id (shown
/// only now).
#[derive(Debug, Clone)]
pub struct CreatedBatch {
    pub batch: BindingBatchRecord,
    pub jobs: Vec<BindingJobRecord>,
    pub links: BTreeMap<String, String>,
}

/// A batch with its jobs as they are now.
#[derive(Debug, Clone)]
pub struct BatchStatus {
    pub batch: BindingBatchRecord,
    pub jobs: Vec<BindingJobRecord>,
}

/// One page of a batch's jobs, with the counts over all of them.
#[derive(Debug, Clone)]
pub struct BatchResults {
    pub jobs: Listing<BindingJobRecord>,
    /// Jobs that bound a passkey.
    pub success: usize,
    /// Jobs that expired or were revoked.
    pub failure: usize,
    /// Jobs still open.
    pub pending: usize,
}

impl Directory {
    /// `POST …/batch-credential-binding-jobs`.
    pub async fn create_batch_binding_jobs(
        &self,
        at: &Context<'_>,
        config: &Config,
        mailer: MailerRef<'_>,
        new: NewBatch,
    ) -> Result<CreatedBatch, IdmError> {
        fields::id_list("identity_ids", &new.identity_ids, BATCH_MAX, ID_MAX)?;
        let template = self.template(at, config, mailer, new.job).await?;
        let batch_id = ids::new_id()?;
        let mut jobs = Vec::new();
        let mut results = Vec::new();
        let mut links = BTreeMap::new();
        for identity_id in &new.identity_ids {
            let outcome = match self
                .store()
                .get_identity(at.tenant, at.realm, identity_id)
                .await
            {
                Ok(identity) => self.new_job(config, &identity, &template, Some(&batch_id)),
                Err(StoreError::NotFound(_)) => {
                    Err(IdmError::not_found(Resource::Identity, identity_id))
                }
                Err(e) => return Err(e.into()),
            };
            let outcome = match outcome {
                Ok(NewJob { record, token }) => {
                    if template.method == DeliveryMethod::Return {
                        links.insert(
                            identity_id.clone(),
                            binding_link(config, at.realm, &template.config_id, &token),
                        );
                    }
                    let id = record.id.clone();
                    jobs.push(record);
                    BatchOutcome::Job(id)
                }
                Err(e) => BatchOutcome::Error {
                    kind: match e {
                        IdmError::NotFound { .. } => BatchErrorKind::NotFound,
                        _ => BatchErrorKind::Unprocessable,
                    },
                    message: e.to_string(),
                },
            };
            results.push(BatchResult {
                identity_id: identity_id.clone(),
                outcome,
            });
        }
        let batch = BindingBatchRecord {
            id: batch_id.clone(),
            tenant_id: at.tenant.to_string(),
            realm_id: at.realm.to_string(),
            delivery_method: template.method,
            post_binding_redirect_uri: template.redirect.clone(),
            authenticator_config_id: template.config_id.clone(),
            results,
            create_us: self.now_us(),
        };
        let view = super::views::batch(&batch, &jobs, batch.create_us);
        let mut targets: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
        targets.push(batch_id);
        let audit = self.audit(
            at.change("credential_binding_job.batch_create", targets)
                .after(&view),
        )?;
        self.store()
            .create_binding_jobs(&jobs, Some(&batch), &audit)
            .await?;
        crate::metrics::events().link(crate::metrics::LinkEvent::Issued, jobs.len() as u64);
        Ok(CreatedBatch { batch, jobs, links })
    }

    /// The batch and its jobs in their current states.
    pub async fn batch_binding_job(
        &self,
        at: &Context<'_>,
        id: &str,
    ) -> Result<BatchStatus, IdmError> {
        self.store().expire_binding_jobs(self.now_us()).await?;
        let batch = self
            .store()
            .get_binding_batch(at.tenant, at.realm, id)
            .await
            .map_err(about(Resource::BatchCredentialBindingJob, id))?;
        let jobs = self.store().list_batch_jobs(id).await?;
        Ok(BatchStatus { batch, jobs })
    }

    /// `:listResults`: a page of the batch's jobs, and how many succeeded, failed or wait.
    pub async fn batch_results(
        &self,
        at: &Context<'_>,
        id: &str,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<BatchResults, IdmError> {
        let page = page_request(page_size, page_token)?;
        let status = self.batch_binding_job(at, id).await?;
        let now = self.now_us();
        let (mut success, mut failure, mut pending) = (0, 0, 0);
        for j in &status.jobs {
            match effective_state(j, now) {
                JobState::Complete => success += 1,
                JobState::Expired | JobState::Revoked => failure += 1,
                _ => pending += 1,
            }
        }
        let filter = BindingJobFilter {
            batch_id: Some(id.to_string()),
            ..BindingJobFilter::default()
        };
        let jobs = self
            .store()
            .list_binding_jobs(at.tenant, at.realm, &filter, page)
            .await?
            .into();
        Ok(BatchResults {
            jobs,
            success,
            failure,
            pending,
        })
    }
}
