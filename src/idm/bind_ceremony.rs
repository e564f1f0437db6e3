//! The binding ceremony behind `/.passgate/bind` and `/.passgate/api/v1/bind/begin|finish`:
//! a link's token opens the job, begin issues discoverable-credential creation options
//! under a single-use ceremony id, finish verifies the registration and, in one
//! transaction, stores the passkey, completes the job and marks the identity `ENROLLED`.
//!
//! Errors never reveal whether an identity exists: an unknown token is `NotFound`; a used,
//! revoked or expired one is `Gone`; a suspended identity gets the same `Forbidden` whatever
//! the job.

use serde_json::{json, Value};
use webauthn_rs::prelude::{CredentialID, PasskeyRegistration, RegisterPublicKeyCredential};

use super::binding::{job_json, job_scope, with_state, COMPLETE, LINK_OPENED, LINK_SENT};
use super::credentials::{credential_json, new_credential};
use super::identities::identity_json;
use super::webauthn::{check_authenticator, relying_party, require_resident_key, user_handle};
use super::{ids, Actor, Directory, IdmError};
use crate::config::Config;
use crate::store::{
    BindingCompletion, BindingJobRecord, CredentialRecord, IdentityRecord, StoreError,
};

/// The ceremony kind binding stores its state under.
pub const KIND: &str = "bind";
const TOKEN_MAX: usize = 128;

/// What a completed binding yields (the control plane starts a session from it).
pub struct BindOutcome {
    pub identity: IdentityRecord,
    pub credential: CredentialRecord,
    pub redirect: Option<String>,
}

impl BindOutcome {
    /// `{"identity", "passkey", "redirect"}` as `bind/finish` answers.
    pub fn to_json(&self) -> Value {
        json!({
            "identity": identity_json(&self.identity),
            "passkey": credential_json(&self.credential),
            "redirect": self.redirect,
        })
    }
}

fn unusable() -> IdmError {
    IdmError::Gone("this passkey link has already been used, was revoked or has expired".into())
}

fn suspended() -> IdmError {
    IdmError::Forbidden("this passkey link cannot be used: the account is not active".into())
}

fn job_is_usable(job: &BindingJobRecord, now: i64) -> bool {
    (job.state == LINK_SENT || job.state == LINK_OPENED) && job.expire_us > now
}

impl Directory {
    /// The job a link token names, if it can still be used. Unknown: `NotFound`; used,
    /// revoked, expired or never delivered: `Gone`.
    pub async fn binding_job_for_token(&self, token: &str) -> Result<BindingJobRecord, IdmError> {
        let unknown = || IdmError::NotFound("passkey link".into());
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
            return Err(unusable());
        }
        Ok(job)
    }

    /// Opening the link (the page or `bind/begin`): `LINK_SENT` → `LINK_OPENED`, audited.
    pub async fn open_binding_link(&self, token: &str) -> Result<BindingJobRecord, IdmError> {
        let job = self.binding_job_for_token(token).await?;
        // A suspended identity's link says so at once, not only when the button is pressed.
        self.active_identity(&job).await?;
        if job.state == LINK_SENT {
            let now = self.now_us();
            let after = with_state(&job, LINK_OPENED, now);
            let audit = self.audit(job_scope(&job, &Actor::BindingLink).change(
                "credential_binding_job.open",
                vec![job.id.clone()],
                Some(job_json(&job, now)),
                Some(job_json(&after, now)),
            ))?;
            self.store()
                .transition_binding_job(&job.id, &[LINK_SENT], LINK_OPENED, now, Some(&audit))
                .await?;
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
        if identity.status != "active" {
            return Err(suspended());
        }
        Ok(identity)
    }

    /// `bind/begin {"token"}` → `{"ceremony", "publicKey"}`.
    pub async fn begin_binding(&self, config: &Config, token: &str) -> Result<Value, IdmError> {
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
                &identity.id,
                crate::store::PageRequest {
                    size: 100,
                    after: None,
                },
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
                &identity.username,
                &identity.display_name,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(|e| IdmError::Internal(format!("starting registration: {e}")))?;
        let mut options =
            serde_json::to_value(options).map_err(|e| IdmError::Internal(e.to_string()))?;
        let attestation = config
            .realm(&realm.id)
            .is_some_and(|r| r.attestation_required);
        require_resident_key(&mut options, attestation);
        let ceremony = self
            .put_ceremony::<PasskeyRegistration>(KIND, &realm, &job.id, &state)
            .await?;
        Ok(json!({"ceremony": ceremony, "publicKey": options["publicKey"]}))
    }

    /// `bind/finish {"ceremony", "credential"}`: verifies, stores, completes. Of two
    /// finishes for one job (two browsers on one link), exactly one succeeds.
    pub async fn finish_binding(
        &self,
        config: &Config,
        ceremony: &str,
        credential: Value,
        user_agent: Option<&str>,
    ) -> Result<BindOutcome, IdmError> {
        let (record, state) = self
            .take_ceremony::<PasskeyRegistration>(KIND, ceremony)
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
        let response: RegisterPublicKeyCredential = serde_json::from_value(credential.clone())
            .map_err(|e| {
                IdmError::invalid("credential", format!("not a RegistrationResponseJSON: {e}"))
            })?;
        let realm = self
            .store()
            .get_realm(&job.tenant_id, &job.realm_id)
            .await?;
        let rp = relying_party(config, &realm)?;
        let passkey = rp
            .finish_passkey_registration(&response, &state)
            .map_err(|e| {
                IdmError::invalid(
                    "credential",
                    format!("the passkey could not be verified: {e}"),
                )
            })?;
        let now = self.now_us();
        let cred = new_credential(&identity, &passkey, &credential, user_agent, now)?;
        let stored: Value = serde_json::from_str(&cred.passkey).unwrap_or_default();
        check_authenticator(config.realm(&realm.id), &cred.aaguid, &stored)?;
        let mut done = with_state(&job, COMPLETE, now);
        done.credential_id = Some(cred.id.clone());
        let audit = self.audit(job_scope(&job, &Actor::BindingLink).change(
            "credential_binding_job.complete",
            vec![job.id.clone(), identity.id.clone(), cred.id.clone()],
            Some(job_json(&job, now)),
            Some(json!({"job": job_json(&done, now), "credential": credential_json(&cred)})),
        ))?;
        let completion = BindingCompletion {
            job_id: job.id.clone(),
            credential: cred.clone(),
            now_us: now,
        };
        match self.store().complete_binding(&completion, &audit).await {
            Ok(()) => {}
            Err(StoreError::Gone(_)) => return Err(unusable()),
            Err(StoreError::Conflict(_)) => {
                return Err(IdmError::Conflict(
                    "this passkey is already registered to an account".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        let mut identity = identity;
        identity.enrollment_status = "ENROLLED".into();
        identity.update_us = now;
        Ok(BindOutcome {
            identity,
            credential: cred,
            redirect: job.post_binding_redirect_uri,
        })
    }
}
