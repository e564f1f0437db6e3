//! A small, honest software passkey (ES256 / P-256, attestation `none`) that plays both the
//! browser and the authenticator: it reads the server's options JSON, checks them as a
//! browser would, keeps resident credentials, and answers with the W3C
//! `RegistrationResponseJSON` / `AuthenticationResponseJSON`. Usernameless requests
//! (empty `allowCredentials`) pick a resident credential and return its `userHandle`.
//! [`Tweaks`] bend one rule at a time for negative tests.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::cbor::Cbor;

/// The AAGUID of Chromium's virtual authenticator, the default here too.
pub const VIRTUAL_AAGUID: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8];

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

/// Why a ceremony was refused, named after the browser's `DOMException`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthenticatorError {
    /// No credential fits the request (a browser's `NotAllowedError`).
    NotAllowed(String),
    /// A credential in `excludeCredentials` is already here (`InvalidStateError`).
    InvalidState,
    /// The origin may not act for the RP id (`SecurityError`).
    Security(String),
    /// No ES256 in `pubKeyCredParams` (`NotSupportedError`).
    NotSupported,
    /// The options JSON is not what a server sends (`TypeError`).
    BadOptions(String),
}

impl std::fmt::Display for AuthenticatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for AuthenticatorError {}

/// One rule bent for a negative test; the default bends nothing.
#[derive(Debug, Clone, Default)]
pub struct Tweaks {
    /// Sign something else, so the signature is well formed but wrong.
    pub tamper_signature: bool,
    /// Put the SHA-256 of this RP id in the authenticator data instead of the real one.
    pub rp_id_hash_of: Option<String>,
    /// Clear the user-verified flag (user presence stays set).
    pub no_user_verification: bool,
    /// Skip the browser's origin / RP id check (to send what a phishing page would).
    pub skip_origin_check: bool,
}

/// A stored (resident) credential. Clone it into another [`Authenticator`] to make a
/// "second device" holding the same key.
#[derive(Clone)]
pub struct Credential {
    pub rp_id: String,
    pub user_handle: Vec<u8>,
    pub user_name: String,
    pub id: Vec<u8>,
    pub sign_count: u32,
    key: SigningKey,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("rp_id", &self.rp_id)
            .field("user_name", &self.user_name)
            .field("id", &b64(&self.id))
            .field("sign_count", &self.sign_count)
            .finish_non_exhaustive()
    }
}

/// The software authenticator (and the browser around it).
pub struct Authenticator {
    aaguid: [u8; 16],
    backup_eligible: bool,
    backup_state: bool,
    initial_sign_count: u32,
    credentials: Vec<Credential>,
    pub tweaks: Tweaks,
}

impl Default for Authenticator {
    fn default() -> Self {
        Authenticator::new()
    }
}

impl Authenticator {
    /// AAGUID of the virtual authenticator, no backup flags, sign count from 0.
    pub fn new() -> Authenticator {
        Authenticator {
            aaguid: VIRTUAL_AAGUID,
            backup_eligible: false,
            backup_state: false,
            initial_sign_count: 0,
            credentials: Vec::new(),
            tweaks: Tweaks::default(),
        }
    }

    pub fn with_aaguid(mut self, aaguid: [u8; 16]) -> Authenticator {
        self.aaguid = aaguid;
        self
    }

    /// The backup-eligible (BE) and backed-up (BS) flags of every answer.
    pub fn with_backup(mut self, eligible: bool, state: bool) -> Authenticator {
        self.backup_eligible = eligible;
        self.backup_state = state;
        self
    }

    /// The sign count new credentials start from (each assertion adds one).
    pub fn with_sign_count(mut self, start: u32) -> Authenticator {
        self.initial_sign_count = start;
        self
    }

    pub fn credentials(&self) -> &[Credential] {
        &self.credentials
    }

    /// A copy of a stored credential (key included), for [`Authenticator::import`].
    pub fn export(&self, credential_id: &[u8]) -> Option<Credential> {
        self.credentials
            .iter()
            .find(|c| c.id == credential_id)
            .cloned()
    }

    /// Stores a credential taken from another authenticator ("second device").
    pub fn import(&mut self, credential: Credential) {
        self.credentials.retain(|c| c.id != credential.id);
        self.credentials.push(credential);
    }

    /// A new authenticator holding copies of all this one's credentials.
    pub fn clone_device(&self) -> Authenticator {
        Authenticator {
            aaguid: self.aaguid,
            backup_eligible: self.backup_eligible,
            backup_state: self.backup_state,
            initial_sign_count: self.initial_sign_count,
            credentials: self.credentials.clone(),
            tweaks: Tweaks::default(),
        }
    }

