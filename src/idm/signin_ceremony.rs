//! The sign-in ceremony behind `/.passgate/api/v1/authenticate/begin|finish`: usernameless
//! (discoverable credentials, empty `allowCredentials`) or username-first (the identity's
//! active passkeys), user verification required, state single-use in the store. Finish
//! verifies with webauthn-rs, refuses a revoked passkey or a suspended identity, refuses and
//! audits a sign count that went backwards; the new count and `last_used_time`, the used-up
//! ceremony and the new session are then written in one transaction (the session's record
//! is made by the caller, `SessionService::finish_sign_in`, which then signs its token).

use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PublicKeyCredential, WebauthnError,
};
use webauthn_rs_proto::{AllowCredentials, PublicKeyCredentialRequestOptions};

use super::credentials::{passkey_after_use, SignInCredential};
use super::identities::USERNAME_MAX;
use super::types::{CeremonyKind, CredentialState, Resource};
use super::views;
use super::webauthn::{
    ceremony_gone, check_origin, identity_from_user_handle, relying_party, BegunCeremony,
};
use super::{Actor, Context, Directory, IdmError};
use crate::config::Config;
use crate::metrics::{events, Outcome, SignInMethod};
use crate::store::{
    CredentialRecord, IdentityRecord, PageRequest, SessionRecord, SignInCompletion, StoreError,
};
/// Bytes in a decoy credential id (as many as most authenticators' ids).
const DECOY_ID_LEN: usize = 16;

#[derive(Serialize, Deserialize)]
enum SignInState {
    Discoverable(DiscoverableAuthentication),
    /// For the identity named.
    Passkey(Option<String>, PasskeyAuthentication),
    /// Discoverable, asked for by browser autofill (counted apart in the metrics).
    Autofill(DiscoverableAuthentication),
    /// Discoverable, for a username with no active passkey (a decoy was sent).
    Decoy(DiscoverableAuthentication),
}

impl SignInState {
    fn method(&self) -> SignInMethod {
        match self {
            SignInState::Discoverable(_) => SignInMethod::Usernameless,
            SignInState::Autofill(_) => SignInMethod::Autofill,
            SignInState::Passkey(..) | SignInState::Decoy(_) => SignInMethod::UsernameFirst,
        }
    }
}

/// How a finished ceremony counts: ok, or whose failure (passgate's or the client's).
pub(crate) fn outcome_of<T>(r: &Result<T, IdmError>) -> Outcome {
    match r {
        Ok(_) => Outcome::Ok,
        Err(e) => failure_outcome(e),
    }
}

/// The store's unavailability and internal errors are passgate's; the rest the client's.
pub(crate) fn failure_outcome(e: &IdmError) -> Outcome {
    match e {
        IdmError::Unavailable(_) | IdmError::Internal(_) => Outcome::Error,
        _ => Outcome::Rejected,
    }
}

/// A verified sign-in: who, and with which passkey.
pub struct SignInOutcome {
    pub identity: IdentityRecord,
    pub credential: CredentialRecord,
}

fn not_recognised() -> IdmError {
    IdmError::NotFound {
        resource: Resource::Passkey,
        id: None,
    }
}

fn suspended() -> IdmError {
    IdmError::Forbidden("This account is suspended.".into())
}

fn context_of<'a>(record: &'a crate::store::CeremonyRecord) -> Context<'a> {
    Context {
        tenant: &record.tenant_id,
        realm: &record.realm_id,
        actor: &Actor::SignIn,
    }
}

