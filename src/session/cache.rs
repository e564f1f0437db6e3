//! The fast path's cache of verified principals. Each entry expires with its token.
//! Revoked sessions and identities are invalidated at once and remembered for the longest
//! token lifetime, so a verification racing the revocation cannot re-insert them.
//!
//! Entries are keyed by a 128-bit keyed hash of the exact token (two aHash functions with
//! random keys drawn per process), not by the token itself: a token is hundreds of bytes,
//! and 100,000 cached sessions must fit in a few tens of MiB. A token that was never
//! verified hits an entry only by matching an unknown 128-bit value (one chance in 2^128
//! per try and entry), and only verified tokens are inserted. The table is a plain sharded
//! hash map (a read lock and one probe per hit): expired entries are dropped at most every
//! [`PRUNE_EVERY`] when new tokens come in, and revocations walk the table (rare).
//!
//! "Now" is the injected [`Clock`]'s (the gateway's one clock); only how long a revocation
//! is remembered runs on moka's own monotonic time.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use moka::sync::Cache;
use moka::Expiry;

use super::principal::Principal;
use crate::clock::{Clock, SystemClock};

/// A revocation is remembered for the duration stored with it.
struct ForItsOwnTime;

impl Expiry<Box<str>, Revoked> for ForItsOwnTime {
    fn expire_after_create(&self, _key: &Box<str>, r: &Revoked, _now: Instant) -> Option<Duration> {
        Some(r.keep)
    }
}

/// A remembered revocation: how long to keep it, and for an identity the second it was
/// made (sessions signed in later, after a reactivation, are not affected).
#[derive(Debug, Clone, Copy)]
struct Revoked {
    keep: Duration,
    at: u64,
}

/// Margin over the longest token lifetime for which a revocation is remembered.
const REVOCATION_MARGIN: Duration = Duration::from_secs(60);
/// Expired entries are dropped at most this often (on an insert).
pub const PRUNE_EVERY: Duration = Duration::from_secs(30);
const SHARDS: usize = 16;

/// The table's hasher: the key is already a uniformly random 128-bit value, so its low
/// 64 bits are the hash (no second hashing on the fast path).
#[derive(Clone, Copy, Default)]
struct KeyBits;

struct KeyBitsHasher(u64);

impl BuildHasher for KeyBits {
    type Hasher = KeyBitsHasher;
    fn build_hasher(&self) -> KeyBitsHasher {
        KeyBitsHasher(0)
    }
}

