//! One identity's jobs: create (`RETURN` hands back the link, `EMAIL` mails it now), list
//! per identity or realm-wide with `state` and `delivery_method` filters, get, `:revoke`.

use super::super::error::about;
use super::super::paging::{page_request, Listing};
use super::super::types::{DeliveryMethod, JobState, Resource};
use super::super::{Context, Directory, IdmError, ResourceRef};
use super::views::job as job_view;
use super::{binding_link, effective_state, with_state, MailerRef, NewJob};
use crate::config::Config;
use crate::store::{BindingJobFilter, BindingJobRecord};

/// A job to create for an identity.
#[derive(Debug, Clone)]
pub struct NewBindingJob {
    pub delivery_method: DeliveryMethod,
    /// Where the binding page sends the user afterwards (a fronted host or one of the
    /// realm's `allowed_redirects`).
    pub post_binding_redirect_uri: Option<String>,
    /// The realm's authenticator configuration (default: its hosted web one).
    pub authenticator_config_id: Option<String>,
}

impl NewBindingJob {
    /// A job of `method` with the realm's defaults.
    pub fn new(method: DeliveryMethod) -> NewBindingJob {
        NewBindingJob {
            delivery_method: method,
            post_binding_redirect_uri: None,
            authenticator_config_id: None,
        }
    }
}

/// A created job, and its link when it is handed back (`RETURN`; shown only now).
#[derive(Debug, Clone)]
pub struct CreatedJob {
    pub job: BindingJobRecord,
    pub link: Option<String>,
}

impl Directory {
    /// Creates a job for `identity_id`; `EMAIL` is mailed before this returns (a failure
    /// leaves the job `FailedToSend`, retried in the background).
    pub async fn create_binding_job(
        &self,
        at: &Context<'_>,
        config: &Config,
        mailer: MailerRef<'_>,
        identity_id: &str,
        job: NewBindingJob,
    ) -> Result<CreatedJob, IdmError> {
        let template = self.template(at, config, mailer, job).await?;
        let identity = self.identity(at, identity_id).await?;
        let NewJob { record, token } = self.new_job(config, &identity, &template, None)?;
        let audit = self.audit(
            at.change(
                "credential_binding_job.create",
                vec![record.id.clone(), identity.id.clone()],
            )
            .after(&job_view(&record, record.create_us)),
        )?;
        self.store()
            .create_binding_jobs(std::slice::from_ref(&record), None, &audit)
            .await?;
        crate::metrics::events().link(crate::metrics::LinkEvent::Issued, 1);
        if record.delivery_method == DeliveryMethod::Return {
            return Ok(CreatedJob {
                link: Some(binding_link(
                    config,
                    at.realm,
                    &record.authenticator_config_id,
                    &token,
                )),
                job: record,
            });
        }
        let realm = self.realm_record(at.tenant, at.realm).await?;
        let record = self
            .deliver(config, mailer, &realm, &identity, record, token, at.actor)
            .await?;
        Ok(CreatedJob {
            job: record,
            link: None,
        })
    }

    /// The realm's jobs (`identity`: `None` for every identity), filtered.
    pub async fn list_binding_jobs(
        &self,
        at: &Context<'_>,
        identity: Option<&str>,
        state: Option<JobState>,
        delivery_method: Option<DeliveryMethod>,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Listing<BindingJobRecord>, IdmError> {
        let page = page_request(page_size, page_token)?;
        match identity {
            Some(id) => {
                self.identity(at, id).await?;
            }
            None => {
                self.realm_record(at.tenant, at.realm).await?;
            }
        }
        self.store().expire_binding_jobs(self.now_us()).await?;
        let filter = BindingJobFilter {
            identity_id: identity.map(str::to_string),
            batch_id: None,
            state,
            delivery_method,
        };
        Ok(self
            .store()
            .list_binding_jobs(at.tenant, at.realm, &filter, page)
            .await?
            .into())
    }

    /// Job `id` (of `identity` when given; `None` for any identity of the realm).
    pub async fn binding_job(
        &self,
        at: &Context<'_>,
        identity: Option<&str>,
        id: &str,
    ) -> Result<BindingJobRecord, IdmError> {
        let job = self
            .store()
            .get_binding_job(at.tenant, at.realm, id)
            .await
            .map_err(about(Resource::CredentialBindingJob, id))?;
        if identity.is_some_and(|i| i != job.identity_id) {
            return Err(IdmError::not_found(Resource::CredentialBindingJob, id));
        }
        Ok(job)
    }

    /// `:revoke`: the link stops working. A job that is no longer open is a `Conflict`.
    pub async fn revoke_binding_job(
        &self,
        at: &Context<'_>,
        identity: Option<&str>,
        id: &str,
    ) -> Result<BindingJobRecord, IdmError> {
        let before = self.binding_job(at, identity, id).await?;
        let now = self.now_us();
        let after = with_state(&before, JobState::Revoked, now);
        let audit = self.audit(
            at.change("credential_binding_job.revoke", vec![id.to_string()])
                .before(&job_view(&before, now))
                .after(&job_view(&after, now)),
        )?;
        let moved = self
            .store()
            .transition_binding_job(id, JobState::OPEN, JobState::Revoked, now, Some(&audit))
            .await?;
        if !moved {
            return Err(IdmError::Conflict {
                message: format!(
                    "the job is {} and can no longer be revoked",
                    effective_state(&before, now)
                ),
                resource: Some(ResourceRef::new(Resource::CredentialBindingJob, id)),
            });
        }
        Ok(after)
    }
}
