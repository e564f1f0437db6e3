//! Credentials (passkeys): the record a binding creates from webauthn-rs's `Passkey` (with
//! the AAGUID, transports, backup flags and a default name), the public key as a JWK (for
//! the views), listing, `:revoke`, and the lookups sign-in uses
//! ([`Directory::credential_for_sign_in`], [`passkey_after_use`]).

use data_encoding::{BASE64URL, BASE64URL_NOPAD, HEXLOWER};
use webauthn_rs::prelude::{COSEKey, COSEKeyType, ECDSACurve, EDDSACurve, Passkey};

use super::error::about;
use super::paging::{page_request, Listing};
use super::types::{CredentialState, Resource};
use super::{ids, views, Context, Directory, IdmError};
use crate::store::{AuditRecord, CredentialRecord, IdentityRecord, StoreError};

/// Transport hints kept per passkey, and the longest one.
const TRANSPORTS_MAX: usize = 8;
const TRANSPORT_LEN_MAX: usize = 32;

/// The public key as a JWK (RFC 7517, members in lexicographic order) and the base64url
/// of its SHA-256 thumbprint (RFC 7638, padded as Beyond Identity shows it). `None` for a
/// key that cannot be read or has no JWK form here.
pub fn jwk(c: &CredentialRecord) -> Option<(String, String)> {
    let bytes = BASE64URL_NOPAD.decode(c.public_key.as_bytes()).ok()?;
    let key: COSEKey = serde_json::from_slice(&bytes).ok()?;
    let b64 = |b: &[u8]| BASE64URL_NOPAD.encode(b);
    // The thumbprint input is exactly these members in this order (RFC 7638 §3.2).
    let json = match &key.key {
        COSEKeyType::EC_EC2(ec) => {
            let crv = match ec.curve {
                ECDSACurve::SECP256R1 => "P-256",
                ECDSACurve::SECP384R1 => "P-384",
                ECDSACurve::SECP521R1 => "P-521",
            };
            format!(
                r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#,
                b64(&ec.x),
                b64(&ec.y)
            )
        }
        COSEKeyType::EC_OKP(okp) => {
            let crv = match okp.curve {
                EDDSACurve::ED25519 => "Ed25519",
                EDDSACurve::ED448 => "Ed448",
            };
            format!(r#"{{"crv":"{crv}","kty":"OKP","x":"{}"}}"#, b64(&okp.x))
        }
        COSEKeyType::RSA(rsa) => {
            format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                b64(&rsa.e),
                b64(&rsa.n)
            )
        }
    };
    let digest = ring::digest::digest(&ring::digest::SHA256, json.as_bytes());
    Some((json.clone(), BASE64URL.encode(digest.as_ref())))
}

/// The AAGUID in a CBOR attestation object (its `authData`: rpIdHash 32, flags 1,
/// counter 4, then the 16-byte AAGUID), as a UUID string; all zeros when absent.
pub fn aaguid_of(attestation_object: &[u8]) -> String {
    const KEY: &[u8] = b"\x68authData";
    let bytes = attestation_object
        .windows(KEY.len())
        .position(|w| w == KEY)
        .map(|i| &attestation_object[i + KEY.len()..])
        .and_then(|rest| {
            let (len, skip) = match *rest.first()? {
                0x58 => (usize::from(*rest.get(1)?), 2),
                0x59 => (
                    usize::from(u16::from_be_bytes([*rest.get(1)?, *rest.get(2)?])),
                    3,
                ),
                b @ 0x40..=0x57 => (usize::from(b - 0x40), 1),
                _ => return None,
            };
            let data = rest.get(skip..skip + len)?;
            data.get(37..53).map(<[u8]>::to_vec)
        })
        .unwrap_or_else(|| vec![0; 16]);
    let hex = HEXLOWER.encode(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A friendly default name: the authenticator's product when the AAGUID is well known,
/// else the browser and platform from the user agent.
pub fn default_name(aaguid: &str, user_agent: Option<&str>) -> String {
    let known = [
        ("fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "iCloud Keychain"),
        (
            "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
            "Google Password Manager",
        ),
        ("08987058-cadc-4b81-b6e1-30de50dcbe96", "Windows Hello"),
        ("9ddd1817-af5a-4672-a2b9-3e3dd95000a9", "Windows Hello"),
        ("bada5566-a7aa-401f-bd96-45619a55120d", "1Password"),
        ("d548826e-79b4-db40-a3d8-11116f7e8349", "Bitwarden"),
        ("531126d6-e717-415c-9320-3d9aa6981239", "Dashlane"),
        ("adce0002-35bc-c60a-648b-0b25f1f05503", "Chrome on Mac"),
        ("cb69481e-8ff7-4039-93ec-0a2729a154a8", "YubiKey 5"),
        ("ee882879-721c-4913-9775-3dfcce97072a", "YubiKey 5"),
    ];
    if let Some((_, name)) = known.iter().find(|(id, _)| *id == aaguid) {
        return (*name).to_string();
    }
    let ua = user_agent.unwrap_or_default();
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, n)| *n);
    let platform = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS X", "macOS"),
        ("Windows", "Windows"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, n)| *n);
    match (browser, platform) {
        (Some(b), Some(p)) => format!("Passkey ({b} on {p})"),
        (Some(n), None) | (None, Some(n)) => format!("Passkey ({n})"),
        (None, None) => "Passkey".into(),
    }
}

