//! Rate limits on the ceremony and recovery endpoints, answered with `429` and
//! `Retry-After`: fixed windows per client IP (and per email address for recovery, per
//! username for username-first sign-in), plus a stricter window for failed sign-ins per IP
//! (as Authelia's regulation: a run of failures blocks the address for a while). The
//! counters live in the store (`rate_limits`), so a budget holds per client across every
//! instance sharing it, and survives reloads and restarts. Windows are aligned to the epoch
//! (`now - now % window`); rows are swept once their window has ended. When the store does
//! not answer, the request is refused with `503` (every endpoint limited here needs the
//! store to do its work anyway): limits never fail open.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::error::ApiError;
use crate::idm::IdmError;
use crate::metrics::{events, LimitName};
use crate::store::Store;

/// One limit: at most `max` events per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// Ceremony requests (begin and finish) per client IP.
pub const CEREMONY: Limit = Limit {
    max: 60,
    window: Duration::from_secs(60),
};
/// Failed sign-ins per client IP before further attempts wait for the window's end.
pub const FAILURES: Limit = Limit {
    max: 10,
    window: Duration::from_secs(300),
};
/// Recovery requests per client IP.
pub const RECOVERY_IP: Limit = Limit {
    max: 5,
    window: Duration::from_secs(900),
};
/// Recovery requests per email address.
pub const RECOVERY_EMAIL: Limit = Limit {
    max: 3,
    window: Duration::from_secs(3600),
};

/// Requests to the OpenID Connect endpoints per client address.
pub const OIDC: Limit = Limit {
    max: 120,
    window: Duration::from_secs(60),
};
/// Refused OpenID Connect requests (bad client secret, code, token) per client address
/// before the address is blocked for the rest of the window.
pub const OIDC_FAILURES: Limit = Limit {
    max: 20,
    window: Duration::from_secs(300),
};

/// How often windows that have ended are swept (by whichever request comes first).
const SWEEP_EVERY_SECS: u64 = 60;

pub struct RateLimits {
    store: Arc<dyn Store>,
    /// When this instance last swept ended windows (seconds since the epoch).
    swept_at: AtomicU64,
}

