//! Binding jobs and batches as the admin API shows them: Beyond Identity's
//! `CredentialBindingJob` and `BatchCredentialBindingJob`, plus passgate's extras
//! (`failure_reason`, `batch_id`; a batch's `delivery_method`, `job_states`, `results`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::clock::rfc3339;
use super::super::types::{BatchErrorKind, BatchState, DeliveryMethod, JobState};
use super::effective_state;
use crate::store::{BatchOutcome, BindingBatchRecord, BindingJobRecord};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobView<'a> {
    pub id: &'a str,
    pub identity_id: &'a str,
    pub realm_id: &'a str,
    pub tenant_id: &'a str,
    pub delivery_method: DeliveryMethod,
    pub state: JobState,
    pub post_binding_redirect_uri: Option<&'a str>,
    pub authenticator_config_id: &'a str,
    pub expire_time: String,
    pub credential_id: Option<&'a str>,
    pub create_time: String,
    pub update_time: String,
    /// Why the last email failed (while `FAILED_TO_SEND`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<&'a str>,
}

/// The job as of `now_us` (an open job past its expiry shows `EXPIRED`).
pub fn job(j: &BindingJobRecord, now_us: i64) -> JobView<'_> {
    let state = effective_state(j, now_us);
    JobView {
        id: &j.id,
        identity_id: &j.identity_id,
        realm_id: &j.realm_id,
        tenant_id: &j.tenant_id,
        delivery_method: j.delivery_method,
        state,
        post_binding_redirect_uri: j.post_binding_redirect_uri.as_deref(),
        authenticator_config_id: &j.authenticator_config_id,
        expire_time: rfc3339(j.expire_us),
        credential_id: j.credential_id.as_deref(),
        create_time: rfc3339(j.create_us),
        update_time: rfc3339(j.update_us),
        failure_reason: j
            .failure_reason
            .as_deref()
            .filter(|_| state == JobState::FailedToSend),
        batch_id: j.batch_id.as_deref(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobTemplate<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_binding_redirect_uri: Option<&'a str>,
    pub authenticator_config_id: &'a str,
}

/// Beyond Identity's per-identity error entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IdentityError<'a> {
    pub last_error: &'a str,
    pub failed_permanently: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StateCommentary<'a> {
    pub errors: BTreeMap<&'a str, IdentityError<'a>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResultError<'a> {
    pub code: BatchErrorKind,
    pub message: &'a str,
}

/// One identity's outcome (passgate's `results`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResultView<'a> {
    pub identity_id: &'a str,
    /// At creation: the job's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_binding_job_id: Option<&'a str>,
    /// At creation of `RETURN` jobs: the link (shown only then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_binding_link: Option<&'a str>,
    /// Later: the job as it is now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_binding_job: Option<JobView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ResultError<'a>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchView<'a> {
    pub id: &'a str,
    pub realm_id: &'a str,
    pub tenant_id: &'a str,
    pub identity_ids: Vec<&'a str>,
    pub state: BatchState,
    pub state_commentary: StateCommentary<'a>,
    pub job_template: JobTemplate<'a>,
    pub create_time: String,
    pub update_time: String,
    pub delivery_method: DeliveryMethod,
    /// How many of the batch's jobs are in each state.
    pub job_states: BTreeMap<JobState, usize>,
    pub results: Vec<ResultView<'a>>,
}

/// The batch with its jobs as of `now_us`. `results` name each job by id; see
/// [`BatchView::with_jobs`] and [`BatchView::with_links`].
pub fn batch<'a>(
    b: &'a BindingBatchRecord,
    jobs: &'a [BindingJobRecord],
    now_us: i64,
) -> BatchView<'a> {
    let mut job_states = BTreeMap::new();
    let mut errors = BTreeMap::new();
    let mut queued = false;
    for j in jobs {
        let state = effective_state(j, now_us);
        *job_states.entry(state).or_insert(0) += 1;
        queued |= state == JobState::LinkSent && j.next_send_us.is_some() && j.send_attempts == 0;
        if let (JobState::FailedToSend, Some(reason)) = (state, j.failure_reason.as_deref()) {
            errors.insert(
                j.identity_id.as_str(),
                IdentityError {
                    last_error: reason,
                    failed_permanently: false,
                },
            );
        }
    }
    let mut results = Vec::with_capacity(b.results.len());
    let mut refused = 0;
    for r in &b.results {
        let (job_id, error) = match &r.outcome {
            BatchOutcome::Job(id) => (Some(id.as_str()), None),
            BatchOutcome::Error { kind, message } => {
                refused += 1;
                errors.insert(
                    r.identity_id.as_str(),
                    IdentityError {
                        last_error: message,
                        failed_permanently: true,
                    },
                );
                let error = ResultError {
                    code: *kind,
                    message,
                };
                (None, Some(error))
            }
        };
        results.push(ResultView {
            identity_id: &r.identity_id,
            credential_binding_job_id: job_id,
            credential_binding_link: None,
            credential_binding_job: None,
            error,
        });
    }
    let state = if queued {
        BatchState::Running
    } else if refused == 0 {
        BatchState::Success
    } else if refused == b.results.len() {
        BatchState::Failed
    } else {
        BatchState::PartialSuccess
    };
    let update = jobs.iter().map(|j| j.update_us).fold(b.create_us, i64::max);
    BatchView {
        id: &b.id,
        realm_id: &b.realm_id,
        tenant_id: &b.tenant_id,
        identity_ids: b.results.iter().map(|r| r.identity_id.as_str()).collect(),
        state,
        state_commentary: StateCommentary { errors },
        job_template: JobTemplate {
            post_binding_redirect_uri: b.post_binding_redirect_uri.as_deref(),
            authenticator_config_id: &b.authenticator_config_id,
        },
        create_time: rfc3339(b.create_us),
        update_time: rfc3339(update),
        delivery_method: b.delivery_method,
        job_states,
        results,
    }
}

impl<'a> BatchView<'a> {
    /// Each result shows its job as it is now (in place of the job's id).
    pub fn with_jobs(mut self, jobs: &'a [BindingJobRecord], now_us: i64) -> Self {
        for r in &mut self.results {
            if let Some(j) = r
                .credential_binding_job_id
                .and_then(|id| jobs.iter().find(|j| j.id == id))
            {
                r.credential_binding_job_id = None;
                r.credential_binding_job = Some(job(j, now_us));
            }
        }
        self
    }

    /// Each result of a `RETURN` batch carries its link (at creation only).
    pub fn with_links(mut self, links: &'a BTreeMap<String, String>) -> Self {
        for r in &mut self.results {
            r.credential_binding_link = links.get(r.identity_id).map(String::as_str);
        }
        self
    }
}