/// The parts of webauthn-rs's stored `Passkey` JSON passgate reads (its fields are private).
#[derive(serde::Deserialize)]
struct StoredPasskey {
    cred: StoredCredential,
}

#[derive(serde::Deserialize)]
struct StoredCredential {
    counter: u32,
    #[serde(default)]
    backup_eligible: bool,
    #[serde(default)]
    backup_state: bool,
}

fn stored_facts(json: &str) -> Result<StoredCredential, IdmError> {
    serde_json::from_str::<StoredPasskey>(json)
        .map(|p| p.cred)
        .map_err(|e| IdmError::Internal(format!("passkey: {e}")))
}

/// A passkey after a verified sign-in as stored: its JSON (new counter, backup state) and
/// the counter on its own.
pub fn passkey_after_use(passkey: &Passkey) -> Result<(String, i64), IdmError> {
    let stored = serde_json::to_string(passkey).map_err(|e| IdmError::Internal(e.to_string()))?;
    let counter = i64::from(stored_facts(&stored)?.counter);
    Ok((stored, counter))
}

/// What the browser's RegistrationResponseJSON says besides what webauthn-rs verifies.
#[derive(Debug, Clone, Default)]
pub struct RegistrationFacts {
    /// The CBOR attestation object (for the AAGUID).
    pub attestation_object: Vec<u8>,
    /// Transport hints, as the browser named them.
    pub transports: Vec<String>,
}

/// The record for a newly registered passkey of `identity`.
pub fn new_credential(
    identity: &IdentityRecord,
    passkey: &Passkey,
    facts: &RegistrationFacts,
    user_agent: Option<&str>,
    now_us: i64,
) -> Result<CredentialRecord, IdmError> {
    let internal = |e: serde_json::Error| IdmError::Internal(format!("passkey: {e}"));
    let stored = serde_json::to_string(passkey).map_err(internal)?;
    let cred = stored_facts(&stored)?;
    let aaguid = aaguid_of(&facts.attestation_object);
    let transports = facts
        .transports
        .iter()
        .filter(|t| t.len() <= TRANSPORT_LEN_MAX)
        .take(TRANSPORTS_MAX)
        .cloned()
        .collect();
    let public_key = serde_json::to_vec(passkey.get_public_key()).map_err(internal)?;
    Ok(CredentialRecord {
        id: ids::new_id()?,
        tenant_id: identity.tenant_id.clone(),
        realm_id: identity.realm_id.clone(),
        identity_id: identity.id.clone(),
        credential_id: BASE64URL_NOPAD.encode(passkey.cred_id().as_ref()),
        public_key: BASE64URL_NOPAD.encode(&public_key),
        passkey: stored,
        sign_count: i64::from(cred.counter),
        name: default_name(&aaguid, user_agent),
        aaguid,
        state: CredentialState::Active,
        backup_eligible: cred.backup_eligible,
        backup_state: cred.backup_state,
        transports,
        create_us: now_us,
        update_us: now_us,
        last_used_us: None,
    })
}

/// What sign-in needs for one presented credential.
pub struct SignInCredential {
    pub record: CredentialRecord,
    pub passkey: Passkey,
}