    /// Sets a stored credential's sign count (e.g. backwards, to look cloned).
    pub fn set_sign_count(&mut self, credential_id: &[u8], count: u32) -> bool {
        match self.credentials.iter_mut().find(|c| c.id == credential_id) {
            Some(c) => {
                c.sign_count = count;
                true
            }
            None => false,
        }
    }

    /// `navigator.credentials.create()`: `options` is `{"publicKey": {…}}` (other keys,
    /// such as `ceremony`, are ignored) or the bare creation options. Always stores the
    /// credential as resident. Returns `RegistrationResponseJSON`.
    pub fn register(&mut self, origin: &str, options: &Value) -> Result<Value, AuthenticatorError> {
        let pk = public_key(options)?;
        let challenge = b64_field(pk, "challenge")?;
        let rp_id = match pk.pointer("/rp/id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => origin_host(origin)?,
        };
        self.check_origin(origin, &rp_id)?;
        let es256 = pk["pubKeyCredParams"].as_array().is_some_and(|ps| {
            ps.iter()
                .any(|p| p["alg"] == -7 && p["type"] == "public-key")
        });
        if !es256 {
            return Err(AuthenticatorError::NotSupported);
        }
        let user_handle = pk
            .pointer("/user/id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("user.id missing"))
            .and_then(|s| unb64(s).ok_or_else(|| bad("user.id is not base64url")))?;
        let user_name = pk
            .pointer("/user/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        for id in descriptor_ids(pk, "excludeCredentials")? {
            if self
                .credentials
                .iter()
                .any(|c| c.id == id && c.rp_id == rp_id)
            {
                return Err(AuthenticatorError::InvalidState);
            }
        }

        let mut id = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut id);
        let credential = Credential {
            rp_id: rp_id.clone(),
            user_handle: user_handle.clone(),
            user_name: user_name.to_string(),
            id: id.clone(),
            sign_count: self.initial_sign_count,
            key: new_key(),
        };
        let mut auth_data = self.auth_data_head(&rp_id, AT, credential.sign_count);
        auth_data.extend_from_slice(&self.aaguid);
        auth_data.extend_from_slice(&(id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cose_key(&credential.key));
        let attestation_object = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ])
        .encode();
        // A resident credential replaces an older one for the same user on this RP.
        self.credentials
            .retain(|c| !(c.rp_id == rp_id && c.user_handle == user_handle));
        self.credentials.push(credential);

        let client_data = client_data("webauthn.create", &challenge, origin);
        Ok(json!({
            "id": b64(&id),
            "rawId": b64(&id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "attestationObject": b64(&attestation_object),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }))
    }

    /// `navigator.credentials.get()`: uses the first stored credential named in
    /// `allowCredentials`, or, when that list is empty or missing (usernameless), the
    /// newest resident credential for the RP id. Returns `AuthenticationResponseJSON`.
    pub fn authenticate(
        &mut self,
        origin: &str,
        options: &Value,
    ) -> Result<Value, AuthenticatorError> {
        self.authenticate_as(origin, options, None)
    }

    /// Like [`Authenticator::authenticate`]; a usernameless request picks the resident
    /// credential of `user_handle` when given (the account chooser).
    pub fn authenticate_as(
        &mut self,
        origin: &str,
        options: &Value,
        user_handle: Option<&[u8]>,
    ) -> Result<Value, AuthenticatorError> {
        let pk = public_key(options)?;
        let challenge = b64_field(pk, "challenge")?;
        let rp_id = match pk.get("rpId").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => origin_host(origin)?,
        };
        self.check_origin(origin, &rp_id)?;
        let allowed = descriptor_ids(pk, "allowCredentials")?;
        let index = self
            .credentials
            .iter()
            .rposition(|c| {
                c.rp_id == rp_id
                    && if allowed.is_empty() {
                        user_handle.is_none_or(|h| c.user_handle == h)
                    } else {
                        allowed.contains(&c.id)
                    }
            })
            .ok_or_else(|| {
                AuthenticatorError::NotAllowed(format!("no credential for {rp_id} here"))
            })?;
        let count = self.credentials[index].sign_count.wrapping_add(1);
        self.credentials[index].sign_count = count;
        let auth_data = self.auth_data_head(&rp_id, 0, count);
        let credential = &self.credentials[index];