/// The address a limit counts for: an IPv4 address, or the /64 network of an IPv6 one
/// (one subscriber usually holds a whole /64, and could rotate through it otherwise).
fn ip_key(ip: Option<IpAddr>) -> String {
    match ip {
        None => "-".to_string(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// `kind:` + a hex SHA-256 of `value`: a fixed-size key for client-chosen strings.
fn digest_key(kind: &str, value: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = data_encoding::HEXLOWER.encode(&Sha256::digest(value.as_bytes()));
    format!("{kind}:{digest}")
}

fn unavailable(e: crate::store::StoreError) -> ApiError {
    ApiError::from(IdmError::from(e))
}

/// The start and end of the fixed window of `limit` that holds `now`.
fn window_of(limit: Limit, now: u64) -> (u64, u64) {
    let len = limit.window.as_secs().max(1);
    let start = now - now % len;
    (start, start + len)
}

fn refused(name: LimitName, end: u64, now: u64) -> ApiError {
    events().refused(name);
    ApiError::TooManyRequests {
        retry_after_secs: end.saturating_sub(now).max(1),
    }
}

fn secs(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl RateLimits {
    pub fn new(store: Arc<dyn Store>) -> Self {
        RateLimits {
            store,
            swept_at: AtomicU64::new(0),
        }
    }

    /// Counts one event for `key` under `limit` at `now`; `Err(429)` once over it.
    async fn hit(
        &self,
        name: LimitName,
        key: &str,
        limit: Limit,
        now: u64,
    ) -> Result<(), ApiError> {
        self.sweep(now).await;
        let (start, end) = window_of(limit, now);
        let n = self
            .store
            .add_to_window(key, secs(start), secs(end), 1)
            .await
            .map_err(unavailable)?;
        if n > i64::from(limit.max) {
            return Err(refused(name, end, now));
        }
        Ok(())
    }

    /// Whether `key` has reached `limit` (without counting).
    async fn check(
        &self,
        name: LimitName,
        key: &str,
        limit: Limit,
        now: u64,
    ) -> Result<(), ApiError> {
        let (start, end) = window_of(limit, now);
        let n = self
            .store
            .window_count(key, secs(start))
            .await
            .map_err(unavailable)?;
        if n >= i64::from(limit.max) {
            return Err(refused(name, end, now));
        }
        Ok(())
    }

    /// Deletes ended windows, at most once a minute per instance; a failure waits for the
    /// next minute (the rows only take room).
    async fn sweep(&self, now: u64) {
        let last = self.swept_at.load(Ordering::Relaxed);
        if now < last + SWEEP_EVERY_SECS
            || self
                .swept_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        if let Err(e) = self.store.sweep_windows(secs(now)).await {
            tracing::warn!(error = %e, "could not sweep ended rate-limit windows");
        }
    }

    /// Before a sign-in ceremony step: the per-IP request limit and the failure block.
    pub async fn check_ceremony(&self, ip: Option<IpAddr>, now: u64) -> Result<(), ApiError> {
        let ip = ip_key(ip);
        self.check(
            LimitName::SignInFailures,
            &format!("fail:{ip}"),
            FAILURES,
            now,
        )
        .await?;
        self.hit(
            LimitName::Ceremony,
            &format!("ceremony:{ip}"),
            CEREMONY,
            now,
        )
        .await
    }

    /// Username-first sign-in requests per (lower-cased) username, whatever the address.
    /// The key is a digest of the name, so a client cannot make keys of any size.
    pub async fn check_username(&self, username: &str, now: u64) -> Result<(), ApiError> {
        self.hit(
            LimitName::Username,
            &digest_key("user", &username.trim().to_lowercase()),
            CEREMONY,
            now,
        )
        .await
    }

    /// A failed sign-in from `ip` (a store failure here is logged: the answer to the
    /// client is already the failure's).
    pub async fn failed(&self, ip: Option<IpAddr>, now: u64) {
        let key = format!("fail:{}", ip_key(ip));
        self.count_failure(&key, FAILURES, now, "a failed sign-in")
            .await;
    }

    /// Counts one failure for `key` under `limit` without refusing anything; a store
    /// failure is logged (the client's answer is already the failure's).
    async fn count_failure(&self, key: &str, limit: Limit, now: u64, what: &str) {
        let (start, end) = window_of(limit, now);
        if let Err(e) = self
            .store
            .add_to_window(key, secs(start), secs(end), 1)
            .await
        {
            tracing::warn!(error = %e, "{what} could not be counted");
        }
    }

    /// Before an OpenID Connect request: the failure block, then the request limit.
    pub async fn check_oidc(&self, ip: Option<IpAddr>, now: u64) -> Result<(), ApiError> {
        let ip = ip_key(ip);
        self.check(
            LimitName::OidcFailures,
            &format!("oidc-fail:{ip}"),
            OIDC_FAILURES,
            now,
        )
        .await?;
        self.hit(LimitName::Oidc, &format!("oidc:{ip}"), OIDC, now)
            .await
    }

    /// A refused OpenID Connect request from `ip` (a store failure here is logged: the
    /// answer to the client is already the refusal).
    pub async fn oidc_failed(&self, ip: Option<IpAddr>, now: u64) {
        let key = format!("oidc-fail:{}", ip_key(ip));
        self.count_failure(&key, OIDC_FAILURES, now, "a refused OpenID Connect request")
            .await;
    }

    /// Before a recovery request: per IP and per (lower-cased) email address.
    pub async fn check_recovery(
        &self,
        ip: Option<IpAddr>,
        email: &str,
        now: u64,
    ) -> Result<(), ApiError> {
        let ip = format!("recover-ip:{}", ip_key(ip));
        self.hit(LimitName::RecoveryIp, &ip, RECOVERY_IP, now)
            .await?;
        self.hit(
            LimitName::RecoveryEmail,
            &digest_key("recover-email", &email.to_lowercase()),
            RECOVERY_EMAIL,
            now,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{self, StoreOptions};

    async fn limits() -> (tempfile::TempDir, RateLimits) {
        let dir = tempfile::tempdir().unwrap();
        let store = store::open(&StoreOptions {
            url: format!("sqlite://{}", dir.path().join("l.db").display()),
            max_connections: 2,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(5),
        })
        .await
        .unwrap();
        (dir, RateLimits::new(store))
    }

    #[tokio::test]
    async fn windows_limit_and_reset() {
        let (_d, l) = limits().await;
        let lim = Limit {
            max: 2,
            window: Duration::from_secs(10),
        };
        let name = LimitName::Ceremony;
        assert!(l.hit(name, "k", lim, 100).await.is_ok());
        assert!(l.hit(name, "k", lim, 101).await.is_ok());
        match l.hit(name, "k", lim, 103).await {
            Err(ApiError::TooManyRequests { retry_after_secs }) => assert_eq!(retry_after_secs, 7),
            other => panic!("{other:?}"),
        }
        assert!(l.hit(name, "other", lim, 103).await.is_ok());
        assert!(l.hit(name, "k", lim, 110).await.is_ok(), "next window");
    }

    #[tokio::test]
    async fn failures_block_ceremonies_from_that_address() {
        let (_d, l) = limits().await;
        let ip: Option<IpAddr> = "10.0.0.1".parse().ok();
        let t = 3000; // the start of a FAILURES window
        for _ in 0..FAILURES.max {
            assert!(l.check_ceremony(ip, t).await.is_ok());
            l.failed(ip, t).await;
        }
        assert!(l.check_ceremony(ip, t + 1).await.is_err());
        assert!(l
            .check_ceremony("10.0.0.2".parse().ok(), t + 1)
            .await
            .is_ok());
        assert!(l
            .check_ceremony(ip, t + FAILURES.window.as_secs())
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn ended_windows_are_swept() {
        let (_d, l) = limits().await;
        let lim = Limit {
            max: 5,
            window: Duration::from_secs(10),
        };
        l.hit(LimitName::Ceremony, "k", lim, 100).await.unwrap();
        assert_eq!(l.store.window_count("k", 100).await.unwrap(), 1);
        // The next hit a minute later sweeps the ended window.
        l.hit(LimitName::Ceremony, "j", lim, 100 + SWEEP_EVERY_SECS)
            .await
            .unwrap();
        assert_eq!(l.store.window_count("k", 100).await.unwrap(), 0);
        assert_eq!(l.store.window_count("j", 160).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        let a: Option<IpAddr> = "2001:db8:1:2:aaaa::1".parse().ok();
        let b: Option<IpAddr> = "2001:db8:1:2:bbbb::2".parse().ok();
        let other: Option<IpAddr> = "2001:db8:1:3::1".parse().ok();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(other));
        assert_eq!(ip_key("::ffff:10.0.0.1".parse().ok()), "10.0.0.1");
        let (_d, l) = limits().await;
        for _ in 0..FAILURES.max {
            l.failed(a, 3000).await;
        }
        assert!(l.check_ceremony(b, 3001).await.is_err(), "same /64");
        assert!(l.check_ceremony(other, 3001).await.is_ok());
    }

    #[tokio::test]
    async fn client_chosen_strings_make_fixed_size_keys() {
        let long = "x".repeat(1 << 20);
        let k = digest_key("user", &long);
        assert_eq!(k.len(), "user:".len() + 64);
        assert_ne!(digest_key("user", "a"), digest_key("user", "b"));
        let (_d, l) = limits().await;
        for _ in 0..CEREMONY.max {
            assert!(l.check_username(" Alice ", 5).await.is_ok());
        }
        assert!(
            l.check_username("ALICE", 5).await.is_err(),
            "trimmed, any case"
        );
    }
}
