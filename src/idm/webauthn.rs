//! The WebAuthn layer shared by binding (registration) and sign-in (authentication): a
//! `webauthn_rs::Webauthn` per realm, and ceremony state kept in the store.
//!
//! **Relying party.** [`relying_party`] builds the realm's `Webauthn`: RP id and name from
//! the realm, allowed origins as [`super::origins`] explains (passgate's own, subdomains of
//! them under a wildcard route, and the trusted origins of the realm's embedded
//! authenticator configurations, exactly).
//!
//! **Ceremonies.** [`Directory::put_ceremony`] stores serialised webauthn-rs state under a
//! random 256-bit id with an expiry; [`Directory::take_ceremony`] reads and deletes it in
//! one statement, so an id is single use even when webauthn-rs would accept the same
//! response twice, and any instance sharing the store can finish what another began.
//!
//! **User handle.** The WebAuthn user id of an identity is its 128-bit id (the 32 hex
//! digits parsed as a UUID): [`user_handle`] and [`identity_from_user_handle`].

use serde::de::DeserializeOwned;
use serde::Serialize;
use webauthn_rs::prelude::{CreationChallengeResponse, Url, Uuid};
use webauthn_rs::{Webauthn, WebauthnBuilder};
use webauthn_rs_proto::{
    AttestationConveyancePreference, PublicKeyCredentialCreationOptions, ResidentKeyRequirement,
    UserVerificationPolicy,
};

use super::types::{CeremonyKind, Resource};
use super::{ids, Directory, IdmError};

pub use super::origins::{check_origin, passgate_origins};
use crate::config::Config;
use crate::store::{CeremonyRecord, RealmRecord, StoreError};

/// A begun ceremony: its single-use id and the options for `navigator.credentials`
/// (`PublicKeyCredentialCreationOptions` to bind, `…RequestOptions` to sign in).
#[derive(Debug, Clone)]
pub struct BegunCeremony<O> {
    pub ceremony: String,
    pub public_key: O,
}

/// How long a ceremony may take from begin to finish.
pub const CEREMONY_TTL_SECS: i64 = 300;

/// The realm's relying party.
pub fn relying_party(config: &Config, realm: &RealmRecord) -> Result<Webauthn, IdmError> {
    let (mut origins, subdomains) = passgate_origins(config, &realm.rp_id)?;
    for o in config
        .realm(&realm.id)
        .into_iter()
        .flat_map(|r| r.trusted_origins())
    {
        let o = Url::parse(o).map_err(|e| IdmError::Internal(format!("origin {o}: {e}")))?;
        if !origins.contains(&o) {
            origins.push(o);
        }
    }
    let internal = |e: webauthn_rs::prelude::WebauthnError| {
        IdmError::Internal(format!("relying party for realm {}: {e}", realm.id))
    };
    let mut builder = WebauthnBuilder::new(&realm.rp_id, &origins[0])
        .map_err(internal)?
        .rp_name(&realm.rp_name)
        .allow_subdomains(subdomains);
    for o in &origins[1..] {
        builder = builder.append_allowed_origin(o);
    }
    builder.build().map_err(internal)
}

/// webauthn-rs's creation options, made to ask for a discoverable passkey (usernameless
/// sign-in needs one) with user verification, and `none` attestation (`direct` when the
/// realm requires attestation).
pub fn require_resident_key(
    options: CreationChallengeResponse,
    attestation_required: bool,
) -> PublicKeyCredentialCreationOptions {
    let mut pk = options.public_key;
    let mut sel = pk.authenticator_selection.take().unwrap_or_default();
    sel.resident_key = Some(ResidentKeyRequirement::Required);
    sel.require_resident_key = true;
    sel.user_verification = UserVerificationPolicy::Required;
    pk.authenticator_selection = Some(sel);
    pk.attestation = Some(if attestation_required {
        AttestationConveyancePreference::Direct
    } else {
        AttestationConveyancePreference::None
    });
    pk
}

/// Whether the verified attestation in a stored passkey (webauthn-rs's JSON) carries a
/// certificate (`Basic`, `AttCa`, … in webauthn-rs terms: the variants with data), not
/// `None` or self attestation.
fn has_attestation_certificate(passkey: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Stored {
        cred: Cred,
    }
    #[derive(serde::Deserialize)]
    struct Cred {
        attestation: Attestation,
    }
    #[derive(serde::Deserialize)]
    struct Attestation {
        data: Data,
    }
    /// webauthn-rs's serialised attestation kinds: those with a certificate chain carry it.
    #[derive(serde::Deserialize)]
    #[allow(dead_code, clippy::upper_case_acronyms)]
    enum Data {
        Basic(serde::de::IgnoredAny),
        AttCa(serde::de::IgnoredAny),
        AnonCa(serde::de::IgnoredAny),
        Self_,
        ECDAA,
        None,
        Uncertain,
    }
    serde_json::from_str::<Stored>(passkey).is_ok_and(|s| {
        matches!(
            s.cred.attestation.data,
            Data::Basic(_) | Data::AttCa(_) | Data::AnonCa(_)
        )
    })
}

/// The realm's authenticator policy for a new passkey: with `attestation = "direct"`, the
/// verified attestation must carry a certificate (`Basic`/`AttCa`/… in webauthn-rs terms,
/// not `None` or self attestation); with `allowed_aaguids`, the AAGUID must be listed.
/// Without vendor roots the certificate chain is not checked, so the AAGUID is a policy
/// filter against honest authenticators, not proof of the make.
pub fn check_authenticator(
    realm: Option<&crate::config::Realm>,
    aaguid: &str,
    passkey: &str,
) -> Result<(), IdmError> {
    let Some(realm) = realm else {
        return Ok(());
    };
    if realm.attestation_required && !has_attestation_certificate(passkey) {
        return Err(IdmError::invalid(
            "credential",
            "this realm requires an authenticator that provides attestation",
        ));
    }
    if !realm.allowed_aaguids.is_empty() && !realm.allowed_aaguids.iter().any(|a| a == aaguid) {
        return Err(IdmError::invalid(
            "credential",
            format!("authenticators of this kind (AAGUID {aaguid}) are not allowed in this realm"),
        ));
    }
    Ok(())
}

