//! Email delivery of binding links: one attempt (recorded, audited, with back-off on
//! failure), and the background pass that (re)sends every job due, each with a fresh token.

use super::super::clock::rfc3339;
use super::super::types::{JobState, Resource};
use super::super::{ids, Actor, Directory, IdmError};
use super::views::job as job_view;
use super::{binding_link, job_context, MailerRef};
use crate::config::Config;
use crate::mail::{LinkMail, Mailer};
use crate::store::{BindingJobRecord, IdentityRecord, RealmRecord, StoreError};

/// Longest wait between two delivery attempts.
const MAX_BACKOFF_US: i64 = 3600 * 1_000_000;
/// Jobs one background pass sends at most.
const PASS_MAX: u32 = 50;

impl Directory {
    /// Sends the link for `job` with `token` and records the outcome (with back-off on
    /// failure). Returns the job as recorded.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn deliver(
        &self,
        config: &Config,
        mailer: MailerRef<'_>,
        realm: &RealmRecord,
        identity: &IdentityRecord,
        mut job: BindingJobRecord,
        token: String,
        actor: &Actor,
    ) -> Result<BindingJobRecord, IdmError> {
        let link = binding_link(config, &job.realm_id, &job.authenticator_config_id, &token);
        // The new token's hash is stored before the mail goes out: a link opened the
        // moment it arrives must already work, and a link whose hash could not be stored is
        // never sent.
        let token_hash = ids::sha256_hex(&token);
        if job.token_hash != token_hash {
            let open = self
                .store()
                .set_binding_token(&job.id, &token_hash, self.now_us())
                .await?;
            if !open {
                return Ok(job);
            }
        }
        let expire_time = rfc3339(job.expire_us);
        let outcome = match (mailer, &identity.traits.primary_email_address) {
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
        job.token_hash = token_hash;
        let action = match outcome {
            Ok(()) => {
                job.state = JobState::LinkSent;
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
                job.state = JobState::FailedToSend;
                job.failure_reason = Some(reason);
                job.next_send_us = Some(now.saturating_add(wait));
                "credential_binding_job.email_failed"
            }
        };
        let audit = self.audit(
            job_context(&job, actor)
                .change(action, vec![job.id.clone()])
                .after(&job_view(&job, now)),
        )?;
        self.store().record_delivery(&job, &audit).await?;
        Ok(job)
    }

    /// Marks every open link whose time has passed `EXPIRED`, and brings its identity's
    /// enrollment status with it (`PENDING` → `UNENROLLED`): first in every round of the
    /// delivery task, mail or no mail (so [`Self::deliver_due`] sees no lapsed job).
    pub async fn expire_binding_links(&self) -> Result<(), IdmError> {
        self.store().expire_binding_jobs(self.now_us()).await?;
        Ok(())
    }

    /// One pass of the delivery task: every EMAIL job due for (re)delivery is sent with a
    /// fresh token. Returns how many were attempted.
    pub async fn deliver_due(&self, config: &Config, mailer: &Mailer) -> Result<usize, IdmError> {
        let now = self.now_us();
        let due = self.store().due_deliveries(now, PASS_MAX).await?;
        let n = due.len();
        for job in due {
            let realm = self.realm_record(&job.tenant_id, &job.realm_id).await?;
            let identity = match self
                .store()
                .get_identity(&job.tenant_id, &job.realm_id, &job.identity_id)
                .await
            {
                Ok(i) => i,
                Err(StoreError::NotFound(Resource::Identity)) => continue,
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
}
