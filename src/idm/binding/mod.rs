//! Credential binding jobs: a job yields a one-time link (256 random bits, stored only as
//! its SHA-256) that binds a new passkey to an identity. `RETURN` hands the link back,
//! `EMAIL` mails it. Split by concern: [`jobs`] (create, list, get, revoke), [`batches`]
//! (up to 1,000 identities at once), [`delivery`] (mailing and re-mailing with back-off),
//! [`views`] (the admin API's shapes); this module holds what they share: the realm's link
//! settings, the redirect rule, and the making of one job.

pub mod batches;
pub mod delivery;
pub mod jobs;
pub mod views;

use super::types::{DeliveryMethod, IdentityStatus, JobState, Resource};
use super::{ids, Actor, Context, Directory, IdmError, ResourceRef};

pub use super::authenticator_configs::binding_link;
use crate::config::{Config, HostPattern, DEFAULT_BINDING_LINK_TTL};
use crate::mail::Mailer;
use crate::store::{BindingJobRecord, IdentityRecord};

pub use batches::{CreatedBatch, NewBatch};
pub use jobs::{CreatedJob, NewBindingJob};

const URI_MAX: usize = 2048;

/// Where email delivery goes (absent when `[email]` is not configured).
pub type MailerRef<'a> = Option<&'a Mailer>;

/// The state a job shows: an open job past its expiry is `Expired` even before the store
/// has marked it so.
pub fn effective_state(job: &BindingJobRecord, now_us: i64) -> JobState {
    if job.state.is_open() && job.expire_us <= now_us {
        JobState::Expired
    } else {
        job.state
    }
}

/// The context a job's own events are recorded in, acted by `actor`.
pub fn job_context<'a>(job: &'a BindingJobRecord, actor: &'a Actor) -> Context<'a> {
    Context {
        tenant: &job.tenant_id,
        realm: &job.realm_id,
        actor,
    }
}

/// `job` moved to `state` at `now`.
pub fn with_state(job: &BindingJobRecord, state: JobState, now: i64) -> BindingJobRecord {
    let mut after = job.clone();
    after.state = state;
    after.update_us = now;
    after
}

/// The realm's binding settings: link lifetime in µs and the realm's allowed redirects.
fn realm_settings<'c>(config: &'c Config, realm: &str) -> (i64, &'c [url::Url]) {
    let r = config.realm(realm);
    let ttl = r.map_or(DEFAULT_BINDING_LINK_TTL, |r| r.binding_link_ttl);
    (
        i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX),
        r.map_or(&[][..], |r| r.allowed_redirects.as_slice()),
    )
}

/// Whether `host` is one passgate fronts (the auth host, an exact route host, or under a
/// wildcard route). A catch-all `*` route does not make every host a redirect target.
pub fn is_fronted_host(config: &Config, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == config.auth_host
        || config.routes.iter().any(|r| match &r.host {
            HostPattern::Exact(h) => *h == host,
            HostPattern::Wildcard(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::Any => false,
        })
}

/// `post_binding_redirect_uri`: absolute http(s), on a fronted host or under an entry of
/// the realm's `allowed_redirects` (same origin, path prefix).
pub fn check_redirect(config: &Config, realm: &str, uri: &str) -> Result<String, IdmError> {
    let field = "post_binding_redirect_uri";
    super::fields::text(field, uri, URI_MAX)?;
    let url = url::Url::parse(uri)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| IdmError::invalid(field, "must be an absolute http(s) URL"))?;
    if url.username() != "" || url.password().is_some() {
        return Err(IdmError::invalid(field, "must not carry credentials"));
    }
    let host = url.host_str().unwrap_or_default();
    let allowed = realm_settings(config, realm)
        .1
        .iter()
        .any(|a| a.origin() == url.origin() && url.path().starts_with(a.path()));
    if !allowed && !is_fronted_host(config, host) {
        return Err(IdmError::invalid(
            field,
            "must be on a host passgate fronts or listed in the realm's allowed_redirects",
        ));
    }
    Ok(url.to_string())
}

/// A job's template once checked: delivery, redirect, authenticator configuration.
#[derive(Debug, Clone)]
struct Template {
    method: DeliveryMethod,
    redirect: Option<String>,
    config_id: String,
}

/// A new job and its link's token (the only time the token exists).
struct NewJob {
    record: BindingJobRecord,
    token: String,
}

fn no_mailer() -> IdmError {
    IdmError::Unprocessable {
        message: "EMAIL delivery needs an [email] section in the configuration".into(),
        resource: None,
    }
}

impl Directory {
    /// Checks `job` for the realm of `at`: redirect rule, mail configured for `EMAIL`, the
    /// authenticator configuration (default: the hosted web one) exists.
    async fn template(
        &self,
        at: &Context<'_>,
        config: &Config,
        mailer: MailerRef<'_>,
        job: NewBindingJob,
    ) -> Result<Template, IdmError> {
        let redirect = job
            .post_binding_redirect_uri
            .as_deref()
            .map(|u| check_redirect(config, at.realm, u))
            .transpose()?;
        if let Some(id) = &job.authenticator_config_id {
            super::fields::text("authenticator_config_id", id, 128)?;
            if id.is_empty() {
                return Err(IdmError::invalid("authenticator_config_id", "empty string"));
            }
        }
        if job.delivery_method == DeliveryMethod::Email && mailer.is_none() {
            return Err(no_mailer());
        }
        self.realm_record(at.tenant, at.realm).await?;
        let config_id = match job.authenticator_config_id {
            Some(id) => self.authenticator_config(at, config, &id).await?.id,
            None => super::authenticator_configs::HOSTED_WEB_ID.to_string(),
        };
        Ok(Template {
            method: job.delivery_method,
            redirect,
            config_id,
        })
    }

    fn new_job(
        &self,
        config: &Config,
        identity: &IdentityRecord,
        t: &Template,
        batch: Option<&str>,
    ) -> Result<NewJob, IdmError> {
        let about = || ResourceRef::new(Resource::Identity, &identity.id);
        if identity.status != IdentityStatus::Active {
            return Err(IdmError::unprocessable(
                about(),
                "the identity is suspended and cannot bind a passkey",
            ));
        }
        if t.method == DeliveryMethod::Email && identity.traits.primary_email_address.is_none() {
            return Err(IdmError::unprocessable(
                about(),
                "Identity missing email address",
            ));
        }
        let now = self.now_us();
        let token = ids::new_secret()?;
        let ttl = realm_settings(config, &identity.realm_id).0;
        Ok(NewJob {
            record: BindingJobRecord {
                id: ids::new_id()?,
                tenant_id: identity.tenant_id.clone(),
                realm_id: identity.realm_id.clone(),
                identity_id: identity.id.clone(),
                delivery_method: t.method,
                state: JobState::LinkSent,
                post_binding_redirect_uri: t.redirect.clone(),
                authenticator_config_id: t.config_id.clone(),
                token_hash: ids::sha256_hex(&token),
                expire_us: now.saturating_add(ttl),
                credential_id: None,
                batch_id: batch.map(str::to_string),
                failure_reason: None,
                send_attempts: 0,
                // Batched emails are queued for the delivery task.
                next_send_us: (t.method == DeliveryMethod::Email && batch.is_some()).then_some(now),
                create_us: now,
                update_us: now,
            },
            token,
        })
    }
}