impl Directory {
    /// `authenticate/begin`: `{}` (usernameless) or `{"username"}` → `{"ceremony",
    /// "publicKey"}` for `realm`. An unknown username gets options naming a decoy
    /// credential (nothing that says the name does not exist); no authenticator holds it,
    /// and a response for any other credential fails as "not recognised" unless it is a
    /// discoverable passkey of this realm (then it signs in as usernameless would).
    /// `autofill`: a usernameless request made for browser autofill (conditional
    /// mediation); it is the same ceremony, counted apart.
    pub async fn begin_sign_in(
        &self,
        config: &Config,
        tenant: &str,
        realm: &str,
        username: Option<&str>,
        autofill: bool,
    ) -> Result<BegunCeremony<PublicKeyCredentialRequestOptions>, IdmError> {
        let realm = self.realm_record(tenant, realm).await?;
        let rp = relying_party(config, &realm)?;
        let internal = |e: WebauthnError| IdmError::Internal(format!("starting sign-in: {e}"));
        let username = username.map(str::trim).filter(|u| !u.is_empty());
        if username.is_some_and(|u| u.len() > USERNAME_MAX) {
            return Err(IdmError::invalid("username", "is too long"));
        }
        let passkeys = match username {
            Some(u) => self.active_passkeys(tenant, &realm.id, u).await?,
            None => None,
        };
        let (options, state, decoy) = match passkeys {
            Some((identity, keys)) if !keys.is_empty() => {
                let (options, state) = rp.start_passkey_authentication(&keys).map_err(internal)?;
                (options, SignInState::Passkey(Some(identity), state), None)
            }
            _ => {
                let (options, state) = rp.start_discoverable_authentication().map_err(internal)?;
                let state = match (username, autofill) {
                    (Some(_), _) => SignInState::Decoy(state),
                    (None, true) => SignInState::Autofill(state),
                    (None, false) => SignInState::Discoverable(state),
                };
                (options, state, username)
            }
        };
        // Only the options go out: webauthn-rs's top-level `mediation` ("conditional" for
        // discoverable requests) does not; the page decides (button: none; autofill:
        // conditional).
        let mut public_key = options.public_key;
        if let Some(name) = decoy {
            // A name that matches no one, or no active passkey, gets a made-up credential
            // in place of a real one: the answer does not tell whether the name exists.
            public_key.allow_credentials = vec![self.decoy_credential(&realm.id, name).await?];
        } else {
            // webauthn-rs lists transports for passkeys registered with attestation; a
            // decoy has none to list, so real entries go without them too.
            for entry in &mut public_key.allow_credentials {
                entry.transports = None;
            }
        }
        let ceremony = self
            .put_ceremony(CeremonyKind::SignIn, &realm, "", &state)
            .await?;
        Ok(BegunCeremony {
            ceremony,
            public_key,
        })
    }