        let client_data = client_data("webauthn.get", &challenge, origin);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        if self.tweaks.tamper_signature {
            signed[0] ^= 0x01;
        }
        let signature: Signature = credential.key.sign(&signed);
        Ok(json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "authenticatorData": b64(&auth_data),
                "signature": b64(&signature.to_der().to_bytes()),
                "userHandle": b64(&credential.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }))
    }

    /// rpIdHash, flags (UP, UV, BE, BS per settings and tweaks, plus `extra`), sign count.
    fn auth_data_head(&self, rp_id: &str, extra: u8, count: u32) -> Vec<u8> {
        let hashed = self.tweaks.rp_id_hash_of.as_deref().unwrap_or(rp_id);
        let mut flags = UP | UV | extra;
        if self.tweaks.no_user_verification {
            flags &= !UV;
        }
        if self.backup_eligible {
            flags |= BE;
        }
        if self.backup_state {
            flags |= BS;
        }
        let mut data = Sha256::digest(hashed.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&count.to_be_bytes());
        data
    }

    /// The browser's checks: a secure origin whose host is the RP id or ends in `.rp_id`.
    fn check_origin(&self, origin: &str, rp_id: &str) -> Result<(), AuthenticatorError> {
        if self.tweaks.skip_origin_check {
            return Ok(());
        }
        let url = url::Url::parse(origin)
            .map_err(|e| AuthenticatorError::Security(format!("origin {origin:?}: {e}")))?;
        let host = url.domain().ok_or_else(|| {
            AuthenticatorError::Security(format!("origin {origin:?} has no domain"))
        })?;
        let secure = url.scheme() == "https"
            || (url.scheme() == "http" && (host == "localhost" || host.ends_with(".localhost")));
        let suffix = host == rp_id || host.ends_with(&format!(".{rp_id}"));
        if secure && suffix {
            Ok(())
        } else {
            Err(AuthenticatorError::Security(format!(
                "origin {origin} may not use RP id {rp_id}"
            )))
        }
    }
}

/// `{"type":…,"challenge":…,"origin":…,"crossOrigin":false}` as a browser writes it.
fn client_data(kind: &str, challenge: &[u8], origin: &str) -> String {
    json!({"type": kind, "challenge": b64(challenge), "origin": origin, "crossOrigin": false})
        .to_string()
}

/// The options object: `options.publicKey` when present, else `options` itself.
fn public_key(options: &Value) -> Result<&Value, AuthenticatorError> {
    let pk = options.get("publicKey").unwrap_or(options);
    if pk.is_object() {
        Ok(pk)
    } else {
        Err(bad("options are not a JSON object"))
    }
}

fn b64_field(pk: &Value, name: &str) -> Result<Vec<u8>, AuthenticatorError> {
    let s = pk[name]
        .as_str()
        .ok_or_else(|| bad(&format!("{name} missing")))?;
    unb64(s).ok_or_else(|| bad(&format!("{name} is not base64url")))
}

/// The ids of an `allowCredentials` / `excludeCredentials` list (empty when missing).
fn descriptor_ids(pk: &Value, name: &str) -> Result<Vec<Vec<u8>>, AuthenticatorError> {
    let Some(list) = pk.get(name).and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    list.iter()
        .map(|d| {
            d["id"]
                .as_str()
                .and_then(unb64)
                .ok_or_else(|| bad(&format!("{name} has an entry without a base64url id")))
        })
        .collect()
}

fn origin_host(origin: &str) -> Result<String, AuthenticatorError> {
    url::Url::parse(origin)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .ok_or_else(|| AuthenticatorError::Security(format!("origin {origin:?} has no host")))
}

fn bad(message: &str) -> AuthenticatorError {
    AuthenticatorError::BadOptions(message.to_string())
}

fn new_key() -> SigningKey {
    loop {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        // All but a negligible share of 32-byte strings are valid scalars.
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return key;
        }
    }
}

/// The COSE_Key of an ES256 public key: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}.
fn cose_key(key: &SigningKey) -> Vec<u8> {
    let point = key.verifying_key().to_sec1_point(false);
    let xy = &point.as_bytes()[1..];
    Cbor::Map(vec![
        (Cbor::Int(1), Cbor::Int(2)),
        (Cbor::Int(3), Cbor::Int(-7)),
        (Cbor::Int(-1), Cbor::Int(1)),
        (Cbor::Int(-2), Cbor::Bytes(xy[..32].to_vec())),
        (Cbor::Int(-3), Cbor::Bytes(xy[32..].to_vec())),
    ])
    .encode()
}

/// base64url without padding, as WebAuthn JSON writes binary.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url with or without padding (and tolerates the standard alphabet).
pub fn unb64(s: &str) -> Option<Vec<u8>> {
    let s: String = s
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(s).ok()
}
