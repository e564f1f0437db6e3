//! `X-Passgate-Jwt-Assertion`: a short-lived EdDSA JWT about the signed-in user for one
//! upstream (`aud` = the route's host), signed with the gateway's current key (`kid` in
//! `/.passgate/jwks.json`). Cached per session and audience, so a request reuses the
//! assertion signed for an earlier one instead of signing again.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};

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

struct Entry {
    principal: Arc<Principal>,
    aud: Box<str>,
    kid: Box<str>,
    iat: u64,
    value: HeaderValue,
}

/// Signed assertions by (session, audience). Keys are hashes; a hit is used only when the
/// entry's principal, audience and signing key are the current ones and it is younger
/// than [`REUSE_SECS`]. A plain map under a read-mostly lock (held for a lookup, never
/// across an await): a hit costs a hash and an uncontended read lock. When full, stale
/// entries are dropped, and everything if none is stale.
pub struct AssertionCache {
    entries: RwLock<HashMap<u64, Arc<Entry>>>,
    capacity: usize,
}

impl Default for AssertionCache {
    fn default() -> Self {
        AssertionCache::new(100_000)
    }
}

impl AssertionCache {
    pub fn new(capacity: usize) -> Self {
        AssertionCache {
            entries: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    /// The assertion for `p` and `aud`: cached, or signed now with `ring`'s current key.
    pub fn get(
        &self,
        ring: &KeyRing,
        issuer: &str,
        aud: &str,
        p: &Arc<Principal>,
        now: u64,
    ) -> Result<HeaderValue, AssertionError> {
        let (kid, _) = ring.signing_key()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        p.session_id.hash(&mut h);
        aud.hash(&mut h);
        let key = h.finish();
        {
            let map = self.entries.read().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = map.get(&key) {
                if now < e.iat + REUSE_SECS
                    && Arc::ptr_eq(&e.principal, p)
                    && &*e.aud == aud
                    && &*e.kid == kid
                {
                    return Ok(e.value.clone());
                }
            }
        }
        let jwt = sign(ring, &claims(issuer, aud, p, now))?;
        let value = HeaderValue::from_str(&jwt).map_err(|_| AssertionError::Header)?;
        let entry = Arc::new(Entry {
            principal: p.clone(),
            aud: aud.into(),
            kid: kid.into(),
            iat: now,
            value: value.clone(),
        });
        let mut map = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.capacity {
            map.retain(|_, e| now < e.iat + REUSE_SECS);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(key, entry);
        Ok(value)
    }
}

/// The claims of an assertion for `p` at `now`; it never outlives the session token.
pub fn claims(issuer: &str, aud: &str, p: &Principal, now: u64) -> AssertionClaims {
    AssertionClaims {
        iss: issuer.to_string(),
        aud: aud.to_string(),
        sub: p.identity_id.to_string(),
        username: p.username.to_string(),
        email: p.email.as_deref().map(str::to_string),
        groups: p.groups.iter().map(|g| g.to_string()).collect(),
        iat: now,
        exp: now + LIFETIME_SECS,
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
        Arc::new(Principal {
            identity_id: "id1".into(),
            realm: "default".into(),
            username: "alice".into(),
            email: None,
            groups: vec!["staff".into()].into(),
            session_id: "s1".into(),
            auth_time: 0,
            expires_at: u64::MAX,
        })
    }

    #[test]
    fn reused_for_the_same_principal_and_audience_only() {
        let ring = KeyRing::new(&[KeyMaterial::generate(1).unwrap()]);
        let cache = AssertionCache::new(10);
        let p = principal();
        let a = cache
            .get(&ring, "https://auth", "app.test", &p, 100)
            .unwrap();
        let b = cache
            .get(&ring, "https://auth", "app.test", &p, 101)
            .unwrap();
        assert_eq!(a, b, "a cache hit");
        let c = cache
            .get(&ring, "https://auth", "other.test", &p, 101)
            .unwrap();
        assert_ne!(a, c);
        let p2 = principal();
        let d = cache
            .get(&ring, "https://auth", "app.test", &p2, 101)
            .unwrap();
        assert_ne!(a, d, "a new principal (re-issued token) signs again");
        let rotated = KeyRing::new(&[KeyMaterial::generate(2).unwrap()]);
        let e = cache
            .get(&rotated, "https://auth", "app.test", &p2, 101)
            .unwrap();
        assert_ne!(d, e, "a new key signs again");
        let f = cache
            .get(&rotated, "https://auth", "app.test", &p2, 161)
            .unwrap();
        assert_ne!(e, f, "stale after REUSE_SECS");
    }
}
