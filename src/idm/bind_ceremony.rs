//! The binding ceremony behind `/.passgate/bind` and `/.passgate/api/v1/bind/begin|finish`:
//! a link's token opens the job, begin issues discoverable-credential creation options
//! under a single-use ceremony id, finish verifies the registration and, in one
//! transaction, stores the passkey, completes the job and marks the identity `ENROLLED`.
//!
//! Errors never reveal whether an identity exists: an unknown token is `NotFound`; a used,
//! revoked or expired one is `Gone`; a suspended identity gets the same `Forbidden` whatever
//! the job.

use webauthn_rs::prelude::{CredentialID, PasskeyRegistration, RegisterPublicKeyCredential};
use webauthn_rs_proto::PublicKeyCredentialCreationOptions;

use super::binding::views::job as job_view;
use super::binding::{job_context, with_state};
use super::credentials::{new_credential, RegistrationFacts};
use super::signin_ceremony::outcome_of;
use super::types::{CeremonyKind, EnrollmentStatus, IdentityStatus, JobState, Resource};
use super::views;
use super::webauthn::{
    check_authenticator, check_origin, relying_party, require_resident_key, user_handle,
    BegunCeremony,
};
use super::{ids, Actor, Directory, IdmError};
use crate::config::Config;
use crate::metrics::{events, LinkEvent};
use crate::store::{
    BindingCompletion, BindingJobRecord, CredentialRecord, IdentityRecord, PageRequest, StoreError,
};

const TOKEN_MAX: usize = 128;

/// A registration response: webauthn-rs's form (what it verifies) and what passgate keeps
/// besides (the AAGUID's attestation object, the transport hints).
#[derive(Debug, Clone)]
pub struct Registration {
    pub credential: RegisterPublicKeyCredential,
    pub facts: RegistrationFacts,
}

/// What a completed binding yields (the control plane starts a session from it).
pub struct BindOutcome {
    pub identity: IdentityRecord,
    pub credential: CredentialRecord,
    pub redirect: Option<String>,
}

fn unusable() -> IdmError {
    IdmError::Gone("this passkey link has already been used, was revoked or has expired".into())
}

fn suspended() -> IdmError {
    IdmError::Forbidden("this passkey link cannot be used: the account is not active".into())
}

fn job_is_usable(job: &BindingJobRecord, now: i64) -> bool {
    JobState::USABLE.contains(&job.state) && job.expire_us > now
}

impl Directory {
    /// The job a link token names, if it can still be used. Unknown (or replaced by a
    /// retried mail's): `NotFound`; used, revoked or expired: `Gone`.
    pub async fn binding_job_for_token(&self, token: &str) -> Result<BindingJobRecord, IdmError> {
        let unknown = || IdmError::NotFound {
            resource: Resource::PasskeyLink,
            id: None,
        };
        if token.is_empty() || token.len() > TOKEN_MAX {
            return Err(unknown());
        }
        let job = match self
            .store()
            .find_binding_job_by_token(&ids::sha256_hex(token))
            .await
        {
            Ok(j) => j,
            Err(StoreError::NotFound(_)) => return Err(unknown()),
            Err(e) => return Err(e.into()),
        };
        if !job_is_usable(&job, self.now_us()) {
            if JobState::USABLE.contains(&job.state) || job.state == JobState::Expired {
                events().link(LinkEvent::Expired, 1);
            }
            return Err(unusable());
        }
        Ok(job)
    }

    /// Opening the link (the page or `bind/begin`): `LINK_SENT` → `LINK_OPENED`, audited.
    /// A `FAILED_TO_SEND` link opened was delivered after all (only the server's reply
    /// was lost): `LINK_OPENED` too, which also stops its retries.
    pub async fn open_binding_link(&self, token: &str) -> Result<BindingJobRecord, IdmError> {
        let job = self.binding_job_for_token(token).await?;
        // A suspended identity's link says so at once, not only when the button is pressed.
        self.active_identity(&job).await?;
        if matches!(job.state, JobState::LinkSent | JobState::FailedToSend) {
            let now = self.now_us();
            let after = with_state(&job, JobState::LinkOpened, now);
            let audit = self.audit(
                job_context(&job, &Actor::BindingLink)
                    .change("credential_binding_job.open", vec![job.id.clone()])
                    .before(&job_view(&job, now))
                    .after(&job_view(&after, now)),
            )?;
            let (from, to) = ([job.state], JobState::LinkOpened);
            if self
                .store()
                .transition_binding_job(&job.id, &from, to, now, Some(&audit))
                .await?
            {
                events().link(LinkEvent::Opened, 1);
            }
            return Ok(after);
        }
        Ok(job)
    }

    /// The job's identity, which must be active to bind.
    async fn active_identity(&self, job: &BindingJobRecord) -> Result<IdentityRecord, IdmError> {
        let identity = self
            .store()
            .get_identity(&job.tenant_id, &job.realm_id, &job.identity_id)
            .await?;
        if identity.status != IdentityStatus::Active {
            return Err(suspended());
        }
        Ok(identity)
    }

