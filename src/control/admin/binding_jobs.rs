//! `…/identities/{id|-}/credential-binding-jobs` (create, list, get, `:revoke`) and
//! `…/batch-credential-binding-jobs` (create, get, `:listResults`), in Beyond Identity's
//! shapes: a job's get and revoke answer the job itself.

use serde_json::json;

use super::bodies::{BatchForm, BatchRequest, JobRequest};
use super::extract::{split_action, Admin, Body, ListParams, Segments};
use super::methods::{BATCH, BINDING_JOB};
use super::reply::{listing, ok, Reply};
use crate::control::error::ApiError;
use crate::idm::binding::views::{self, BatchView};
use crate::idm::tokens::{Action, Family};
use crate::idm::types::{DeliveryMethod, JobState};

type IdentityPath = Segments<(String, String, String)>;
type JobPath = Segments<(String, String, String, String)>;
type RealmPath = Segments<(String, String)>;
type BatchPath = Segments<(String, String, String)>;

const JOBS: Family = Family::CredentialBindingJobs;

/// `-` names every identity of the realm.
fn identity_of(segment: &str) -> Option<&str> {
    (segment != "-").then_some(segment)
}

/// A query parameter holding one of an enum's spellings.
fn spelled<T>(
    q: &ListParams,
    key: &str,
    parse: fn(&str) -> Option<T>,
    names: &[&str],
) -> Result<Option<T>, ApiError> {
    q.get(key)
        .map(|v| {
            parse(v).ok_or_else(|| {
                ApiError::invalid(key, format!("must be one of {}", names.join(", ")))
            })
        })
        .transpose()
}

pub async fn create(
    admin: Admin,
    Segments((t, r, id)): IdentityPath,
    Body(body): Body<JobRequest>,
) -> Reply {
    let at = admin.in_realm(&t, &r, JOBS, Action::Create)?;
    let s = &admin.state;
    let created = s
        .directory
        .create_binding_job(&at, &s.config, s.mailer.as_deref(), &id, body.into_new()?)
        .await
        .map_err(|e| e.within("job"))?;
    let now = s.directory.now_us();
    let job = views::job(&created.job, now);
    match created.link {
        Some(link) => ok(json!({"credential_binding_job": job, "credential_binding_link": link})),
        None => ok(json!({ "credential_binding_job": job })),
    }
}

pub async fn list(admin: Admin, Segments((t, r, id)): IdentityPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, JOBS, Action::Read)?;
    let state = spelled(&q, "state", JobState::parse, JobState::NAMES)?;
    let method = spelled(
        &q,
        "delivery_method",
        DeliveryMethod::parse,
        DeliveryMethod::NAMES,
    )?;
    let dir = &admin.state.directory;
    let page = dir
        .list_binding_jobs(
            &at,
            identity_of(&id),
            state,
            method,
            q.page_size(),
            q.page_token(),
        )
        .await?;
    let now = dir.now_us();
    listing(
        "credential_binding_jobs",
        &page,
        page.items.iter().map(|j| views::job(j, now)),
    )
}

pub async fn get(admin: Admin, Segments((t, r, id, job)): JobPath) -> Reply {
    let (job, None) = split_action(&job) else {
        return Err(BINDING_JOB.refuse(&job));
    };
    let at = admin.in_realm(&t, &r, JOBS, Action::Read)?;
    let dir = &admin.state.directory;
    let found = dir.binding_job(&at, identity_of(&id), job).await?;
    ok(views::job(&found, dir.now_us()))
}

pub async fn action(admin: Admin, Segments((t, r, id, job)): JobPath) -> Reply {
    let (job, Some("revoke")) = split_action(&job) else {
        return Err(BINDING_JOB.refuse(&job));
    };
    let at = admin.in_realm(&t, &r, JOBS, Action::Revoke)?;
    let dir = &admin.state.directory;
    let revoked = dir.revoke_binding_job(&at, identity_of(&id), job).await?;
    ok(views::job(&revoked, dir.now_us()))
}

/// Beyond Identity's form answers the batch itself; passgate's form
/// `{"batch_credential_binding_job": …}` with `RETURN` links in its results.
pub async fn create_batch(
    admin: Admin,
    Segments((t, r)): RealmPath,
    Body(body): Body<BatchRequest>,
) -> Reply {
    let at = admin.in_realm(&t, &r, JOBS, Action::Create)?;
    let (new, form) = body.into_new()?;
    let s = &admin.state;
    let created = s
        .directory
        .create_batch_binding_jobs(&at, &s.config, s.mailer.as_deref(), new)
        .await
        .map_err(|e| match (form, e) {
            (BatchForm::BeyondIdentity, crate::idm::IdmError::Invalid { field, message })
                if field != "identity_ids" && !field.starts_with("identity_ids[") =>
            {
                ApiError::invalid(format!("{}.job_template.{field}", form.prefix()), message)
            }
            (BatchForm::BeyondIdentity, e) => e.within(form.prefix()).into(),
            (BatchForm::Passgate, crate::idm::IdmError::Invalid { field, message })
                if !field.starts_with("identity_ids") =>
            {
                ApiError::invalid(format!("job.{field}"), message)
            }
            (BatchForm::Passgate, e) => e.into(),
        })?;
    let now = s.directory.now_us();
    let view = views::batch(&created.batch, &created.jobs, now);
    match form {
        BatchForm::BeyondIdentity => ok(view),
        BatchForm::Passgate => {
            ok(json!({ "batch_credential_binding_job": view.with_links(&created.links) }))
        }
    }
}

/// `GET …/batch-credential-binding-jobs/{id}` (the batch, each result with its job now)
/// and `…/{id}:listResults` (a page of its jobs with counts).
pub async fn get_batch(admin: Admin, Segments((t, r, seg)): BatchPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, JOBS, Action::Read)?;
    let dir = &admin.state.directory;
    match split_action(&seg) {
        (id, None) => {
            let status = dir.batch_binding_job(&at, id).await?;
            let now = dir.now_us();
            let view: BatchView = views::batch(&status.batch, &status.jobs, now);
            ok(view.with_jobs(&status.jobs, now))
        }
        (id, Some("listResults")) => {
            let results = dir
                .batch_results(&at, id, q.page_size(), q.page_token())
                .await?;
            let now = dir.now_us();
            let page = &results.jobs;
            let jobs: Vec<_> = page.items.iter().map(|j| views::job(j, now)).collect();
            let mut out = json!({
                "job_results": jobs,
                "total_success_count": results.success,
                "total_failure_count": results.failure,
                "total_pending_count": results.pending,
                "total_size": page.total_size,
            });
            if let Some(t) = &page.next_page_token {
                out["next_page_token"] = t.clone().into();
            }
            ok(out)
        }
        _ => Err(BATCH.refuse(&seg)),
    }
}