    /// `allowCredentials` for a name without passkeys: one credential id of the usual
    /// length, the same for the same name (any letter case) on every call and every
    /// instance sharing the store, different per name and per deployment (derived from
    /// the oldest signing key, which no one outside holds). It changes only when that key
    /// is pruned after a rotation.
    async fn decoy_credential(
        &self,
        realm: &str,
        username: &str,
    ) -> Result<AllowCredentials, IdmError> {
        use sha2::{Digest, Sha256};
        let keys = self.store().list_signing_keys().await?;
        let seed = keys
            .iter()
            .min_by(|a, b| (a.create_us, &a.kid).cmp(&(b.create_us, &b.kid)))
            .map(|k| k.private_pkcs8.as_str())
            .unwrap_or_default();
        let mut h = Sha256::new();
        for part in [
            "passgate decoy credential",
            seed,
            realm,
            &username.to_lowercase(),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        Ok(AllowCredentials {
            type_: "public-key".into(),
            id: h.finalize()[..DECOY_ID_LEN].to_vec(),
            transports: None,
        })
    }

    /// The identity's active passkeys, when `username` names an active identity.
    async fn active_passkeys(
        &self,
        tenant: &str,
        realm: &str,
        username: &str,
    ) -> Result<Option<(String, Vec<webauthn_rs::prelude::Passkey>)>, IdmError> {
        let identity = match self
            .store()
            .find_identity_by_username(tenant, realm, username)
            .await
        {
            Ok(i) => i,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let creds = self
            .store()
            .list_credentials(tenant, realm, Some(&identity.id), PageRequest::first(100))
            .await?;
        let keys = creds
            .items
            .iter()
            .filter(|c| c.state == CredentialState::Active)
            .filter_map(|c| serde_json::from_str(&c.passkey).ok())
            .collect();
        Ok(Some((identity.id, keys)))
    }

    /// `authenticate/finish`: verifies the assertion for the single-use ceremony and
    /// writes the result in one store transaction (one flush to disk): the ceremony used
    /// up, the passkey's new counter and `last_used_time`, and the session `session` makes
    /// for the identity, the passkey's `credentials.id` and the time. Counts the result by
    /// method (`passgate_sign_ins_total`). A ceremony is never tried twice: a finish that
    /// fails uses it up too.
    pub async fn finish_sign_in(
        &self,
        config: &Config,
        ceremony: &str,
        response: PublicKeyCredential,
        session: impl FnOnce(&IdentityRecord, &str, i64) -> Result<SessionRecord, IdmError>,
    ) -> Result<(SignInOutcome, SessionRecord), IdmError> {
        let (record, state) = match self
            .peek_ceremony::<SignInState>(CeremonyKind::SignIn, ceremony)
            .await
        {
            Ok(read) => read,
            Err(e) => {
                if !matches!(e, IdmError::Gone(_)) {
                    // Its state unreadable, or the store failing: used up if it can be.
                    self.abandon_after_failure(ceremony).await;
                }
                events().sign_in(SignInMethod::Unknown, failure_outcome(&e));
                return Err(e);
            }
        };
        let method = state.method();
        let result = self
            .verify_and_complete(config, record, state, response, session)
            .await;
        if result.is_err() {
            self.abandon_after_failure(ceremony).await;
        }
        events().sign_in(method, outcome_of(&result));
        result
    }

    /// Uses up a ceremony whose finish failed; a store that cannot do it now leaves it to
    /// expire (the failure the caller reports is the first one).
    async fn abandon_after_failure(&self, ceremony: &str) {
        if let Err(e) = self.abandon_ceremony(ceremony).await {
            tracing::debug!(error = %e, "a failed sign-in's ceremony could not be used up");
        }
    }

    async fn verify_and_complete(
        &self,
        config: &Config,
        record: crate::store::CeremonyRecord,
        state: SignInState,
        response: PublicKeyCredential,
        session: impl FnOnce(&IdentityRecord, &str, i64) -> Result<SessionRecord, IdmError>,
    ) -> Result<(SignInOutcome, SessionRecord), IdmError> {
        let (outcome, passkey) = self
            .verify_sign_in(config, &record, state, response)
            .await?;
        let now = self.now_us();
        let session = session(&outcome.identity, &outcome.credential.id, now)?;
        let (stored, sign_count) = passkey_after_use(&passkey)?;
        let completion = SignInCompletion {
            ceremony_id: record.id,
            credential: outcome.credential.id.clone(),
            sign_count,
            passkey: stored,
            session,
            now_us: now,
        };
        match self.store().complete_sign_in(&completion).await {
            Ok(()) => Ok((outcome, completion.session)),
            Err(StoreError::NotFound(Resource::Ceremony)) => Err(ceremony_gone()),
            // Revoked, or its identity suspended, since it was read.
            Err(StoreError::NotFound(Resource::Credential)) => Err(not_recognised()),
            Err(e) => Err(e.into()),
        }
    }

    /// Verifies the assertion against the ceremony's state and the stored passkey; writes
    /// nothing but the audit record of a counter that went backwards. Returns the passkey
    /// as updated by the sign-in.
    async fn verify_sign_in(
        &self,
        config: &Config,
        record: &crate::store::CeremonyRecord,
        state: SignInState,
        response: PublicKeyCredential,
    ) -> Result<(SignInOutcome, Passkey), IdmError> {
        let realm = self
            .realm_record(&record.tenant_id, &record.realm_id)
            .await?;
        let rp = relying_party(config, &realm)?;
        check_origin(config, &realm, &response.response.client_data_json)?;
        let presented = data_encoding::BASE64URL_NOPAD.encode(response.get_credential_id());
        let SignInCredential {
            record: cred,
            mut passkey,
        } = self
            .credential_for_sign_in(&record.tenant_id, &record.realm_id, &presented)
            .await?;
        let result = match state {
            SignInState::Discoverable(state)
            | SignInState::Autofill(state)
            | SignInState::Decoy(state) => {
                let (handle, _) = rp
                    .identify_discoverable_authentication(&response)
                    .map_err(|_| not_recognised())?;
                if identity_from_user_handle(handle.as_bytes()).as_deref()
                    != Some(cred.identity_id.as_str())
                {
                    return Err(not_recognised());
                }
                rp.finish_discoverable_authentication_v2(&response, state, &passkey)
            }
            SignInState::Passkey(identity, state) => {
                if identity.as_deref() != Some(cred.identity_id.as_str()) {
                    return Err(not_recognised());
                }
                rp.finish_passkey_authentication(&response, &state)
            }
        };
        let result = match result {
            Ok(r) => r,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                // The same answer finished a moment ago (a double submit) has moved the
                // counter to this one's value: that is a used ceremony, not a copied key.
                match self.store().peek_ceremony(&record.id, self.now_us()).await {
                    Ok(_) => {}
                    Err(StoreError::NotFound(_)) => return Err(ceremony_gone()),
                    Err(e) => return Err(e.into()),
                }
                let audit = self.audit(
                    context_of(record)
                        .change(
                            "credential.counter_regression",
                            vec![cred.id.clone(), cred.identity_id.clone()],
                        )
                        .before(&views::credential(&cred)),
                )?;
                self.store().insert_audit(&audit).await?;
                tracing::warn!(credential = %cred.id, identity = %cred.identity_id,
                    "sign-in refused: the passkey's signature counter went backwards (cloned?)");
                return Err(IdmError::Forbidden(
                    "This passkey cannot be used: its signature counter went backwards (it may have been copied).".into(),
                ));
            }
            Err(e) => {
                return Err(IdmError::invalid(
                    "credential",
                    format!("the passkey could not be verified: {e}"),
                ))
            }
        };
        if !result.user_verified() {
            return Err(IdmError::invalid(
                "credential",
                "user verification (PIN or biometrics) is required",
            ));
        }
        let identity = self
            .store()
            .get_identity(&record.tenant_id, &record.realm_id, &cred.identity_id)
            .await?;
        if !identity.status.is_active() {
            return Err(suspended());
        }
        passkey.update_credential(&result);
        Ok((
            SignInOutcome {
                identity,
                credential: cred,
            },
            passkey,
        ))
    }
}
