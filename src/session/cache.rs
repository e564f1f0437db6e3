//! The fast path's cache of verified principals, keyed by the exact token string (a
//! tampered token can never hit another's entry). Each entry expires with its token.
//! Revoked sessions and identities are invalidated at once and remembered for the longest
//! token lifetime, so a verification racing the revocation cannot re-insert them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use moka::sync::Cache;
use moka::Expiry;

use super::principal::Principal;

struct UntilTokenExpiry;

impl Expiry<Box<str>, Arc<Principal>> for UntilTokenExpiry {
    fn expire_after_create(
        &self,
        _key: &Box<str>,
        value: &Arc<Principal>,
        _now: Instant,
    ) -> Option<Duration> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Some(Duration::from_secs(value.expires_at.saturating_sub(now)))
    }
}

/// A revocation is remembered for the duration stored with it.
struct ForItsOwnTime;

impl Expiry<Box<str>, Duration> for ForItsOwnTime {
    fn expire_after_create(
        &self,
        _key: &Box<str>,
        keep: &Duration,
        _now: Instant,
    ) -> Option<Duration> {
        Some(*keep)
    }
}

/// Margin over the longest token lifetime for which a revocation is remembered.
const REVOCATION_MARGIN: Duration = Duration::from_secs(60);

pub struct PrincipalCache {
    /// Hashed with aHash (randomly keyed per process): a token is hundreds of bytes and
    /// SipHash over it was most of a hit's cost.
    entries: Cache<Box<str>, Arc<Principal>, ahash::RandomState>,
    /// Revoked session ids and identity ids, kept while a token could still carry them.
    revoked: Cache<Box<str>, Duration>,
    /// How long a new revocation is remembered, in seconds: the longest token lifetime this
    /// process has been configured with (a reload may lengthen it; shortening it leaves
    /// tokens of the old length alive), plus a margin.
    remember_secs: AtomicU64,
}

impl PrincipalCache {
    pub fn new(capacity: u64, max_token_lifetime: Duration) -> Self {
        let cache = PrincipalCache {
            entries: Cache::builder()
                .max_capacity(capacity)
                .expire_after(UntilTokenExpiry)
                .support_invalidation_closures()
                .build_with_hasher(ahash::RandomState::new()),
            revoked: Cache::builder()
                .max_capacity(1_000_000)
                .expire_after(ForItsOwnTime)
                .build(),
            remember_secs: AtomicU64::new(0),
        };
        cache.token_lifetime_is(max_token_lifetime);
        cache
    }

    /// The configured token lifetime (at start-up and on every reload): revocations are
    /// remembered at least this long from now on.
    pub fn token_lifetime_is(&self, lifetime: Duration) {
        let secs = (lifetime + REVOCATION_MARGIN).as_secs();
        self.remember_secs.fetch_max(secs, Ordering::Relaxed);
    }

    /// How long a revocation made now is remembered.
    pub fn remembers_revocations_for(&self) -> Duration {
        Duration::from_secs(self.remember_secs.load(Ordering::Relaxed))
    }

    #[inline]
    pub fn get(&self, token: &str) -> Option<Arc<Principal>> {
        self.entries.get(token)
    }

    pub fn insert(&self, token: &str, principal: Arc<Principal>) {
        if self.is_revoked(&principal) {
            return;
        }
        self.entries.insert(token.into(), principal.clone());
        if self.is_revoked(&principal) {
            self.entries.invalidate(token);
        }
    }

    /// Forgets one token (it is verified again on its next use).
    pub fn remove(&self, token: &str) {
        self.entries.invalidate(token);
    }

    pub fn is_revoked(&self, p: &Principal) -> bool {
        self.revoked.contains_key(&*p.session_id) || self.revoked.contains_key(&*p.identity_id)
    }

    /// Signs out one session everywhere this cache is consulted.
    pub fn revoke_session(&self, sid: &str) {
        self.revoked
            .insert(sid.into(), self.remembers_revocations_for());
        let sid: Arc<str> = Arc::from(sid);
        let _ = self
            .entries
            .invalidate_entries_if(move |_, p| p.session_id == sid);
    }

    /// Every session of an identity (suspended or deleted).
    pub fn revoke_identity(&self, identity_id: &str) {
        self.revoked
            .insert(identity_id.into(), self.remembers_revocations_for());
        let id: Arc<str> = Arc::from(identity_id);
        let _ = self
            .entries
            .invalidate_entries_if(move |_, p| p.identity_id == id);
    }

    /// Makes pending invalidations visible (tests and benches).
    pub fn sync(&self) {
        self.entries.run_pending_tasks();
        self.revoked.run_pending_tasks();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(sid: &str, id: &str) -> Arc<Principal> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        Arc::new(Principal {
            identity_id: Arc::from(id),
            realm: Arc::from("default"),
            username: Arc::from("alice"),
            email: None,
            groups: Arc::from(Vec::new()),
            session_id: Arc::from(sid),
            auth_time: now,
            expires_at: now + 300,
            memo: Default::default(),
        })
    }

    #[test]
    fn exact_token_only_and_revocation_is_immediate() {
        let c = PrincipalCache::new(100, Duration::from_secs(300));
        c.insert("tok-a", principal("s1", "i1"));
        c.insert("tok-b", principal("s2", "i1"));
        c.insert("tok-c", principal("s3", "i2"));
        assert!(c.get("tok-a").is_some());
        assert!(c.get("tok-a ").is_none());
        assert!(c.get("tok-").is_none());

        c.revoke_session("s1");
        assert!(
            c.get("tok-a").is_none(),
            "revoked session must miss at once"
        );
        assert!(c.get("tok-b").is_some());
        c.insert("tok-a", principal("s1", "i1"));
        assert!(
            c.get("tok-a").is_none(),
            "a revoked session is never re-inserted"
        );

        c.revoke_identity("i1");
        assert!(c.get("tok-b").is_none());
        assert!(c.get("tok-c").is_some());
    }

    #[test]
    fn expired_tokens_are_not_cached() {
        let c = PrincipalCache::new(100, Duration::from_secs(300));
        let mut p = (*principal("s1", "i1")).clone();
        p.expires_at = 1;
        c.insert("old", Arc::new(p));
        c.sync();
        assert!(c.get("old").is_none());
    }

    #[test]
    fn revocations_are_remembered_for_the_longest_configured_token_lifetime() {
        let c = PrincipalCache::new(100, Duration::from_secs(300));
        assert_eq!(c.remembers_revocations_for(), Duration::from_secs(360));
        c.token_lifetime_is(Duration::from_secs(3600));
        assert_eq!(c.remembers_revocations_for(), Duration::from_secs(3660));
        c.token_lifetime_is(Duration::from_secs(60));
        assert_eq!(
            c.remembers_revocations_for(),
            Duration::from_secs(3660),
            "never shorter: tokens of the longer lifetime may still be alive"
        );
    }
}
