//! Credential binding jobs (admin API): create (RETURN hands back the link, EMAIL mails it),
//! batches of up to 1,000 identities, list per identity or realm-wide with `state` and
//! `delivery_method` filters, get, `:revoke`, and the background re-delivery of failed
//! emails with back-off. The link's token is 256 random bits, stored only as its SHA-256.

use serde_json::{json, Value};

use super::clock::rfc3339;
use super::fields::{Object, Patch};
use super::identities::{parse_id_list, BATCH_MAX};
use super::paging::{list_json, page_request};
use super::{ids, Actor, Directory, IdmError, Scope};
use crate::config::{Config, HostPattern, DEFAULT_BINDING_LINK_TTL};
use crate::mail::{LinkMail, Mailer};
use crate::store::{
    BindingBatchRecord, BindingJobFilter, BindingJobRecord, IdentityRecord, RealmRecord,
};

pub const RETURN: &str = "RETURN";
pub const EMAIL: &str = "EMAIL";
pub const LINK_SENT: &str = "LINK_SENT";
pub const LINK_OPENED: &str = "LINK_OPENED";
pub const COMPLETE: &str = "COMPLETE";
pub const EXPIRED: &str = "EXPIRED";
pub const REVOKED: &str = "REVOKED";
pub const FAILED_TO_SEND: &str = "FAILED_TO_SEND";
const STATES: &[&str] = &[
    LINK_SENT,
    LINK_OPENED,
    COMPLETE,
    EXPIRED,
    REVOKED,
    FAILED_TO_SEND,
];
/// States in which the link may still be used or delivered.
pub const OPEN: &[&str] = &[LINK_SENT, LINK_OPENED, FAILED_TO_SEND];
const URI_MAX: usize = 2048;
/// Longest wait between two delivery attempts.
const MAX_BACKOFF_US: i64 = 3600 * 1_000_000;

pub fn job_json(j: &BindingJobRecord, now_us: i64) -> Value {
    let state = if OPEN.contains(&j.state.as_str()) && j.expire_us <= now_us {
        EXPIRED
    } else {
        j.state.as_str()
    };
    let mut v = json!({
        "id": j.id,
        "identity_id": j.identity_id,
        "realm_id": j.realm_id,
        "tenant_id": j.tenant_id,
        "delivery_method": j.delivery_method,
        "state": state,
        "post_binding_redirect_uri": j.post_binding_redirect_uri,
        "expire_time": rfc3339(j.expire_us),
        "credential_id": j.credential_id,
        "create_time": rfc3339(j.create_us),
        "update_time": rfc3339(j.update_us),
    });
    if let (Some(reason), Some(obj)) = (&j.failure_reason, v.as_object_mut()) {
        if state == FAILED_TO_SEND {
            obj.insert("failure_reason".into(), reason.clone().into());
        }
    }
    if let (Some(batch), Some(obj)) = (&j.batch_id, v.as_object_mut()) {
        obj.insert("batch_id".into(), batch.clone().into());
    }
    v
}

/// The scope a job's own events are recorded in, acted by `actor`.
pub fn job_scope<'a>(job: &'a BindingJobRecord, actor: &'a Actor) -> Scope<'a> {
    Scope {
        tenant: &job.tenant_id,
        realm: &job.realm_id,
        actor,
    }
}

/// `job` moved to `state` at `now`.
pub fn with_state(job: &BindingJobRecord, state: &str, now: i64) -> BindingJobRecord {
    let mut after = job.clone();
    after.state = state.to_string();
    after.update_us = now;
    after
}

/// The realm's binding settings: link base (no trailing slash), link lifetime in µs, and
/// the realm's allowed redirects.
fn realm_settings<'c>(config: &'c Config, realm: &str) -> (String, i64, &'c [url::Url]) {
    let r = config.realm(realm);
    let base = r
        .and_then(|r| r.link_base.as_ref())
        .unwrap_or(&config.public_url)
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let ttl = r.map_or(DEFAULT_BINDING_LINK_TTL, |r| r.binding_link_ttl);
    (
        base,
        i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX),
        r.map_or(&[][..], |r| r.allowed_redirects.as_slice()),
    )
}

