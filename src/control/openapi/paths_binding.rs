//! The documented operations of sessions, events, credential binding jobs and batches,
//! credentials and authenticator configurations (handlers in `control::admin`).
#![allow(dead_code)]

use super::answers::{
    AuthenticatorConfigList, BatchCreated, BatchResults, CredentialPage, CredentialWrapped,
    EventPage, JobCreated, JobPage, Revoked, SessionList,
};
use super::params::{AdminErrors, IdentityPath, JobQuery, PageQuery, RealmPath};
use crate::control::admin::bodies::{BatchRequest, JobRequest};
use crate::idm::binding::views::{BatchView, JobView};
use crate::idm::views::{AuthenticatorConfigView, CredentialView};

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}/sessions",
    tag = "sessions", params(IdentityPath),
    responses((status = 200, body = SessionList), AdminErrors))]
fn list_sessions() {}

#[utoipa::path(delete,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}/sessions",
    tag = "sessions", params(IdentityPath),
    responses((status = 200, body = Revoked), AdminErrors))]
fn revoke_sessions() {}

#[utoipa::path(delete,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}/sessions/{session}",
    tag = "sessions", params(IdentityPath, ("session" = String, Path)),
    responses((status = 200, body = Revoked), AdminErrors))]
fn revoke_session() {}

#[utoipa::path(get, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/events",
    tag = "events", params(RealmPath, PageQuery),
    responses((status = 200, body = EventPage), AdminErrors))]
fn list_events() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}/credential-binding-jobs",
    tag = "credential binding jobs", params(IdentityPath, JobQuery),
    responses((status = 200, body = JobPage), AdminErrors))]
fn list_jobs() {}

#[utoipa::path(post,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}/credential-binding-jobs",
    tag = "credential binding jobs", params(IdentityPath), request_body = JobRequest,
    responses((status = 200, body = JobCreated), AdminErrors))]
fn create_job() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}/credential-binding-jobs/{job}",
    tag = "credential binding jobs", params(IdentityPath, ("job" = String, Path)),
    responses((status = 200, body = JobView), AdminErrors))]
fn get_job() {}

#[utoipa::path(post,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}/credential-binding-jobs/{job}:revoke",
    tag = "credential binding jobs", params(IdentityPath, ("job" = String, Path)),
    responses((status = 200, body = JobView), AdminErrors))]
fn revoke_job() {}

#[utoipa::path(post,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/batch-credential-binding-jobs",
    tag = "credential binding jobs", params(RealmPath), request_body = BatchRequest,
    responses((status = 200, body = BatchCreated), AdminErrors))]
fn create_batch() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/batch-credential-binding-jobs/{batch}",
    tag = "credential binding jobs", params(RealmPath, ("batch" = String, Path)),
    responses((status = 200, body = BatchView), AdminErrors))]
fn get_batch() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/batch-credential-binding-jobs/{batch}:listResults",
    tag = "credential binding jobs", params(RealmPath, ("batch" = String, Path), PageQuery),
    responses((status = 200, body = BatchResults), AdminErrors))]
fn list_batch_results() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}/credentials",
    tag = "credentials", params(IdentityPath, PageQuery),
    responses((status = 200, body = CredentialPage), AdminErrors))]
fn list_credentials() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}/credentials/{credential}",
    tag = "credentials", params(IdentityPath, ("credential" = String, Path)),
    responses((status = 200, body = CredentialView), AdminErrors))]
fn get_identity_credential() {}

#[utoipa::path(post,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}/credentials/{credential}:revoke",
    tag = "credentials", params(IdentityPath, ("credential" = String, Path)),
    responses((status = 200, body = CredentialView), AdminErrors))]
fn revoke_identity_credential() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/credentials/{credential}",
    tag = "credentials", params(RealmPath, ("credential" = String, Path)),
    responses((status = 200, body = CredentialWrapped), AdminErrors))]
fn get_credential() {}

#[utoipa::path(post,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/credentials/{credential}:revoke",
    tag = "credentials", params(RealmPath, ("credential" = String, Path)),
    responses((status = 200, body = CredentialWrapped), AdminErrors))]
fn revoke_credential() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/authenticator-configs",
    tag = "authenticator configs", params(RealmPath),
    responses((status = 200, body = AuthenticatorConfigList), AdminErrors))]
fn list_authenticator_configs() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/authenticator-configs/{config}",
    tag = "authenticator configs", params(RealmPath, ("config" = String, Path)),
    responses((status = 200, body = AuthenticatorConfigView), AdminErrors))]
fn get_authenticator_config() {}
