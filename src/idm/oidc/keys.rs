//! ID-token signing keys: one RSA (RS256, every client can verify it), one P-256 (ES256)
//! and one Ed25519 (EdDSA) line of keys (the last two for clients that ask), stored like the session keys and rotated on
//! the same schedule (`session.key_rotation`): a new key is published at once and signs
//! after [`signing_keys::ACTIVATION_DELAY`]; a superseded key stays published until the
//! last ID token it signed has expired. RSA private keys are stored as PKCS#1 DER, P-256
//! and Ed25519 ones as PKCS#8 (public: PKCS#1, the uncompressed point, the raw key); private bytes never appear in `Debug` output.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::config::oidc::IdTokenAlg;
use crate::idm::{ids, signing_keys, IdmError};
use crate::session::keys::KeyMaterial;
use crate::store::{AuditRecord, OidcKeyRecord, OidcStore, SigningKeyRecord};

/// Bits of a generated RSA key.
pub const RSA_BITS: usize = 2048;

const US: i64 = 1_000_000;
const ALGS: [IdTokenAlg; 3] = [IdTokenAlg::Rs256, IdTokenAlg::Es256, IdTokenAlg::EdDsa];

fn kid_for(public: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..12])
}

/// A fresh key record for `alg`, signing from `activate_us`.
pub fn generate(alg: IdTokenAlg, now_us: i64, activate_us: i64) -> Result<OidcKeyRecord, IdmError> {
    let internal =
        |e: String| IdmError::Internal(format!("generating an {} key: {e}", alg.as_str()));
    let (private, public) = match alg {
        IdTokenAlg::Rs256 => {
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS)
                .map_err(|e| internal(e.to_string()))?;
            let private = key
                .to_pkcs1_der()
                .map_err(|e| internal(e.to_string()))?
                .as_bytes()
                .to_vec();
            let public = key
                .to_public_key()
                .to_pkcs1_der()
                .map_err(|e| internal(e.to_string()))?
                .as_bytes()
                .to_vec();
            (private, public)
        }
        IdTokenAlg::Es256 => {
            use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
            let rng = ring::rand::SystemRandom::new();
            let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|e| internal(e.to_string()))?;
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng)
                    .map_err(|e| internal(e.to_string()))?;
            (doc.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
        }
        IdTokenAlg::EdDsa => {
            let k = KeyMaterial::generate(0).map_err(|e| internal(e.to_string()))?;
            (k.private_pkcs8, k.public.to_vec())
        }
    };
    Ok(OidcKeyRecord {
        kid: kid_for(&public),
        alg: alg.as_str().to_string(),
        private_pkcs8: URL_SAFE_NO_PAD.encode(private),
        public_key: URL_SAFE_NO_PAD.encode(public),
        create_us: now_us,
        activate_us,
    })
}

fn alg_of(r: &OidcKeyRecord) -> Option<IdTokenAlg> {
    ALGS.into_iter().find(|a| a.as_str() == r.alg)
}

/// One published key: what it verifies with and its JWK.
struct Published {
    alg: IdTokenAlg,
    decoding: DecodingKey,
    jwk: Value,
}

/// The keys ID tokens are signed and verified with, as of one moment.
pub struct OidcKeyRing {
    signing: HashMap<&'static str, (String, EncodingKey)>,
    published: Vec<(String, Published)>,
}

impl fmt::Debug for OidcKeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcKeyRing")
            .field(
                "signing",
                &self
                    .signing
                    .iter()
                    .map(|(a, (k, _))| (a, k))
                    .collect::<Vec<_>>(),
            )
            .field("kids", &self.kids())
            .finish()
    }
}

