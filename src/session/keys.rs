//! Signing keys: Ed25519 pairs identified by `kid`. A [`KeyRing`] signs with the newest key
//! and verifies with every key it holds, so tokens signed before a rotation stay valid until
//! they expire. Private key bytes never appear in `Debug` output.

use std::collections::HashMap;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::VerifyingKey;
use jsonwebtoken::EncodingKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key {kid}: the private key is not a valid Ed25519 PKCS#8 document")]
    BadPrivateKey { kid: String },
    #[error("the key ring holds no key to sign with")]
    NoSigningKey,
    /// The signed token would be longer than verification accepts
    /// (`token::MAX_TOKEN_LEN`): too many or too long groups or names for one cookie.
    #[error(
        "the session token would be {len} bytes, more than the {max} a session cookie may carry"
    )]
    TokenTooLarge { len: usize, max: usize },
}

/// One Ed25519 key pair as stored: PKCS#8 private key and raw 32-byte public key.
#[derive(Clone)]
pub struct KeyMaterial {
    pub kid: String,
    pub private_pkcs8: Vec<u8>,
    pub public: [u8; 32],
    /// Seconds since the Unix epoch.
    pub created_at: u64,
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("kid", &self.kid)
            .field("private_pkcs8", &"<redacted>")
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl KeyMaterial {
    /// A fresh random key pair; its `kid` is derived from the public key.
    pub fn generate(now: u64) -> Result<KeyMaterial, KeyError> {
        let signing = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let public = signing.verifying_key().to_bytes();
        let kid = kid_for(&public);
        let private_pkcs8 = signing
            .to_pkcs8_der()
            .map_err(|_| KeyError::BadPrivateKey { kid: kid.clone() })?
            .as_bytes()
            .to_vec();
        Ok(KeyMaterial {
            kid,
            private_pkcs8,
            public,
            created_at: now,
        })
    }
}

/// `kid` = base64url of the first 12 bytes of SHA-256(public key).
pub fn kid_for(public: &[u8; 32]) -> String {
    let digest = Sha256::digest(public);
    URL_SAFE_NO_PAD.encode(&digest[..12])
}

struct Verifying {
    /// `None` when the stored bytes are not a valid Ed25519 point: nothing verifies.
    key: Option<VerifyingKey>,
    public: [u8; 32],
}

impl Verifying {
    fn new(public: &[u8; 32]) -> Verifying {
        Verifying {
            key: VerifyingKey::from_bytes(public).ok(),
            public: *public,
        }
    }
}

/// The keys a gateway signs and verifies with.
pub struct KeyRing {
    signing: Option<(String, EncodingKey)>,
    verifying: HashMap<String, Verifying>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("signing_kid", &self.signing.as_ref().map(|(k, _)| k))
            .field("kids", &self.verifying.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// A ring that verifies with every key in `keys` and signs with the newest.
    pub fn new(keys: &[KeyMaterial]) -> KeyRing {
        let newest = keys.iter().max_by_key(|k| (k.created_at, k.kid.clone()));
        KeyRing {
            signing: newest.map(|k| (k.kid.clone(), EncodingKey::from_ed_der(&k.private_pkcs8))),
            verifying: keys
                .iter()
                .map(|k| (k.kid.clone(), Verifying::new(&k.public)))
                .collect(),
        }
    }

    /// Like [`KeyRing::new`] for keys that sign from `created_at` on, given oldest first:
    /// the newest key whose time has come (`<= now`; in the same second, the later in
    /// `keys`) signs, every key verifies. Without such a key the oldest signs, so a ring
    /// with keys can always sign.
    pub fn at(keys: &[KeyMaterial], now: u64) -> KeyRing {
        let mut ring = KeyRing::new(keys);
        let signer = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.created_at <= now)
            .max_by_key(|(i, k)| (k.created_at, *i))
            .map(|(_, k)| k)
            .or_else(|| keys.iter().min_by_key(|k| k.created_at));
        ring.signing = signer.map(|k| (k.kid.clone(), EncodingKey::from_ed_der(&k.private_pkcs8)));
        ring
    }

