//! Verified API tokens, remembered for [`TTL`] so that a client's stream of requests reads
//! its token row once per interval instead of once per request. Keyed by the SHA-256 of the
//! whole bearer value (the secret itself is never kept); only successful checks are kept.
//!
//! Revocation: the instance that revokes a token forgets it at once ([`TokenCache::forget`]);
//! another instance, or the `passgate token revoke` command (its own process), is followed
//! within [`TTL`], when the entry lapses and the row is read again. A token's own expiry is
//! checked on every hit, against the directory's clock.

use std::time::Duration;

use moka::sync::Cache;

use super::ids;
use super::scopes::ApiPrincipal;

/// How long a verified token is trusted without reading its row again: the bound within
/// which a revocation made elsewhere takes effect here.
pub const TTL: Duration = Duration::from_secs(2);

/// Entries at most (one per distinct bearer value seen within [`TTL`]).
const CAPACITY: u64 = 10_000;

#[derive(Clone)]
struct Verified {
    principal: ApiPrincipal,
    expire_us: Option<i64>,
}

/// This process's verified tokens.
pub struct TokenCache {
    entries: Cache<String, Verified>,
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache {
            entries: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .build(),
        }
    }
}

impl TokenCache {
    /// The cache key of a bearer value.
    pub fn key(bearer: &str) -> String {
        ids::sha256_hex(bearer)
    }

    /// The principal of a token verified within [`TTL`] and not expired at `now_us`.
    pub fn get(&self, key: &str, now_us: i64) -> Option<ApiPrincipal> {
        let v = self.entries.get(key)?;
        if v.expire_us.is_some_and(|e| e <= now_us) {
            self.entries.invalidate(key);
            return None;
        }
        Some(v.principal)
    }

    pub fn put(&self, key: String, principal: ApiPrincipal, expire_us: Option<i64>) {
        self.entries.insert(
            key,
            Verified {
                principal,
                expire_us,
            },
        );
    }

    /// Forgets every entry of the token `id` (revoked by this process).
    pub fn forget(&self, id: &str) {
        let keys: Vec<_> = self
            .entries
            .iter()
            .filter(|(_, v)| v.principal.token_id == id)
            .map(|(k, _)| k)
            .collect();
        for k in keys {
            self.entries.invalidate(k.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idm::scopes::Scope;

    fn principal(id: &str) -> ApiPrincipal {
        ApiPrincipal {
            token_id: id.into(),
            tenant_id: "default".into(),
            realm_id: None,
            scopes: vec![Scope::Scim],
        }
    }

    #[test]
    fn hits_until_the_token_expires_or_is_forgotten() {
        let cache = TokenCache::default();
        let a = TokenCache::key("pgt_a_secret");
        let b = TokenCache::key("pgt_b_secret");
        assert_ne!(
            a,
            TokenCache::key("pgt_a_other"),
            "the secret is part of the key"
        );
        assert!(!a.contains("secret"));
        cache.put(a.clone(), principal("a"), Some(1_000));
        cache.put(b.clone(), principal("b"), None);
        assert_eq!(cache.get(&a, 999).map(|p| p.token_id), Some("a".into()));
        // Expired by the directory's clock: refused, and dropped.
        assert!(cache.get(&a, 1_000).is_none());
        assert!(cache.get(&a, 0).is_none());
        assert!(cache.get(&b, i64::MAX).is_some());
        cache.forget("b");
        assert!(cache.get(&b, 0).is_none());
    }
}