impl Hasher for KeyBitsHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u128` keys are hashed here; fold anything else anyway.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

type Shard = HashMap<u128, Arc<Principal>, KeyBits>;

pub struct PrincipalCache {
    /// The two keyed hash functions of a token's 128-bit key.
    hash: (ahash::RandomState, ahash::RandomState),
    shards: Box<[RwLock<Shard>]>,
    /// At most this many entries per shard (new tokens are then verified on every use).
    per_shard: usize,
    /// Seconds since the epoch after which the next insert drops expired entries.
    next_prune: AtomicU64,
    /// Revoked session ids and identity ids, kept while a token could still carry them.
    revoked: Cache<Box<str>, Revoked>,
    /// How long a new revocation is remembered, in seconds: the longest token lifetime this
    /// process has been configured with (a reload may lengthen it; shortening it leaves
    /// tokens of the old length alive), plus a margin.
    remember_secs: AtomicU64,
    clock: Arc<dyn Clock>,
}

impl PrincipalCache {
    /// A cache on the system clock.
    pub fn new(capacity: u64, max_token_lifetime: Duration) -> Self {
        Self::with_clock(capacity, max_token_lifetime, Arc::new(SystemClock))
    }

    /// A cache whose entries expire by `clock` (the server's one clock; tests move it).
    pub fn with_clock(capacity: u64, max_token_lifetime: Duration, clock: Arc<dyn Clock>) -> Self {
        let per_shard = usize::try_from(capacity.div_ceil(SHARDS as u64)).unwrap_or(usize::MAX);
        let cache = PrincipalCache {
            hash: (ahash::RandomState::new(), ahash::RandomState::new()),
            shards: (0..SHARDS)
                .map(|_| RwLock::new(HashMap::with_hasher(KeyBits)))
                .collect(),
            per_shard: per_shard.max(1),
            next_prune: AtomicU64::new(0),
            revoked: Cache::builder()
                .max_capacity(1_000_000)
                .expire_after(ForItsOwnTime)
                .build(),
            remember_secs: AtomicU64::new(0),
            clock,
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
    fn key(&self, token: &str) -> u128 {
        let lo = self.hash.0.hash_one(token);
        let hi = self.hash.1.hash_one(token);
        (u128::from(hi) << 64) | u128::from(lo)
    }

    #[inline]
    fn shard(&self, key: u128) -> &RwLock<Shard> {
        // The high half picks the shard; the low half is the hash inside it.
        &self.shards[(key >> 64) as usize % SHARDS]
    }

    fn read(shard: &RwLock<Shard>) -> RwLockReadGuard<'_, Shard> {
        // A panic while holding the lock cannot leave a map half-updated.
        shard.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(shard: &RwLock<Shard>) -> RwLockWriteGuard<'_, Shard> {
        shard.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The principal cached for `token`. It may be past its `expires_at` (up to
    /// [`PRUNE_EVERY`]): the caller compares it with its own clock.
    #[inline]
    pub fn get(&self, token: &str) -> Option<Arc<Principal>> {
        let key = self.key(token);
        Self::read(self.shard(key)).get(&key).cloned()
    }

    pub fn insert(&self, token: &str, principal: Arc<Principal>) {
        let now = self.clock.now_secs();
        if principal.expires_at <= now || self.is_revoked(&principal) {
            return;
        }
        self.prune_if_due(now);
        let key = self.key(token);
        let shard = self.shard(key);
        {
            let mut map = Self::write(shard);
            if map.len() >= self.per_shard && !map.contains_key(&key) {
                return;
            }
            map.insert(key, principal.clone());
        }
        if self.is_revoked(&principal) {
            Self::write(shard).remove(&key);
        }
    }

    /// Forgets one token (it is verified again on its next use).
    pub fn remove(&self, token: &str) {
        let key = self.key(token);
        Self::write(self.shard(key)).remove(&key);
    }

    /// A session revoked by id, or signed in no later than its identity's last revocation
    /// (suspension, deletion); a sign-in after a reactivation is not revoked.
    pub fn is_revoked(&self, p: &Principal) -> bool {
        self.revoked.contains_key(p.session_id())
            || self
                .revoked
                .get(p.identity_id())
                .is_some_and(|r| p.auth_time <= r.at)
    }

    /// Signs out one session everywhere this cache is consulted.
    pub fn revoke_session(&self, sid: &str) {
        let keep = self.remembers_revocations_for();
        self.revoked.insert(sid.into(), Revoked { keep, at: 0 });
        self.retain(|p| p.session_id() != sid);
    }

    /// Every session of an identity (suspended or deleted).
    pub fn revoke_identity(&self, identity_id: &str) {
        self.revoke_identity_at(identity_id, self.clock.now_secs());
    }

    /// Every session of an identity signed in at or before `at` (seconds since the epoch;
    /// the revocation feed passes the time the revocation was made).
    pub fn revoke_identity_at(&self, identity_id: &str, at: u64) {
        let keep = self.remembers_revocations_for();
        let at = self.revoked.get(identity_id).map_or(at, |r| r.at.max(at));
        self.revoked
            .insert(identity_id.into(), Revoked { keep, at });
        self.retain(|p| p.identity_id() != identity_id || p.auth_time > at);
    }

    /// Number of cached tokens (expired ones not yet dropped included).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| Self::read(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops expired entries and applies pending revocation bookkeeping (tests, benches).
    pub fn sync(&self) {
        self.prune(self.clock.now_secs());
        self.revoked.run_pending_tasks();
    }

    fn prune_if_due(&self, now: u64) {
        let due = self.next_prune.load(Ordering::Relaxed);
        if now < due {
            return;
        }
        let next = now + PRUNE_EVERY.as_secs();
        if self
            .next_prune
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.prune(now);
        }
    }

    fn prune(&self, now: u64) {
        self.retain(|p| p.expires_at > now);
    }

    fn retain(&self, keep: impl Fn(&Principal) -> bool) {
        for shard in self.shards.iter() {
            let mut map = Self::write(shard);
            map.retain(|_, p| keep(p));
            // Give memory back after a large expiry wave, not on every small one.
            if map.capacity() > 64 && map.len() < map.capacity() / 4 {
                map.shrink_to_fit();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now_secs() -> u64 {
        SystemClock.now_secs()
    }

    fn principal(sid: &str, id: &str) -> Arc<Principal> {
        let now = now_secs();
        Arc::new(Principal::new(crate::session::principal::Parts {
            identity_id: id,
            realm: "default",
            username: "alice",
            email: None,
            groups: &[],
            session_id: sid,
            auth_time: now,
            expires_at: now + 300,
        }))
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
    fn a_sign_in_after_an_identity_revocation_is_not_revoked() {
        let c = PrincipalCache::new(100, Duration::from_secs(300));
        let old = principal("s1", "i1");
        let now = old.auth_time;
        c.insert("tok-old", old);
        // Suspended ten seconds ago (the feed's time), reactivated, signed in again now.
        c.revoke_identity_at("i1", now - 10);
        let mut earlier = (*principal("s0", "i1")).clone();
        earlier.auth_time = now - 20;
        assert!(c.is_revoked(&earlier));
        assert!(!c.is_revoked(&principal("s2", "i1")));
        c.insert("tok-new", principal("s2", "i1"));
        assert!(c.get("tok-new").is_some());
        // A later revocation moves the time on; an older one from the feed does not undo it.
        c.revoke_identity_at("i1", now);
        c.revoke_identity_at("i1", now - 30);
        assert!(c.get("tok-new").is_none());
        assert!(c.is_revoked(&principal("s3", "i1")));
    }

    #[test]
    fn capacity_is_a_bound_and_expired_entries_are_pruned() {
        let c = PrincipalCache::new(SHARDS as u64, Duration::from_secs(300));
        for i in 0..1000 {
            c.insert(&format!("tok-{i}"), principal(&format!("s{i}"), "i1"));
        }
        assert!(
            c.len() <= SHARDS,
            "at most one entry per shard: {}",
            c.len()
        );
        let kept = (0..1000)
            .filter(|i| c.get(&format!("tok-{i}")).is_some())
            .count();
        assert_eq!(kept, c.len());

        let clock = Arc::new(crate::clock::ManualClock::starting_now());
        let c = PrincipalCache::with_clock(100, Duration::from_secs(300), clock.clone());
        let mut p = (*principal("s1", "i1")).clone();
        p.expires_at = clock.now_secs() + 1;
        c.insert("short", Arc::new(p));
        c.insert("long", principal("s2", "i1"));
        assert_eq!(c.len(), 2);
        c.sync();
        assert_eq!(c.len(), 2, "nothing expired yet by the cache's clock");
        clock.advance_secs(2);
        c.sync();
        assert!(c.get("short").is_none(), "expired entries are dropped");
        assert!(c.get("long").is_some());
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