/// The WebAuthn user handle of identity `id` (its 128 bits as a UUID).
pub fn user_handle(identity_id: &str) -> Result<Uuid, IdmError> {
    Uuid::try_parse(identity_id)
        .map_err(|_| IdmError::Internal(format!("identity id {identity_id} is not 128-bit hex")))
}

/// The identity id a user handle (raw bytes) names.
pub fn identity_from_user_handle(handle: &[u8]) -> Option<String> {
    Uuid::from_slice(handle)
        .ok()
        .map(|u| u.simple().to_string())
}

impl Directory {
    /// Stores `state` for a new ceremony of `kind` about `subject`; returns its id.
    pub async fn put_ceremony<T: Serialize>(
        &self,
        kind: CeremonyKind,
        realm: &RealmRecord,
        subject: &str,
        state: &T,
    ) -> Result<String, IdmError> {
        let id = ids::new_secret()?;
        let record = CeremonyRecord {
            id: id.clone(),
            kind,
            tenant_id: realm.tenant_id.clone(),
            realm_id: realm.id.clone(),
            subject: subject.to_string(),
            state: serde_json::to_string(state).map_err(|e| IdmError::Internal(e.to_string()))?,
            expire_us: self.now_us() + CEREMONY_TTL_SECS * 1_000_000,
        };
        self.store().put_ceremony(&record).await?;
        Ok(id)
    }

    /// Ends ceremony `id` unused (its finish came malformed): an id is never tried twice.
    pub async fn abandon_ceremony(&self, id: &str) -> Result<(), IdmError> {
        if id.is_empty() || id.len() > 128 {
            return Ok(());
        }
        match self.store().take_ceremony(id, self.now_us()).await {
            Ok(_) | Err(StoreError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads the unexpired ceremony `id` of `kind` without using it up (sign-in uses it up
    /// in the transaction that writes the result). Unknown, used, expired or of another
    /// kind: `Gone`.
    pub async fn peek_ceremony<T: DeserializeOwned>(
        &self,
        kind: CeremonyKind,
        id: &str,
    ) -> Result<(CeremonyRecord, T), IdmError> {
        self.ceremony(kind, id, false).await
    }

    /// Takes (once) the unexpired ceremony `id` of `kind`: its record and its state.
    /// Unknown, used, expired or of another kind: `Gone`.
    pub async fn take_ceremony<T: DeserializeOwned>(
        &self,
        kind: CeremonyKind,
        id: &str,
    ) -> Result<(CeremonyRecord, T), IdmError> {
        self.ceremony(kind, id, true).await
    }

    /// The ceremony `id` of `kind`, taken (deleted) or only read.
    async fn ceremony<T: DeserializeOwned>(
        &self,
        kind: CeremonyKind,
        id: &str,
        take: bool,
    ) -> Result<(CeremonyRecord, T), IdmError> {
        if id.is_empty() || id.len() > 128 {
            return Err(ceremony_gone());
        }
        let now = self.now_us();
        let found = if take {
            self.store().take_ceremony(id, now).await
        } else {
            self.store().peek_ceremony(id, now).await
        };
        let record = match found {
            Ok(r) => r,
            Err(StoreError::NotFound(Resource::Ceremony)) => return Err(ceremony_gone()),
            Err(e) => return Err(e.into()),
        };
        if record.kind != kind {
            return Err(ceremony_gone());
        }
        let state = serde_json::from_str(&record.state)
            .map_err(|e| IdmError::Internal(format!("ceremony state: {e}")))?;
        Ok((record, state))
    }
}

/// What a finish of an unknown, used or expired ceremony gets.
pub(crate) fn ceremony_gone() -> IdmError {
    IdmError::Gone("the ceremony is unknown, used or expired; start again".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_discoverable_and_verified() {
        let config = crate::config::from_str(
            "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n",
            std::path::Path::new("."),
        )
        .unwrap();
        let realm = RealmRecord {
            tenant_id: "default".into(),
            id: "default".into(),
            display_name: "d".into(),
            rp_id: "localhost".into(),
            rp_name: "passgate".into(),
            from_config: true,
            create_us: 0,
            update_us: 0,
        };
        let rp = relying_party(&config, &realm).unwrap();
        let begin = || {
            rp.start_passkey_registration(Uuid::nil(), "a", "A", None)
                .unwrap()
                .0
        };
        let v = serde_json::to_value(require_resident_key(begin(), false)).unwrap();
        let sel = &v["authenticatorSelection"];
        assert_eq!(sel["residentKey"], "required");
        assert_eq!(sel["requireResidentKey"], true);
        assert_eq!(sel["userVerification"], "required");
        assert_eq!(v["attestation"], "none");
        let v = serde_json::to_value(require_resident_key(begin(), true)).unwrap();
        assert_eq!(v["attestation"], "direct");
    }

    #[test]
    fn user_handles_round_trip() {
        let id = "0123456789abcdef0123456789abcdef";
        let u = user_handle(id).unwrap();
        assert_eq!(identity_from_user_handle(u.as_bytes()).unwrap(), id);
        assert!(identity_from_user_handle(b"short").is_none());
    }
}
