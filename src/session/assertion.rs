//! `X-Passgate-Jwt-Assertion`: a short-lived EdDSA JWT about the signed-in user for one
//! upstream (`aud` = the route's host), signed with the gateway's current key (`kid` in
//! `/.passgate/jwks.json`). Kept on the cached principal, one per audience, so a request
//! reuses the assertion signed for an earlier one with the same token: a hit is a lock-free
//! load, a comparison and a reference-count increment, with no lookup of its own.

use std::sync::Arc;

use http::HeaderValue;
use jsonwebtoken::{Algorithm, Header};
use serde::{Deserialize, Serialize};

use super::keys::{KeyError, KeyRing};
use super::principal::Principal;

/// Header carrying the assertion upstream.
pub const HEADER: &str = "x-passgate-jwt-assertion";
/// Lifetime of one assertion.
pub const LIFETIME_SECS: u64 = 180;
/// How long (seconds) a signed assertion is reused: it always has at least two minutes
/// left when it reaches the upstream.
pub const REUSE_SECS: u64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionClaims {
    /// `public_url` of the gateway.
    pub iss: String,
    /// The route's host.
    pub aud: String,
    /// Identity id.
    pub sub: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub iat: u64,
    pub exp: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum AssertionError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("signing the assertion: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    #[error("the signed assertion is not a valid header value")]
    Header,
}

/// One signed assertion, kept in [`Principal::memo`](super::Principal::memo).
#[derive(Clone)]
pub(crate) struct Signed {
    aud: Box<str>,
    kid: Box<str>,
    iat: u64,
    value: HeaderValue,
}

/// Audiences remembered per token; beyond this the oldest is dropped (a cookie shared by
/// many subdomains still signs at most once per minute per host).
const MAX_AUDIENCES: usize = 16;

/// The assertion for `p` and `aud`: the one signed for an earlier request with the same
/// token when it is younger than [`REUSE_SECS`] and signed by `ring`'s current key, else
/// one signed now (and kept for the next requests).
pub fn for_principal(
    ring: &KeyRing,
    issuer: &str,
    aud: &str,
    p: &Principal,
    now: u64,
) -> Result<HeaderValue, AssertionError> {
    let (kid, _) = ring.signing_key()?;
    let fresh = |s: &Signed| now < s.iat + REUSE_SECS && s.iat <= now && &*s.kid == kid;
    let slots = &p.memo.assertions;
    if let Some(list) = &*slots.load() {
        if let Some(s) = list.iter().find(|s| &*s.aud == aud && fresh(s)) {
            return Ok(s.value.clone());
        }
    }
    let jwt = sign(ring, &claims(issuer, aud, p, now))?;
    let value = HeaderValue::from_str(&jwt).map_err(|_| AssertionError::Header)?;
    let keep = |s: &&Signed| &*s.aud != aud && fresh(s);
    slots.rcu(|old| {
        let mut list: Vec<Signed> = Vec::with_capacity(MAX_AUDIENCES);
        list.push(Signed {
            aud: aud.into(),
            kid: kid.into(),
            iat: now,
            value: value.clone(),
        });
        if let Some(old) = old {
            list.extend(old.iter().filter(keep).take(MAX_AUDIENCES - 1).cloned());
        }
        Some(Arc::new(list))
    });
    Ok(value)
}

/// The claims of an assertion for `p` at `now`; it never outlives the session token.
pub fn claims(issuer: &str, aud: &str, p: &Principal, now: u64) -> AssertionClaims {
    AssertionClaims {
        iss: issuer.to_string(),
        aud: aud.to_string(),
        sub: p.identity_id().to_string(),
        username: p.username().to_string(),
        email: p.email().map(str::to_string),
        groups: p.groups().iter().map(|g| g.to_string()).collect(),
        iat: now,
        // Never past the session token's own expiry (an assertion must not outlive it).
        exp: (now + LIFETIME_SECS).min(p.expires_at.max(now)),
    }
}

/// Signs `claims` with the ring's current key (`alg: EdDSA`, `typ: JWT`, `kid`).
pub fn sign(ring: &KeyRing, claims: &AssertionClaims) -> Result<String, AssertionError> {
    let (kid, key) = ring.signing_key()?;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_string());
    Ok(jsonwebtoken::encode(&header, claims, key)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::keys::KeyMaterial;

    fn principal() -> Arc<Principal> {
        Arc::new(Principal::new(crate::session::principal::Parts {
            identity_id: "id1",
            realm: "default",
            username: "alice",
            email: None,
            groups: &["staff".to_string()],
            session_id: "s1",
            auth_time: 0,
            expires_at: u64::MAX,
        }))
    }

    #[test]
    fn reused_for_the_same_token_and_audience_only() {
        let ring = KeyRing::new(&[KeyMaterial::generate(1).unwrap()]);
        let p = principal();
        let a = for_principal(&ring, "https://auth", "app.test", &p, 100).unwrap();
        let b = for_principal(&ring, "https://auth", "app.test", &p, 101).unwrap();
        assert_eq!(a, b, "a hit");
        let c = for_principal(&ring, "https://auth", "other.test", &p, 101).unwrap();
        assert_ne!(a, c);
        assert_eq!(
            for_principal(&ring, "https://auth", "app.test", &p, 102).unwrap(),
            a,
            "a second audience does not evict the first"
        );
        let p2 = principal();
        let d = for_principal(&ring, "https://auth", "app.test", &p2, 101).unwrap();
        assert_ne!(a, d, "a new principal (re-issued token) signs again");
        let rotated = KeyRing::new(&[KeyMaterial::generate(2).unwrap()]);
        let e = for_principal(&rotated, "https://auth", "app.test", &p2, 101).unwrap();
        assert_ne!(d, e, "a new key signs again");
        let f = for_principal(&rotated, "https://auth", "app.test", &p2, 161).unwrap();
        assert_ne!(e, f, "stale after REUSE_SECS");
        let g = for_principal(&rotated, "https://auth", "app.test", &p2, 90).unwrap();
        assert_ne!(f, g, "never one from the future (clock stepped back)");
    }

    #[test]
    fn audiences_per_token_are_bounded() {
        let ring = KeyRing::new(&[KeyMaterial::generate(1).unwrap()]);
        let p = principal();
        for i in 0..40 {
            for_principal(&ring, "https://auth", &format!("h{i}.test"), &p, 100).unwrap();
        }
        let list = p.memo.assertions.load_full().unwrap();
        assert_eq!(list.len(), MAX_AUDIENCES);
        assert_eq!(&*list[0].aud, "h39.test", "newest first");
    }

    #[test]
    fn the_assertion_verifies_with_the_published_key() {
        let ring = KeyRing::new(&[KeyMaterial::generate(1).unwrap()]);
        let p = principal();
        let v = for_principal(&ring, "https://auth", "app.test", &p, 100).unwrap();
        let jwt = v.to_str().unwrap();
        let kid = jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap();
        let x = ring.jwks()["keys"][0]["x"].as_str().unwrap().to_string();
        assert_eq!(ring.jwks()["keys"][0]["kid"], kid);
        let key = jsonwebtoken::DecodingKey::from_ed_components(&x).unwrap();
        let mut val = jsonwebtoken::Validation::new(Algorithm::EdDSA);
        val.set_audience(&["app.test"]);
        val.validate_exp = false;
        let c = jsonwebtoken::decode::<AssertionClaims>(jwt, &key, &val)
            .unwrap()
            .claims;
        assert_eq!(c.sub, "id1");
        assert_eq!(c.exp, 100 + LIFETIME_SECS);
    }

    #[test]
    fn the_assertion_never_outlives_the_session_token() {
        let mut p = (*principal()).clone();
        p.expires_at = 150;
        assert_eq!(claims("https://auth", "app.test", &p, 100).exp, 150);
        p.expires_at = 100 + LIFETIME_SECS + 50;
        assert_eq!(
            claims("https://auth", "app.test", &p, 100).exp,
            100 + LIFETIME_SECS
        );
    }
}
