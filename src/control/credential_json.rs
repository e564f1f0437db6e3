//! The W3C WebAuthn JSON of a new or presented passkey (`RegistrationResponseJSON`,
//! `AuthenticationResponseJSON`, what `PublicKeyCredential.toJSON()` gives), read strictly:
//! only the members WebAuthn Level 3 defines, `type` is `"public-key"`, `id` is base64url
//! and names the same credential as `rawId`, binary members are base64url (padding
//! tolerated). Then handed to webauthn-rs in its own types.

use data_encoding::BASE64URL_NOPAD;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};
use webauthn_rs_proto::{
    AuthenticatorAssertionResponseRaw, AuthenticatorAttestationResponseRaw, AuthenticatorTransport,
};

use super::error::ApiError;
use crate::idm::bind_ceremony::Registration;
use crate::idm::credentials::RegistrationFacts;

/// `RegistrationResponseJSON`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegistrationJson {
    id: String,
    raw_id: String,
    #[serde(rename = "type")]
    kind: String,
    response: AttestationJson,
    #[serde(default)]
    authenticator_attachment: Option<String>,
    #[serde(default)]
    client_extension_results: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AttestationJson {
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    attestation_object: String,
    #[serde(default)]
    transports: Option<Vec<String>>,
    #[serde(default, rename = "authenticatorData")]
    _authenticator_data: Option<IgnoredAny>,
    #[serde(default, rename = "publicKey")]
    _public_key: Option<IgnoredAny>,
    #[serde(default, rename = "publicKeyAlgorithm")]
    _public_key_algorithm: Option<IgnoredAny>,
}

/// `AuthenticationResponseJSON`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthenticationJson {
    id: String,
    raw_id: String,
    #[serde(rename = "type")]
    kind: String,
    response: AssertionJson,
    #[serde(default)]
    authenticator_attachment: Option<String>,
    #[serde(default)]
    client_extension_results: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AssertionJson {
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    authenticator_data: String,
    signature: String,
    #[serde(default)]
    user_handle: Option<String>,
    #[serde(default, rename = "attestationObject")]
    _attestation_object: Option<IgnoredAny>,
}

/// Base64url (padding tolerated) of `field`.
fn bytes(field: &str, s: &str) -> Result<Vec<u8>, ApiError> {
    BASE64URL_NOPAD
        .decode(s.trim_end_matches('=').as_bytes())
        .map_err(|_| ApiError::invalid(field, "must be base64url"))
}

/// `type`, `id` and `rawId` of a credential: the raw id's bytes.
fn identity_of(prefix: &str, kind: &str, id: &str, raw_id: &str) -> Result<Vec<u8>, ApiError> {
    if kind != "public-key" {
        return Err(ApiError::invalid(
            format!("{prefix}.type"),
            "must be \"public-key\"",
        ));
    }
    let raw = bytes(&format!("{prefix}.rawId"), raw_id)?;
    let named = bytes(&format!("{prefix}.id"), id)?;
    if named != raw || raw.is_empty() {
        return Err(ApiError::invalid(
            format!("{prefix}.id"),
            "must be the base64url of rawId",
        ));
    }
    Ok(raw)
}

fn extensions<T: serde::de::DeserializeOwned + Default>(
    prefix: &str,
    v: Option<Value>,
) -> Result<T, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(T::default()),
        Some(v) => serde_json::from_value(v).map_err(|e| {
            ApiError::invalid(format!("{prefix}.clientExtensionResults"), e.to_string())
        }),
    }
}

impl RegistrationJson {
    /// webauthn-rs's form; `prefix` is the credential's path in the body.
    pub fn into_registration(self, prefix: &str) -> Result<Registration, ApiError> {
        let raw_id = identity_of(prefix, &self.kind, &self.id, &self.raw_id)?;
        let _ = self.authenticator_attachment;
        let r = self.response;
        let at = |k: &str| format!("{prefix}.response.{k}");
        let attestation_object = bytes(&at("attestationObject"), &r.attestation_object)?;
        let client_data_json = bytes(&at("clientDataJSON"), &r.client_data_json)?;
        let names = r.transports.unwrap_or_default();
        let transports = names
            .iter()
            .filter_map(|t| {
                serde_json::from_value::<AuthenticatorTransport>(t.as_str().into()).ok()
            })
            .collect();
        let credential = RegisterPublicKeyCredential {
            id: self.id,
            raw_id,
            response: AuthenticatorAttestationResponseRaw {
                attestation_object: attestation_object.clone(),
                client_data_json,
                transports: Some(transports),
            },
            type_: self.kind,
            extensions: extensions(prefix, self.client_extension_results)?,
        };
        Ok(Registration {
            credential,
            facts: RegistrationFacts {
                attestation_object,
                transports: names,
            },
        })
    }
}

impl AuthenticationJson {
    /// webauthn-rs's form; `prefix` is the credential's path in the body.
    pub fn into_credential(self, prefix: &str) -> Result<PublicKeyCredential, ApiError> {
        let raw_id = identity_of(prefix, &self.kind, &self.id, &self.raw_id)?;
        let _ = self.authenticator_attachment;
        let r = self.response;
        let at = |k: &str| format!("{prefix}.response.{k}");
        let user_handle = r
            .user_handle
            .as_deref()
            .map(|h| bytes(&at("userHandle"), h))
            .transpose()?;
        Ok(PublicKeyCredential {
            id: self.id,
            raw_id,
            response: AuthenticatorAssertionResponseRaw {
                authenticator_data: bytes(&at("authenticatorData"), &r.authenticator_data)?,
                client_data_json: bytes(&at("clientDataJSON"), &r.client_data_json)?,
                signature: bytes(&at("signature"), &r.signature)?,
                user_handle,
            },
            extensions: extensions(prefix, self.client_extension_results)?,
            type_: self.kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assertion(id: &str, raw_id: &str, kind: &str) -> AuthenticationJson {
        serde_json::from_value(serde_json::json!({
            "id": id, "rawId": raw_id, "type": kind,
            "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA"},
            "clientExtensionResults": {}
        }))
        .unwrap()
    }

    fn field(r: Result<PublicKeyCredential, ApiError>) -> String {
        match r {
            Err(ApiError::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn id_type_and_raw_id_must_agree() {
        assert!(assertion("AQID", "AQID", "public-key")
            .into_credential("credential")
            .is_ok());
        assert!(assertion("AQID", "AQID==", "public-key")
            .into_credential("credential")
            .is_ok());
        let c = |id, raw, kind| assertion(id, raw, kind).into_credential("credential");
        assert_eq!(field(c("!!!***", "AQID", "public-key")), "credential.id");
        assert_eq!(field(c("AQIE", "AQID", "public-key")), "credential.id");
        assert_eq!(field(c("AQID", "AQID", "foo")), "credential.type");
        assert_eq!(field(c("AQID", "%%", "public-key")), "credential.rawId");
        let unknown = serde_json::json!({
            "id": "AQID", "rawId": "AQID", "type": "public-key", "extra": 1,
            "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA"}
        });
        assert!(serde_json::from_value::<AuthenticationJson>(unknown).is_err());
    }
}
