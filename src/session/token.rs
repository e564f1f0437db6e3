//! Issuing and verifying session tokens. Verification pins the algorithm to EdDSA, accepts
//! only `kid`s in the key ring, checks issuer, expiry and not-before against a `now` passed
//! in, and turns every failure into a [`TokenError`] (unauthenticated, never a 500).
//!
//! Verifying is done here rather than by `jsonwebtoken` (which signs): the compact JWS is
//! split once, the header is read only for `alg` and `kid`, the Ed25519 signature is checked
//! over the raw `header.payload` bytes with `ed25519-dalek`, and only then are the claims
//! decoded, once. This is the uncached half of the data plane's session check.

use std::borrow::Cow;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Verifier};
use jsonwebtoken::{Algorithm, Header};
use serde::Deserialize;

use super::claims::SessionClaims;
use super::keys::{KeyError, KeyRing};

/// Larger cookies are refused before any parsing.
pub const MAX_TOKEN_LEN: usize = 4096;
/// Clock skew tolerated between gateway instances for `nbf`/`iat`.
pub const SKEW_SECS: u64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token too large")]
    TooLarge,
    #[error("token malformed")]
    Malformed,
    #[error("algorithm not allowed")]
    Algorithm,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature")]
    Signature,
    #[error("wrong issuer")]
    Issuer,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
}

/// The JOSE header fields verification looks at. `crit` is refused: passgate never sets
/// it, so a token naming critical extensions was not issued here.
#[derive(Deserialize)]
struct JoseHeader<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(default, borrow)]
    kid: Option<Cow<'a, str>>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

pub struct TokenVerifier {
    issuer: String,
}

impl TokenVerifier {
    pub fn new(issuer: &str) -> Self {
        TokenVerifier {
            issuer: issuer.to_string(),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Verifies `token` as of `now` (seconds since the Unix epoch).
    pub fn verify(
        &self,
        ring: &KeyRing,
        token: &str,
        now: u64,
    ) -> Result<SessionClaims, TokenError> {
        let c = self.verify_signed(ring, token, now)?;
        if c.exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(c)
    }

    /// Everything [`verify`](Self::verify) checks except expiry: for re-issuing an expired
    /// token while its server-side session is valid, and for signing out with one.
    pub fn verify_signed(
        &self,
        ring: &KeyRing,
        token: &str,
        now: u64,
    ) -> Result<SessionClaims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TooLarge);
        }
        let (signed, sig_b64) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (header_b64, payload_b64) = signed.split_once('.').ok_or(TokenError::Malformed)?;
        let header_json = b64(header_b64)?;
        let header: JoseHeader<'_> =
            serde_json::from_slice(&header_json).map_err(|_| TokenError::Malformed)?;
        if header.alg != "EdDSA" {
            return Err(TokenError::Algorithm);
        }
        if header.crit.is_some() {
            return Err(TokenError::Malformed);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = ring.verifying_key(&kid).ok_or(TokenError::UnknownKey)?;
        let mut sig = [0u8; 64];
        match URL_SAFE_NO_PAD.decode_slice(sig_b64, &mut sig) {
            Ok(64) => {}
            _ => return Err(TokenError::Signature),
        }
        key.verify(signed.as_bytes(), &Signature::from_bytes(&sig))
            .map_err(|_| TokenError::Signature)?;
        let c: SessionClaims =
            serde_json::from_slice(&b64(payload_b64)?).map_err(|_| TokenError::Malformed)?;
        if c.iss != self.issuer {
            return Err(TokenError::Issuer);
        }
        if c.nbf > now + SKEW_SECS || c.iat > now + SKEW_SECS {
            return Err(TokenError::NotYetValid);
        }
        Ok(c)
    }
}

/// Strict unpadded base64url (non-canonical trailing bits are refused).
fn b64(part: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)
}

/// The `iss` of session tokens: `public_url` without a trailing slash.
pub fn issuer(public_url: &url::Url) -> String {
    public_url.as_str().trim_end_matches('/').to_string()
}

