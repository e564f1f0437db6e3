//! Issuing and verifying session tokens. Verification pins the algorithm to EdDSA, accepts
//! only `kid`s in the key ring, checks issuer, expiry and not-before against a `now` passed
//! in, and turns every failure into a [`TokenError`] (unauthenticated, never a 500).

use jsonwebtoken::{Algorithm, Header, Validation};

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

pub struct TokenVerifier {
    issuer: String,
    validation: Validation,
}

impl TokenVerifier {
    pub fn new(issuer: &str) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.algorithms = vec![Algorithm::EdDSA];
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["iss", "exp", "nbf", "sub"]);
        // Time is checked below against the `now` passed in.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        TokenVerifier {
            issuer: issuer.to_string(),
            validation,
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
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.as_deref().ok_or(TokenError::UnknownKey)?;
        let key = ring.decoding_key(kid).ok_or(TokenError::UnknownKey)?;
        let data =
            jsonwebtoken::decode::<SessionClaims>(token, key, &self.validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                match e.kind() {
                    K::InvalidSignature | K::InvalidEcdsaKey | K::InvalidKeyFormat => {
                        TokenError::Signature
                    }
                    K::InvalidAlgorithm | K::InvalidAlgorithmName => TokenError::Algorithm,
                    K::InvalidIssuer => TokenError::Issuer,
                    _ => TokenError::Malformed,
                }
            })?;
        let c = data.claims;
        if c.nbf > now + SKEW_SECS || c.iat > now + SKEW_SECS {
            return Err(TokenError::NotYetValid);
        }
        Ok(c)
    }
}

/// The `iss` of session tokens: `public_url` without a trailing slash.
pub fn issuer(public_url: &url::Url) -> String {
    public_url.as_str().trim_end_matches('/').to_string()
}

/// Signs `claims` with the ring's newest key (header `alg: EdDSA`, `kid`).
pub fn sign(ring: &KeyRing, claims: &SessionClaims) -> Result<String, KeyError> {
    let (kid, key) = ring.signing_key()?;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, claims, key).map_err(|_| KeyError::BadPrivateKey {
        kid: kid.to_string(),
    })
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
}