impl Directory {
    /// The identity's passkeys (`identity`: `None` for every passkey of the realm).
    pub async fn list_credentials(
        &self,
        at: &Context<'_>,
        identity: Option<&str>,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Listing<CredentialRecord>, IdmError> {
        let page = page_request(page_size, page_token)?;
        match identity {
            Some(id) => {
                self.identity(at, id).await?;
            }
            None => {
                self.realm_record(at.tenant, at.realm).await?;
            }
        }
        Ok(self
            .store()
            .list_credentials(at.tenant, at.realm, identity, page)
            .await?
            .into())
    }

    /// The passkey `id` of the realm, and (with `identity`) of that identity only.
    pub async fn credential(
        &self,
        at: &Context<'_>,
        identity: Option<&str>,
        id: &str,
    ) -> Result<CredentialRecord, IdmError> {
        let c = self
            .store()
            .get_credential(at.tenant, at.realm, id)
            .await
            .map_err(about(Resource::Credential, id))?;
        if identity.is_some_and(|i| i != c.identity_id) {
            return Err(IdmError::not_found(Resource::Credential, id));
        }
        Ok(c)
    }

    /// `:revoke`: the passkey can never sign in again (idempotent).
    pub async fn revoke_credential(
        &self,
        at: &Context<'_>,
        identity: Option<&str>,
        id: &str,
    ) -> Result<CredentialRecord, IdmError> {
        let before = self.credential(at, identity, id).await?;
        let (after, audit) = self.revocation(at, &before)?;
        self.store()
            .revoke_credential(at.tenant, at.realm, id, after.update_us, &audit)
            .await
            .map_err(about(Resource::Credential, id))?;
        Ok(after)
    }

    /// `before` revoked now, and the `credential.revoke` audit record of that change.
    pub(super) fn revocation(
        &self,
        at: &Context<'_>,
        before: &CredentialRecord,
    ) -> Result<(CredentialRecord, AuditRecord), IdmError> {
        let mut after = before.clone();
        after.state = CredentialState::Revoked;
        after.update_us = self.now_us();
        let audit = self.audit(
            at.change("credential.revoke", vec![before.id.clone()])
                .before(&views::credential(before))
                .after(&views::credential(&after)),
        )?;
        Ok((after, audit))
    }

    /// Sign-in's lookup by the WebAuthn credential id (base64url, padding ignored), in
    /// `realm` of `tenant`. A revoked passkey or one of another realm is `NotFound`, exactly
    /// like an unknown one. Callers must still check the identity is active.
    pub async fn credential_for_sign_in(
        &self,
        tenant: &str,
        realm: &str,
        credential_id: &str,
    ) -> Result<SignInCredential, IdmError> {
        let not_found = || IdmError::NotFound {
            resource: Resource::Passkey,
            id: None,
        };
        let key = credential_id.trim_end_matches('=');
        let record = match self.store().find_credential(key).await {
            Ok(r) => r,
            Err(StoreError::NotFound(_)) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        if record.state != CredentialState::Active
            || record.tenant_id != tenant
            || record.realm_id != realm
        {
            return Err(not_found());
        }
        let passkey: Passkey = serde_json::from_str(&record.passkey)
            .map_err(|e| IdmError::Internal(format!("stored passkey {}: {e}", record.id)))?;
        Ok(SignInCredential { record, passkey })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aaguid_comes_from_auth_data() {
        let mut auth = vec![0u8; 37];
        auth.extend(1..=16u8);
        auth.extend([0u8; 10]);
        let mut obj = vec![0xa3, 0x63];
        obj.extend(b"fmt");
        obj.extend([0x64]);
        obj.extend(b"none");
        obj.extend(b"\x68authData");
        obj.push(0x58);
        obj.push(auth.len() as u8);
        obj.extend(&auth);
        assert_eq!(aaguid_of(&obj), "01020304-0506-0708-090a-0b0c0d0e0f10");
        assert_eq!(aaguid_of(b"junk"), "00000000-0000-0000-0000-000000000000");
    }

    #[test]
    fn names_from_aaguid_or_user_agent() {
        assert_eq!(
            default_name("fbfc3007-154e-4ecc-8c0b-6e020557d7bd", None),
            "iCloud Keychain"
        );
        assert_eq!(
            default_name(
                "00000000-0000-0000-0000-000000000000",
                Some(
                    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"
                )
            ),
            "Passkey (Chrome on Linux)"
        );
        assert_eq!(default_name("x", None), "Passkey");
    }
}