/// Signs `claims` with the ring's newest key (header `alg: EdDSA`, `kid`). A token longer
/// than verification accepts ([`MAX_TOKEN_LEN`]) is refused here rather than issued as a
/// cookie that never verifies (found by the `cookie_token` fuzz target).
pub fn sign(ring: &KeyRing, claims: &SessionClaims) -> Result<String, KeyError> {
    let (kid, key) = ring.signing_key()?;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_string());
    let token =
        jsonwebtoken::encode(&header, claims, key).map_err(|_| KeyError::BadPrivateKey {
            kid: kid.to_string(),
        })?;
    if token.len() > MAX_TOKEN_LEN {
        return Err(KeyError::TokenTooLarge {
            len: token.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    use super::super::keys::KeyMaterial;
    use super::*;

    const ISS: &str = "https://auth.example.com/";
    const NOW: u64 = 1_800_000_000;

    fn claims() -> SessionClaims {
        SessionClaims {
            iss: ISS.into(),
            sub: "id_1".into(),
            realm: "default".into(),
            sid: "s_1".into(),
            username: "alice".into(),
            email: Some("alice@example.com".into()),
            groups: vec!["staff".into()],
            iat: NOW,
            nbf: NOW,
            exp: NOW + 300,
            auth_time: NOW,
            amr: vec!["hwk".into(), "user".into()],
        }
    }

    fn ring() -> KeyRing {
        KeyRing::new(&[KeyMaterial::generate(1).unwrap()])
    }

    fn b64(v: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn round_trip() {
        let ring = ring();
        let t = sign(&ring, &claims()).unwrap();
        assert_eq!(
            TokenVerifier::new(ISS).verify(&ring, &t, NOW + 1).unwrap(),
            claims()
        );
    }

    #[test]
    fn rejects_expired_future_wrong_issuer_and_unknown_key() {
        let ring = ring();
        let v = TokenVerifier::new(ISS);
        let t = sign(&ring, &claims()).unwrap();
        assert_eq!(v.verify(&ring, &t, NOW + 300), Err(TokenError::Expired));
        assert_eq!(
            v.verify(&ring, &t, NOW - SKEW_SECS - 1),
            Err(TokenError::NotYetValid)
        );
        assert_eq!(
            TokenVerifier::new("https://evil.example/").verify(&ring, &t, NOW),
            Err(TokenError::Issuer)
        );
        assert_eq!(
            v.verify(&self::ring(), &t, NOW),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn rejects_alg_none_hmac_and_tampering() {
        let ring = ring();
        let v = TokenVerifier::new(ISS);
        let t = sign(&ring, &claims()).unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let kid = jsonwebtoken::decode_header(&t).unwrap().kid.unwrap();

        let none = format!(
            "{}.{}.",
            b64(&serde_json::json!({"alg": "none", "kid": kid})),
            parts[1]
        );
        assert!(matches!(
            v.verify(&ring, &none, NOW),
            Err(TokenError::Malformed | TokenError::Algorithm)
        ));

        let hs = format!(
            "{}.{}.{}",
            b64(&serde_json::json!({"alg": "HS256", "kid": kid})),
            parts[1],
            parts[2]
        );
        assert_eq!(v.verify(&ring, &hs, NOW), Err(TokenError::Algorithm));

        let mut evil = claims();
        evil.username = "admin".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&evil).unwrap()),
            parts[2]
        );
        assert_eq!(v.verify(&ring, &forged, NOW), Err(TokenError::Signature));

        assert_eq!(v.verify(&ring, "garbage", NOW), Err(TokenError::Malformed));
        assert_eq!(
            v.verify(&ring, &format!("{}.{}", parts[0], parts[1]), NOW),
            Err(TokenError::Malformed)
        );
        assert_eq!(
            v.verify(&ring, &"a".repeat(MAX_TOKEN_LEN + 1), NOW),
            Err(TokenError::TooLarge)
        );
        assert!(matches!(
            v.verify(&ring, &t[..t.len() - 3], NOW),
            Err(TokenError::Signature | TokenError::Malformed)
        ));
    }

    #[test]
    fn rejects_crit_missing_kid_foreign_signatures_and_odd_encodings() {
        let ring = ring();
        let v = TokenVerifier::new(ISS);
        let t = sign(&ring, &claims()).unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let kid = jsonwebtoken::decode_header(&t).unwrap().kid.unwrap();

        // A genuine header and payload with a signature from another key under our kid.
        let other = KeyRing::new(&[KeyMaterial::generate(2).unwrap()]);
        let foreign = sign(&other, &claims()).unwrap();
        let foreign_sig = foreign.rsplit('.').next().unwrap();
        assert_eq!(
            v.verify(
                &ring,
                &format!("{}.{}.{foreign_sig}", parts[0], parts[1]),
                NOW
            ),
            Err(TokenError::Signature)
        );

        // Re-signed headers: `crit`, no `kid`, `alg` in another case.
        let (_, key) = ring.signing_key().unwrap();
        let resign = |header: serde_json::Value| {
            let h: Header = serde_json::from_value(header).unwrap();
            jsonwebtoken::encode(&h, &claims(), key).unwrap()
        };
        let crit = resign(serde_json::json!({"alg": "EdDSA", "kid": kid, "crit": ["exp"]}));
        assert_eq!(v.verify(&ring, &crit, NOW), Err(TokenError::Malformed));
        let no_kid = resign(serde_json::json!({"alg": "EdDSA"}));
        assert_eq!(v.verify(&ring, &no_kid, NOW), Err(TokenError::UnknownKey));

        // Signature of the wrong length, padding, and a fourth segment.
        assert_eq!(
            v.verify(
                &ring,
                &format!("{}.{}.{}AA", parts[0], parts[1], parts[2]),
                NOW
            ),
            Err(TokenError::Signature)
        );
        assert_eq!(
            v.verify(&ring, &format!("{t}=="), NOW),
            Err(TokenError::Signature)
        );
        assert_eq!(
            v.verify(
                &ring,
                &format!("{}.{}.x.{}", parts[0], parts[1], parts[2]),
                NOW
            ),
            Err(TokenError::Signature)
        );
        // A payload whose last character has non-zero unused bits decodes to the same
        // bytes in lenient decoders; it is refused here (and the signature no longer
        // covers it anyway).
        let mut p = parts[1].to_string();
        let last = p.pop().unwrap();
        let idx = base64::alphabet::URL_SAFE.as_str().find(last).unwrap();
        let twin = base64::alphabet::URL_SAFE.as_str().as_bytes()[idx ^ 1] as char;
        p.push(twin);
        assert!(v
            .verify(&ring, &format!("{}.{p}.{}", parts[0], parts[2]), NOW)
            .is_err());
        // The same token verifies (nothing above mutated the ring).
        assert!(v.verify(&ring, &t, NOW).is_ok());
    }
}