pub fn binding_link(config: &Config, realm: &str, token: &str) -> String {
    format!(
        "{}/.passgate/bind?token={token}",
        realm_settings(config, realm).0
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
    let field = "job.post_binding_redirect_uri";
    let url = url::Url::parse(uri)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| IdmError::invalid(field, "must be an absolute http(s) URL"))?;
    if url.username() != "" || url.password().is_some() {
        return Err(IdmError::invalid(field, "must not carry credentials"));
    }
    let host = url.host_str().unwrap_or_default();
    let allowed = realm_settings(config, realm)
        .2
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

/// `{"job": {"delivery_method", "post_binding_redirect_uri"}}` → (method, redirect).
fn parse_job(
    config: &Config,
    realm: &str,
    top: &mut Object,
) -> Result<(String, Option<String>), IdmError> {
    let mut job = top.object("job")?;
    job.ignore(&[
        "id",
        "identity_id",
        "realm_id",
        "tenant_id",
        "state",
        "expire_time",
        "credential_id",
        "create_time",
        "update_time",
    ]);
    let method = match job.string("delivery_method", 16)? {
        Patch::Set(m) if m == RETURN || m == EMAIL => m,
        Patch::Absent | Patch::Clear => {
            return Err(IdmError::invalid("job.delivery_method", "is required"))
        }
        Patch::Set(_) => {
            return Err(IdmError::invalid(
                "job.delivery_method",
                "must be \"RETURN\" or \"EMAIL\"",
            ))
        }
    };
    let redirect = match job.string("post_binding_redirect_uri", URI_MAX)? {
        Patch::Set(u) => Some(check_redirect(config, realm, &u)?),
        _ => None,
    };
    job.finish()?;
    Ok((method, redirect))
}

/// What the creation of one job hands back besides the record: the token (RETURN).
struct NewJob {
    record: BindingJobRecord,
    token: String,
}

/// Where email delivery goes (absent when `[email]` is not configured).
pub type MailerRef<'a> = Option<&'a Mailer>;

impl Directory {
    fn new_job(
        &self,
        config: &Config,
        identity: &IdentityRecord,
        method: &str,
        redirect: Option<String>,
        batch: Option<&str>,
    ) -> Result<NewJob, IdmError> {
        if identity.status != "active" {
            return Err(IdmError::Unprocessable(
                "the identity is suspended and cannot bind a passkey".into(),
            ));
        }
        if method == EMAIL && identity.primary_email_address.is_none() {
            return Err(IdmError::Unprocessable(
                "the identity has no primary_email_address to send the link to".into(),
            ));
        }
        let now = self.now_us();
        let token = ids::new_secret()?;
        let ttl = realm_settings(config, &identity.realm_id).1;
        Ok(NewJob {
            record: BindingJobRecord {
                id: ids::new_id()?,
                tenant_id: identity.tenant_id.clone(),
                realm_id: identity.realm_id.clone(),
                identity_id: identity.id.clone(),
                delivery_method: method.to_string(),
                state: LINK_SENT.into(),
                post_binding_redirect_uri: redirect,
                token_hash: ids::sha256_hex(&token),
                expire_us: now.saturating_add(ttl),
                credential_id: None,
                batch_id: batch.map(str::to_string),
                failure_reason: None,
                send_attempts: 0,
                // Batched emails are queued for the delivery task.
                next_send_us: (method == EMAIL && batch.is_some()).then_some(now),
                create_us: now,
                update_us: now,
            },
            token,
        })
    }

    /// `POST …/identities/{id}/credential-binding-jobs`.
    pub async fn create_binding_job(
        &self,
        at: &Scope<'_>,
        config: &Config,
        mailer: MailerRef<'_>,
        identity_id: &str,
        body: Value,
    ) -> Result<Value, IdmError> {
        let mut top = Object::new(body, "")?;
        let (method, redirect) = parse_job(config, at.realm, &mut top)?;
        top.finish()?;
        if method == EMAIL && mailer.is_none() {
            return Err(IdmError::Unprocessable(
                "EMAIL delivery needs an [email] section in the configuration".into(),
            ));
        }
        let realm = self.store().get_realm(at.tenant, at.realm).await?;
        let identity = self
            .store()
            .get_identity(at.tenant, at.realm, identity_id)
            .await?;
        let NewJob { record, token } = self.new_job(config, &identity, &method, redirect, None)?;
        let audit = self.audit(at.change(
            "credential_binding_job.create",
            vec![record.id.clone(), identity.id.clone()],
            None,
            Some(job_json(&record, record.create_us)),
        ))?;
        self.store()
            .create_binding_jobs(std::slice::from_ref(&record), None, &audit)
            .await?;
        if method == RETURN {
            return Ok(json!({
                "credential_binding_job": job_json(&record, self.now_us()),
                "credential_binding_link": binding_link(config, at.realm, &token),
            }));
        }
        let record = self
            .deliver(config, mailer, &realm, &identity, record, token, at.actor)
            .await?;
        Ok(json!({"credential_binding_job": job_json(&record, self.now_us())}))
    }

    /// Sends the link for `job` with `token` and records the outcome (with back-off on
    /// failure). Returns the job as recorded.
    #[allow(clippy::too_many_arguments)]
    async fn deliver(
        &self,
        config: &Config,
        mailer: MailerRef<'_>,
        realm: &RealmRecord,
        identity: &IdentityRecord,
        mut job: BindingJobRecord,
        token: String,
        actor: &Actor,
    ) -> Result<BindingJobRecord, IdmError> {
        let link = binding_link(config, &job.realm_id, &token);
        let expire_time = rfc3339(job.expire_us);
        let outcome = match (mailer, &identity.primary_email_address) {
            (Some(m), Some(to)) => m
                .send_link(&LinkMail {
                    to,
                    name: &identity.display_name,
                    realm: &realm.display_name,
                    link: &link,
                    expire_time: &expire_time,
                })
                .await
                .map_err(|e| e.to_string()),
            (None, _) => Err("no [email] configuration".to_string()),
            (_, None) => Err("the identity has no email address".to_string()),
        };
        let now = self.now_us();
        job.send_attempts += 1;
        job.update_us = now;
        job.token_hash = ids::sha256_hex(&token);
        let action = match outcome {
            Ok(()) => {
                job.state = LINK_SENT.into();
                job.failure_reason = None;
                job.next_send_us = None;
                "credential_binding_job.email_sent"
            }
            Err(reason) => {
                tracing::warn!(job = %job.id, attempt = job.send_attempts, reason = %reason, "binding link email failed");
                let base = config.email.as_ref().map_or(30_000_000, |e| {
                    i64::try_from(e.retry_interval.as_micros()).unwrap_or(i64::MAX)
                });
                let shift = u32::try_from(job.send_attempts - 1).unwrap_or(0).min(20);
                let wait = base.saturating_mul(1_i64 << shift).min(MAX_BACKOFF_US);
                job.state = FAILED_TO_SEND.into();
                job.failure_reason = Some(reason);
                job.next_send_us = Some(now.saturating_add(wait));
                "credential_binding_job.email_failed"
            }
        };
        let audit = self.audit(job_scope(&job, actor).change(
            action,
            vec![job.id.clone()],
            None,
            Some(job_json(&job, now)),
        ))?;
        self.store().record_delivery(&job, &audit).await?;
        Ok(job)
    }

    /// One pass of the delivery task: every EMAIL job due for (re)delivery is sent with a
    /// fresh token. Returns how many were attempted.
    pub async fn deliver_due(&self, config: &Config, mailer: &Mailer) -> Result<usize, IdmError> {
        let now = self.now_us();
        self.store().expire_binding_jobs(now).await?;
        let due = self.store().due_deliveries(now, 50).await?;
        let n = due.len();
        for job in due {
            let realm = self
                .store()
                .get_realm(&job.tenant_id, &job.realm_id)
                .await?;
            let identity = match self
                .store()
                .get_identity(&job.tenant_id, &job.realm_id, &job.identity_id)
                .await
            {
                Ok(i) => i,
                Err(crate::store::StoreError::NotFound(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            let token = ids::new_secret()?;
            self.deliver(
                config,
                Some(mailer),
                &realm,
                &identity,
                job,
                token,
                &Actor::Delivery,
            )
            .await?;
        }
        Ok(n)
    }

    /// `GET …/identities/{id|-}/credential-binding-jobs?state=&delivery_method=`.
    #[allow(clippy::too_many_arguments)]
    pub async fn list_binding_jobs(
        &self,
        at: &Scope<'_>,
        identity: &str,
        state: Option<&str>,
        delivery_method: Option<&str>,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Value, IdmError> {
        let page = page_request(page_size, page_token)?;
        if let Some(s) = state {
            if !STATES.contains(&s) {
                return Err(IdmError::invalid(
                    "state",
                    format!("must be one of {}", STATES.join(", ")),
                ));
            }
        }
        if let Some(m) = delivery_method {
            if m != RETURN && m != EMAIL {
                return Err(IdmError::invalid(
                    "delivery_method",
                    "must be RETURN or EMAIL",
                ));
            }
        }
        self.store().get_realm(at.tenant, at.realm).await?;
        let identity_id = if identity == "-" {
            None
        } else {
            self.store()
                .get_identity(at.tenant, at.realm, identity)
                .await?;
            Some(identity.to_string())
        };
        let now = self.now_us();
        self.store().expire_binding_jobs(now).await?;
        let filter = BindingJobFilter {
            identity_id,
            state: state.map(str::to_string),
            delivery_method: delivery_method.map(str::to_string),
        };
        let jobs = self
            .store()
            .list_binding_jobs(at.tenant, at.realm, &filter, page)
            .await?;
        Ok(list_json("credential_binding_jobs", jobs, |j| {
            job_json(j, now)
        }))
    }

    async fn job_of(
        &self,
        at: &Scope<'_>,
        identity: &str,
        id: &str,
    ) -> Result<BindingJobRecord, IdmError> {
        let job = self
            .store()
            .get_binding_job(at.tenant, at.realm, id)
            .await?;
        if identity != "-" && job.identity_id != identity {
            return Err(IdmError::NotFound("credential binding job".into()));
        }
        Ok(job)
    }

    pub async fn get_binding_job(
        &self,
        at: &Scope<'_>,
        identity: &str,
        id: &str,
    ) -> Result<Value, IdmError> {
        let job = self.job_of(at, identity, id).await?;
        Ok(json!({"credential_binding_job": job_json(&job, self.now_us())}))
    }

    /// `:revoke`: the link stops working. Revoking a job that is no longer open is a 409.
    pub async fn revoke_binding_job(
        &self,
        at: &Scope<'_>,
        identity: &str,
        id: &str,
    ) -> Result<Value, IdmError> {
        let before = self.job_of(at, identity, id).await?;
        let now = self.now_us();
        let after = with_state(&before, REVOKED, now);
        let audit = self.audit(at.change(
            "credential_binding_job.revoke",
            vec![id.to_string()],
            Some(job_json(&before, now)),
            Some(job_json(&after, now)),
        ))?;
        let moved = self
            .store()
            .transition_binding_job(id, OPEN, REVOKED, now, Some(&audit))
            .await?;
        if !moved {
            return Err(IdmError::Conflict(format!(
                "the job is {} and can no longer be revoked",
                job_json(&before, now)["state"].as_str().unwrap_or_default()
            )));
        }
        Ok(json!({"credential_binding_job": job_json(&after, now)}))
    }

    /// `POST …/batch-credential-binding-jobs {"identity_ids": […], "job": {…}}`: one job per
    /// identity that can have one; the others are reported with the reason. EMAIL jobs are
    /// queued for the delivery task.
    pub async fn create_batch_binding_jobs(
        &self,
        at: &Scope<'_>,
        config: &Config,
        mailer: MailerRef<'_>,
        body: Value,
    ) -> Result<Value, IdmError> {
        let mut top = Object::new(body, "")?;
        let (method, redirect) = parse_job(config, at.realm, &mut top)?;
        let ids_value = top.drain().into_iter().collect::<serde_json::Map<_, _>>();
        let identity_ids = parse_id_list(Value::Object(ids_value))?;
        if identity_ids.len() > BATCH_MAX {
            return Err(IdmError::invalid(
                "identity_ids",
                format!("at most {BATCH_MAX}"),
            ));
        }
        if method == EMAIL && mailer.is_none() {
            return Err(IdmError::Unprocessable(
                "EMAIL delivery needs an [email] section in the configuration".into(),
            ));
        }
        self.store().get_realm(at.tenant, at.realm).await?;
        let batch_id = ids::new_id()?;
        let mut jobs = Vec::new();
        let mut results = Vec::new();
        for identity_id in &identity_ids {
            let outcome = match self
                .store()
                .get_identity(at.tenant, at.realm, identity_id)
                .await
            {
                Ok(identity) => self.new_job(
                    config,
                    &identity,
                    &method,
                    redirect.clone(),
                    Some(&batch_id),
                ),
                Err(crate::store::StoreError::NotFound(_)) => {
                    Err(IdmError::NotFound("identity".into()))
                }
                Err(e) => return Err(e.into()),
            };
            match outcome {
                Ok(NewJob { record, token }) => {
                    let mut r =
                        json!({"identity_id": identity_id, "credential_binding_job_id": record.id});
                    if method == RETURN {
                        r["credential_binding_link"] =
                            binding_link(config, at.realm, &token).into();
                    }
                    results.push(r);
                    jobs.push(record);
                }
                Err(e) => results.push(json!({"identity_id": identity_id, "error": {
                    "code": match e { IdmError::NotFound(_) => "not_found", _ => "unprocessable" },
                    "message": e.to_string(),
                }})),
            }
        }
        let now = self.now_us();
        // Links are returned once, never stored: the batch keeps only job ids and errors.
        let stored: Vec<Value> = results
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if let Some(o) = r.as_object_mut() {
                    o.remove("credential_binding_link");
                }
                r
            })
            .collect();
        let batch = BindingBatchRecord {
            id: batch_id.clone(),
            tenant_id: at.tenant.to_string(),
            realm_id: at.realm.to_string(),
            delivery_method: method.clone(),
            results: Value::from(stored).to_string(),
            create_us: now,
        };
        let audit = self.audit(at.change(
            "credential_binding_job.batch_create",
            jobs.iter().map(|j| j.id.clone()).chain([batch_id.clone()]).collect(),
            None,
            Some(json!({"batch_id": batch_id, "delivery_method": method, "jobs": jobs.len(), "errors": identity_ids.len() - jobs.len()})),
        ))?;
        self.store()
            .create_binding_jobs(&jobs, Some(&batch), &audit)
            .await?;
        let mut out = self.batch_json(&batch, &jobs, now);
        out["results"] = Value::from(results);
        Ok(json!({"batch_credential_binding_job": out}))
    }

    fn batch_json(&self, b: &BindingBatchRecord, jobs: &[BindingJobRecord], now: i64) -> Value {
        let mut counts = serde_json::Map::new();
        let mut open = false;
        for j in jobs {
            let v = job_json(j, now);
            let s = v["state"].as_str().unwrap_or_default().to_string();
            open |= OPEN.contains(&s.as_str());
            let n = counts.get(&s).and_then(Value::as_u64).unwrap_or(0);
            counts.insert(s, (n + 1).into());
        }
        json!({
            "id": b.id,
            "realm_id": b.realm_id,
            "tenant_id": b.tenant_id,
            "delivery_method": b.delivery_method,
            "state": if open { "IN_PROGRESS" } else { "DONE" },
            "job_states": counts,
            "create_time": rfc3339(b.create_us),
        })
    }

    /// `GET …/batch-credential-binding-jobs/{id}`: the batch state and, per identity, its
    /// job (current state) or the reason none was made.
    pub async fn get_batch_binding_job(&self, at: &Scope<'_>, id: &str) -> Result<Value, IdmError> {
        let now = self.now_us();
        self.store().expire_binding_jobs(now).await?;
        let batch = self
            .store()
            .get_binding_batch(at.tenant, at.realm, id)
            .await?;
        let jobs = self.store().list_batch_jobs(id).await?;
        let stored: Vec<Value> = serde_json::from_str(&batch.results).unwrap_or_default();
        let results: Vec<Value> = stored
            .into_iter()
            .map(|mut r| {
                let job = r["credential_binding_job_id"]
                    .as_str()
                    .and_then(|jid| jobs.iter().find(|j| j.id == jid));
                if let (Some(j), Some(o)) = (job, r.as_object_mut()) {
                    o.remove("credential_binding_job_id");
                    o.insert("credential_binding_job".into(), job_json(j, now));
                }
                r
            })
            .collect();
        let mut out = self.batch_json(&batch, &jobs, now);
        out["results"] = Value::from(results);
        Ok(json!({"batch_credential_binding_job": out}))
    }
}