    /// The `kid` that signs, if any.
    pub fn signing_kid(&self) -> Option<&str> {
        self.signing.as_ref().map(|(k, _)| k.as_str())
    }

    /// Every `kid` this ring verifies, sorted.
    pub fn kids(&self) -> Vec<&str> {
        let mut kids: Vec<&str> = self.verifying.keys().map(String::as_str).collect();
        kids.sort_unstable();
        kids
    }

    /// A ring that only verifies (no private keys), e.g. from published public keys.
    pub fn verify_only(public: &[(String, [u8; 32])]) -> KeyRing {
        KeyRing {
            signing: None,
            verifying: public
                .iter()
                .map(|(kid, p)| (kid.clone(), Verifying::new(p)))
                .collect(),
        }
    }

    pub fn signing_key(&self) -> Result<(&str, &EncodingKey), KeyError> {
        self.signing
            .as_ref()
            .map(|(k, e)| (k.as_str(), e))
            .ok_or(KeyError::NoSigningKey)
    }

    /// The public key for `kid`, if this ring holds a usable one.
    pub fn verifying_key(&self, kid: &str) -> Option<&VerifyingKey> {
        self.verifying.get(kid).and_then(|v| v.key.as_ref())
    }

    /// The public keys as a JWKS document (`/.passgate/jwks.json`).
    pub fn jwks(&self) -> Value {
        let mut kids: Vec<&String> = self.verifying.keys().collect();
        kids.sort();
        let keys: Vec<Value> = kids
            .into_iter()
            .map(|kid| {
                json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "kid": kid,
                    "x": URL_SAFE_NO_PAD.encode(self.verifying[kid].public),
                })
            })
            .collect();
        json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_private_bytes() {
        let k = KeyMaterial::generate(1).unwrap();
        let dbg = format!("{k:?}");
        assert!(dbg.contains("<redacted>"));
        assert!(!dbg.contains(&format!("{:?}", &k.private_pkcs8[..8])));
    }

    #[test]
    fn newest_key_signs_and_all_verify() {
        let old = KeyMaterial::generate(100).unwrap();
        let new = KeyMaterial::generate(200).unwrap();
        let ring = KeyRing::new(&[new.clone(), old.clone()]);
        assert_eq!(ring.signing_key().unwrap().0, new.kid);
        assert!(ring.verifying_key(&old.kid).is_some());
        assert!(ring.verifying_key(&new.kid).is_some());
        let jwks = ring.jwks();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        assert!(KeyRing::verify_only(&[]).signing_key().is_err());
    }

    #[test]
    fn a_key_signs_only_once_its_time_has_come() {
        let old = KeyMaterial::generate(100).unwrap();
        let pending = KeyMaterial::generate(200).unwrap();
        let keys = [old.clone(), pending.clone()];
        assert_eq!(
            KeyRing::at(&keys, 150).signing_kid(),
            Some(old.kid.as_str())
        );
        assert_eq!(
            KeyRing::at(&keys, 200).signing_kid(),
            Some(pending.kid.as_str())
        );
        assert_eq!(KeyRing::at(&keys, 50).signing_kid(), Some(old.kid.as_str()));
        assert_eq!(KeyRing::at(&keys, 150).kids().len(), 2);
        // In the same second, the later key wins whatever its kid.
        let same = KeyMaterial::generate(200).unwrap();
        let keys = [pending.clone(), same.clone()];
        assert_eq!(
            KeyRing::at(&keys, 200).signing_kid(),
            Some(same.kid.as_str())
        );
        let keys = [same.clone(), pending.clone()];
        assert_eq!(
            KeyRing::at(&keys, 200).signing_kid(),
            Some(pending.kid.as_str())
        );
    }
}