    /// `bind/begin {"token"}`: the ceremony id and the creation options.
    pub async fn begin_binding(
        &self,
        config: &Config,
        token: &str,
    ) -> Result<BegunCeremony<PublicKeyCredentialCreationOptions>, IdmError> {
        let job = self.open_binding_link(token).await?;
        let identity = self.active_identity(&job).await?;
        let realm = self
            .store()
            .get_realm(&job.tenant_id, &job.realm_id)
            .await?;
        let rp = relying_party(config, &realm)?;
        let existing = self
            .store()
            .list_credentials(
                &job.tenant_id,
                &job.realm_id,
                Some(&identity.id),
                PageRequest::first(100),
            )
            .await?;
        let exclude: Vec<CredentialID> = existing
            .items
            .iter()
            .filter_map(|c| {
                data_encoding::BASE64URL_NOPAD
                    .decode(c.credential_id.as_bytes())
                    .ok()
            })
            .collect();
        let (options, state) = rp
            .start_passkey_registration(
                user_handle(&identity.id)?,
                &identity.traits.username,
                &identity.display_name,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(|e| IdmError::Internal(format!("starting registration: {e}")))?;
        let attestation = config
            .realm(&realm.id)
            .is_some_and(|r| r.attestation_required);
        let public_key = require_resident_key(options, attestation);
        let ceremony = self
            .put_ceremony::<PasskeyRegistration>(CeremonyKind::Bind, &realm, &job.id, &state)
            .await?;
        Ok(BegunCeremony {
            ceremony,
            public_key,
        })
    }

    /// `bind/finish {"ceremony", "credential"}`: verifies, stores, completes. Of two
    /// finishes for one job (two browsers on one link), exactly one succeeds.
    /// Counted in `passgate_bindings_total` (and a completion as a link `used`).
    pub async fn finish_binding(
        &self,
        config: &Config,
        ceremony: &str,
        registration: Registration,
        user_agent: Option<&str>,
    ) -> Result<BindOutcome, IdmError> {
        let result = self
            .complete_binding_ceremony(config, ceremony, registration, user_agent)
            .await;
        events().binding(outcome_of(&result));
        if result.is_ok() {
            events().link(LinkEvent::Used, 1);
        }
        result
    }

    async fn complete_binding_ceremony(
        &self,
        config: &Config,
        ceremony: &str,
        registration: Registration,
        user_agent: Option<&str>,
    ) -> Result<BindOutcome, IdmError> {
        let (record, state) = self
            .take_ceremony::<PasskeyRegistration>(CeremonyKind::Bind, ceremony)
            .await?;
        let job = self
            .store()
            .get_binding_job(&record.tenant_id, &record.realm_id, &record.subject)
            .await
            .map_err(|_| unusable())?;
        if !job_is_usable(&job, self.now_us()) {
            return Err(unusable());
        }
        let identity = self.active_identity(&job).await?;
        let realm = self
            .store()
            .get_realm(&job.tenant_id, &job.realm_id)
            .await?;
        let rp = relying_party(config, &realm)?;
        check_origin(
            config,
            &realm,
            &registration.credential.response.client_data_json,
        )?;
        let passkey = rp
            .finish_passkey_registration(&registration.credential, &state)
            .map_err(|e| {
                IdmError::invalid(
                    "credential",
                    format!("the passkey could not be verified: {e}"),
                )
            })?;
        let now = self.now_us();
        let cred = new_credential(&identity, &passkey, &registration.facts, user_agent, now)?;
        check_authenticator(config.realm(&realm.id), &cred.aaguid, &cred.passkey)?;
        let mut done = with_state(&job, JobState::Complete, now);
        done.credential_id = Some(cred.id.clone());
        #[derive(serde::Serialize)]
        struct Completed<'a> {
            job: super::binding::views::JobView<'a>,
            credential: views::CredentialView<'a>,
        }
        let audit = self.audit(
            job_context(&job, &Actor::BindingLink)
                .change(
                    "credential_binding_job.complete",
                    vec![job.id.clone(), identity.id.clone(), cred.id.clone()],
                )
                .before(&job_view(&job, now))
                .after(&Completed {
                    job: job_view(&done, now),
                    credential: views::credential(&cred),
                }),
        )?;
        let completion = BindingCompletion {
            job_id: job.id.clone(),
            credential: cred.clone(),
            now_us: now,
        };
        match self.store().complete_binding(&completion, &audit).await {
            Ok(()) => {}
            Err(StoreError::Gone(_)) => return Err(unusable()),
            Err(e) => return Err(e.into()),
        }
        let mut identity = identity;
        identity.enrollment_status = EnrollmentStatus::Enrolled;
        identity.version += 1;
        identity.update_us = now;
        Ok(BindOutcome {
            identity,
            credential: cred,
            redirect: job.post_binding_redirect_uri,
        })
    }
}