impl OidcKeyRing {
    /// The ring for `records` at `now_us`: per algorithm the newest key whose time has come
    /// signs (or the oldest, when none has come yet); every key is published.
    pub fn new(records: &[OidcKeyRecord], now_us: i64) -> Result<OidcKeyRing, IdmError> {
        let mut published = Vec::new();
        let mut signing = HashMap::new();
        for alg in ALGS {
            let mine: Vec<&OidcKeyRecord> =
                records.iter().filter(|r| alg_of(r) == Some(alg)).collect();
            let signer = mine
                .iter()
                .enumerate()
                .filter(|(_, r)| r.activate_us <= now_us)
                .max_by_key(|(i, r)| (r.activate_us, *i))
                .map(|(_, r)| *r)
                .or_else(|| mine.iter().min_by_key(|r| r.activate_us).copied());
            for r in &mine {
                let bad = || IdmError::Internal(format!("OIDC signing key {} is corrupt", r.kid));
                let private = URL_SAFE_NO_PAD
                    .decode(&r.private_pkcs8)
                    .map_err(|_| bad())?;
                let public = URL_SAFE_NO_PAD.decode(&r.public_key).map_err(|_| bad())?;
                if kid_for(&public) != r.kid {
                    return Err(bad());
                }
                let (decoding, jwk) = match alg {
                    IdTokenAlg::Rs256 => {
                        let p = rsa::RsaPublicKey::from_pkcs1_der(&public).map_err(|_| bad())?;
                        let n = URL_SAFE_NO_PAD.encode(p.n().to_bytes_be());
                        let e = URL_SAFE_NO_PAD.encode(p.e().to_bytes_be());
                        let dec = DecodingKey::from_rsa_components(&n, &e).map_err(|_| bad())?;
                        let jwk = json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": r.kid, "n": n, "e": e});
                        (dec, jwk)
                    }
                    IdTokenAlg::Es256 => {
                        // The uncompressed point: 0x04, x, y.
                        if public.len() != 65 || public[0] != 4 {
                            return Err(bad());
                        }
                        let x = URL_SAFE_NO_PAD.encode(&public[1..33]);
                        let y = URL_SAFE_NO_PAD.encode(&public[33..]);
                        let dec = DecodingKey::from_ec_components(&x, &y).map_err(|_| bad())?;
                        let jwk = json!({"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": r.kid, "x": x, "y": y});
                        (dec, jwk)
                    }
                    IdTokenAlg::EdDsa => {
                        if public.len() != 32 {
                            return Err(bad());
                        }
                        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": r.kid, "x": r.public_key});
                        (DecodingKey::from_ed_der(&public), jwk)
                    }
                };
                if signer.is_some_and(|s| s.kid == r.kid) {
                    let enc = match alg {
                        IdTokenAlg::Rs256 => EncodingKey::from_rsa_der(&private),
                        IdTokenAlg::Es256 => EncodingKey::from_ec_der(&private),
                        IdTokenAlg::EdDsa => EncodingKey::from_ed_der(&private),
                    };
                    signing.insert(alg.as_str(), (r.kid.clone(), enc));
                }
                published.push((r.kid.clone(), Published { alg, decoding, jwk }));
            }
        }
        published.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(OidcKeyRing { signing, published })
    }

    /// An empty ring (nothing signs).
    pub fn empty() -> OidcKeyRing {
        OidcKeyRing {
            signing: HashMap::new(),
            published: Vec::new(),
        }
    }

    /// The key that signs `alg` tokens now.
    pub fn signer(&self, alg: IdTokenAlg) -> Option<(&str, &EncodingKey)> {
        self.signing
            .get(alg.as_str())
            .map(|(kid, k)| (kid.as_str(), k))
    }

    /// The `kid` of the key that signs `alg`, if any.
    pub fn signing_kid(&self, alg: IdTokenAlg) -> Option<&str> {
        self.signer(alg).map(|(k, _)| k)
    }

    /// The signing `kid` of every algorithm (to tell whether a ring changed).
    pub fn signing_kids(&self) -> Vec<Option<&str>> {
        ALGS.iter().map(|a| self.signing_kid(*a)).collect()
    }

    /// Every published `kid`, sorted.
    pub fn kids(&self) -> Vec<&str> {
        self.published.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The verifying key and its one algorithm for `kid` (the algorithm is pinned by the
    /// key, never taken from a token's header).
    pub fn verifier(&self, kid: &str) -> Option<(Algorithm, &DecodingKey)> {
        self.published.iter().find(|(k, _)| k == kid).map(|(_, p)| {
            let alg = match p.alg {
                IdTokenAlg::Rs256 => Algorithm::RS256,
                IdTokenAlg::Es256 => Algorithm::ES256,
                IdTokenAlg::EdDsa => Algorithm::EdDSA,
            };
            (alg, &p.decoding)
        })
    }

    /// The published keys as JWKs (joined to the session keys in `/.passgate/jwks.json`).
    pub fn jwks(&self) -> Vec<Value> {
        self.published.iter().map(|(_, p)| p.jwk.clone()).collect()
    }
}

fn as_signing(r: &OidcKeyRecord) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: r.kid.clone(),
        private_pkcs8: String::new(),
        public_key: String::new(),
        create_us: r.create_us,
        activate_us: r.activate_us,
    }
}

/// Brings the stored keys up to date: with `create` (clients are configured) the first key
/// of an algorithm signs at once and, with `rotation`, a key older than that gets a
/// successor (signing after the activation delay); keys superseded for longer than
/// `keep_for` go. Returns the current records. Without clients no key is made (an RSA key
/// costs a second of start-up in a debug build).
pub async fn maintain(
    store: &dyn OidcStore,
    now_us: i64,
    rotation: Option<Duration>,
    keep_for: Duration,
    create: bool,
) -> Result<Vec<OidcKeyRecord>, IdmError> {
    let mut records = store.list_oidc_keys().await?;
    let mut changed = false;
    for alg in ALGS {
        let mine: Vec<SigningKeyRecord> = records
            .iter()
            .filter(|r| alg_of(r) == Some(alg))
            .map(as_signing)
            .collect();
        if create && signing_keys::rotation_due(&mine, now_us, rotation) {
            let delay = if mine.is_empty() {
                0
            } else {
                i64::try_from(signing_keys::ACTIVATION_DELAY.as_micros()).unwrap_or(0)
            };
            let key = generate(alg, now_us, now_us.saturating_add(delay))?;
            store.insert_oidc_key(&key, None).await?;
            tracing::info!(kid = key.kid, alg = key.alg, "OIDC signing key added");
            changed = true;
        }
        let old = signing_keys::prunable(&mine, now_us, keep_for);
        if !old.is_empty() {
            store.delete_oidc_keys(&old).await?;
            tracing::info!(kids = ?old, "pruned OIDC signing keys no ID token can need");
            changed = true;
        }
    }
    if changed {
        records = store.list_oidc_keys().await?;
    }
    Ok(records)
}

