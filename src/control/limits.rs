//! Rate limits on the ceremony and recovery endpoints, answered with `429` and
//! `Retry-After`: fixed windows per client IP (and per email address for recovery), plus a
//! stricter window for failed sign-ins per IP (as Authelia's regulation: a run of failures
//! blocks the address for a while). Counters live in memory per instance; a config reload
//! starts them afresh.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::sync::Cache;

use super::error::ApiError;

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

/// (window start, count), in seconds since the Unix epoch.
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

type Window = Arc<Mutex<(u64, u32)>>;

pub struct RateLimits {
    windows: Cache<String, Window>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            windows: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(3600))
                .build(),
        }
    }
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

impl RateLimits {
    /// Counts one event for `key` under `limit` at `now`; `Err(429)` once over it.
    pub fn hit(&self, key: &str, limit: Limit, now: u64) -> Result<(), ApiError> {
        self.count(key, limit, now, 1)
    }

    /// Whether `key` is over `limit` (without counting).
    pub fn check(&self, key: &str, limit: Limit, now: u64) -> Result<(), ApiError> {
        self.count(key, limit, now, 0)
    }

    fn count(&self, key: &str, limit: Limit, now: u64, add: u32) -> Result<(), ApiError> {
        let window = self
            .windows
            .get_with(key.to_string(), || Arc::new(Mutex::new((now, 0))));
        let mut w = window.lock().unwrap_or_else(|p| p.into_inner());
        let len = limit.window.as_secs();
        if now >= w.0 + len {
            *w = (now, 0);
        }
        if w.1 >= limit.max {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: (w.0 + len).saturating_sub(now).max(1),
            });
        }
        w.1 += add;
        Ok(())
    }

    /// Before a sign-in ceremony step: the per-IP request limit and the failure block.
    pub fn check_ceremony(&self, ip: Option<IpAddr>, now: u64) -> Result<(), ApiError> {
        let ip = ip_key(ip);
        self.check(&format!("fail:{ip}"), FAILURES, now)?;
        self.hit(&format!("ceremony:{ip}"), CEREMONY, now)
    }

    /// Username-first sign-in requests per (lower-cased) username, whatever the address.
    /// The key is a digest of the name, so a client cannot make keys of any size.
    pub fn check_username(&self, username: &str, now: u64) -> Result<(), ApiError> {
        self.hit(
            &digest_key("user", &username.trim().to_lowercase()),
            CEREMONY,
            now,
        )
    }

    /// A failed sign-in from `ip`.
    pub fn failed(&self, ip: Option<IpAddr>, now: u64) {
        let _ = self.hit(&format!("fail:{}", ip_key(ip)), FAILURES, now);
    }

    /// Before an OpenID Connect request: the failure block, then the request limit.
    pub fn check_oidc(&self, ip: Option<IpAddr>, now: u64) -> Result<(), ApiError> {
        let ip = ip_key(ip);
        self.check(&format!("oidc-fail:{ip}"), OIDC_FAILURES, now)?;
        self.hit(&format!("oidc:{ip}"), OIDC, now)
    }

    /// A refused OpenID Connect request from `ip`.
    pub fn oidc_failed(&self, ip: Option<IpAddr>, now: u64) {
        let _ = self.hit(&format!("oidc-fail:{}", ip_key(ip)), OIDC_FAILURES, now);
    }

    /// Before a recovery request: per IP and per (lower-cased) email address.
    pub fn check_recovery(
        &self,
        ip: Option<IpAddr>,
        email: &str,
        now: u64,
    ) -> Result<(), ApiError> {
        self.hit(&format!("recover-ip:{}", ip_key(ip)), RECOVERY_IP, now)?;
        self.hit(
            &digest_key("recover-email", &email.to_lowercase()),
            RECOVERY_EMAIL,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_limit_and_reset() {
        let l = RateLimits::default();
        let lim = Limit {
            max: 2,
            window: Duration::from_secs(10),
        };
        assert!(l.hit("k", lim, 100).is_ok());
        assert!(l.hit("k", lim, 101).is_ok());
        match l.hit("k", lim, 103) {
            Err(ApiError::TooManyRequests { retry_after_secs }) => assert_eq!(retry_after_secs, 7),
            other => panic!("{other:?}"),
        }
        assert!(l.hit("other", lim, 103).is_ok());
        assert!(l.hit("k", lim, 110).is_ok());
    }

    #[test]
    fn failures_block_ceremonies_from_that_address() {
        let l = RateLimits::default();
        let ip: Option<IpAddr> = "10.0.0.1".parse().ok();
        for _ in 0..FAILURES.max {
            assert!(l.check_ceremony(ip, 1000).is_ok());
            l.failed(ip, 1000);
        }
        assert!(l.check_ceremony(ip, 1001).is_err());
        assert!(l.check_ceremony("10.0.0.2".parse().ok(), 1001).is_ok());
        assert!(l
            .check_ceremony(ip, 1000 + FAILURES.window.as_secs())
            .is_ok());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        let a: Option<IpAddr> = "2001:db8:1:2:aaaa::1".parse().ok();
        let b: Option<IpAddr> = "2001:db8:1:2:bbbb::2".parse().ok();
        let other: Option<IpAddr> = "2001:db8:1:3::1".parse().ok();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(other));
        assert_eq!(ip_key("::ffff:10.0.0.1".parse().ok()), "10.0.0.1");
        let l = RateLimits::default();
        for _ in 0..FAILURES.max {
            l.failed(a, 1000);
        }
        assert!(l.check_ceremony(b, 1001).is_err(), "same /64");
        assert!(l.check_ceremony(other, 1001).is_ok());
    }

    #[test]
    fn client_chosen_strings_make_fixed_size_keys() {
        let long = "x".repeat(1 << 20);
        let k = digest_key("user", &long);
        assert_eq!(k.len(), "user:".len() + 64);
        assert_ne!(digest_key("user", "a"), digest_key("user", "b"));
        let l = RateLimits::default();
        for _ in 0..CEREMONY.max {
            assert!(l.check_username(" Alice ", 5).is_ok());
        }
        assert!(l.check_username("ALICE", 5).is_err(), "trimmed, any case");
    }
}