/// `passgate keys rotate`: a new key of every algorithm, signing after `activate_in`;
/// audited as `oidc_key.rotate`. Returns the new `kid`s.
pub async fn rotate(
    store: &dyn OidcStore,
    now_us: i64,
    activate_in: Duration,
    tenant: &str,
    actor: &str,
) -> Result<Vec<String>, IdmError> {
    let activate =
        now_us.saturating_add(i64::try_from(activate_in.as_micros()).unwrap_or(i64::MAX));
    let mut kids = Vec::new();
    for alg in ALGS {
        let key = generate(alg, now_us, activate)?;
        let audit = AuditRecord {
            id: ids::new_id()?,
            tenant_id: tenant.to_string(),
            realm_id: None,
            actor: actor.to_string(),
            action: "oidc_key.rotate".into(),
            target_ids: vec![key.kid.clone()],
            before: None,
            after: None,
            create_us: now_us,
        };
        store.insert_oidc_key(&key, Some(&audit)).await?;
        kids.push(key.kid);
    }
    Ok(kids)
}

/// Seconds of a microsecond time.
pub fn secs(us: i64) -> u64 {
    u64::try_from(us.div_euclid(US)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_algorithms_sign_and_publish_and_a_pending_key_waits() {
        let rsa = generate(IdTokenAlg::Rs256, 0, 100 * US).unwrap();
        let ed = generate(IdTokenAlg::EdDsa, 0, 100 * US).unwrap();
        let ed2 = generate(IdTokenAlg::EdDsa, 0, 200 * US).unwrap();
        assert!(!format!("{rsa:?}").contains(&rsa.private_pkcs8));
        let records = [rsa.clone(), ed.clone(), ed2.clone()];
        let ring = OidcKeyRing::new(&records, 150 * US).unwrap();
        assert_eq!(ring.signing_kid(IdTokenAlg::Rs256), Some(rsa.kid.as_str()));
        assert_eq!(ring.signing_kid(IdTokenAlg::EdDsa), Some(ed.kid.as_str()));
        assert_eq!(ring.kids().len(), 3);
        let jwks = ring.jwks();
        let r = jwks.iter().find(|k| k["kid"] == rsa.kid.as_str()).unwrap();
        assert_eq!(r["kty"], "RSA");
        assert_eq!(r["e"], "AQAB");
        assert_eq!(ring.verifier(&rsa.kid).unwrap().0, Algorithm::RS256);
        assert_eq!(ring.verifier(&ed.kid).unwrap().0, Algorithm::EdDSA);
        let es = generate(IdTokenAlg::Es256, 0, 100 * US).unwrap();
        let with_es = OidcKeyRing::new(&[rsa.clone(), es.clone()], 150 * US).unwrap();
        assert_eq!(
            with_es.signing_kid(IdTokenAlg::Es256),
            Some(es.kid.as_str())
        );
        let jwks = with_es.jwks();
        let e = jwks.iter().find(|k| k["kid"] == es.kid.as_str()).unwrap();
        assert_eq!(
            (e["kty"].as_str(), e["crv"].as_str()),
            (Some("EC"), Some("P-256"))
        );
        let (kid, key) = with_es.signer(IdTokenAlg::Es256).unwrap();
        let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
        header.kid = Some(kid.to_string());
        let t = jsonwebtoken::encode(&header, &json!({"sub": "a", "exp": 4_000_000_000u64}), key)
            .unwrap();
        let (alg, dec) = with_es.verifier(kid).unwrap();
        assert_eq!(alg, Algorithm::ES256);
        jsonwebtoken::decode::<Value>(&t, dec, &jsonwebtoken::Validation::new(alg)).unwrap();
        let later = OidcKeyRing::new(&records, 200 * US).unwrap();
        assert_eq!(later.signing_kid(IdTokenAlg::EdDsa), Some(ed2.kid.as_str()));
        // A token signed by the ring verifies with the published key, pinned to its alg.
        let (kid, key) = ring.signer(IdTokenAlg::Rs256).unwrap();
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_string());
        let t = jsonwebtoken::encode(&header, &json!({"sub": "a", "exp": 4_000_000_000u64}), key)
            .unwrap();
        let (alg, dec) = ring.verifier(kid).unwrap();
        jsonwebtoken::decode::<Value>(&t, dec, &jsonwebtoken::Validation::new(alg)).unwrap();
        let mut bad = rsa.clone();
        bad.kid = "x".into();
        assert!(OidcKeyRing::new(&[bad], 0).is_err());
    }
}
