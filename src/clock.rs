//! Time as a parameter, for the whole crate: the [`Clock`] every plane asks for "now" (the
//! data plane, forward-auth, the principal cache and the domain), the system clock, and a
//! settable clock for tests, so expiry is tested by moving the clock instead of sleeping.
//! A spawned server gets its time moved by a file ([`OffsetFileClock`]) only when the
//! environment names one ([`TEST_CLOCK_ENV`]); production never sets it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync {
    /// Microseconds since the Unix epoch, UTC.
    fn now_us(&self) -> i64;

    /// Whole seconds since the Unix epoch (0 before it).
    fn now_secs(&self) -> u64 {
        u64::try_from(self.now_us().div_euclid(1_000_000)).unwrap_or(0)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now_us(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_micros()).unwrap_or(i64::MAX),
        }
    }

    /// One `clock_gettime` and a division: read on every request by the gate.
    #[inline]
    fn now_secs(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now_us: i64) -> Self {
        ManualClock(AtomicI64::new(now_us))
    }

    /// Starts at the system clock's current time.
    pub fn starting_now() -> Self {
        ManualClock::new(SystemClock.now_us())
    }

    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1_000_000, Ordering::SeqCst);
    }

    pub fn set_us(&self, now_us: i64) {
        self.0.store(now_us, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_us(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Names a file whose content (whole seconds, may be negative or empty) is added to the
/// system clock of a `passgate serve` process. For tests of a spawned server only: set by
/// the integration tests' harness, never by a deployment (the server logs a warning when
/// it is set).
pub const TEST_CLOCK_ENV: &str = "PASSGATE_TEST_CLOCK_FILE";

/// The system clock shifted by the number of seconds written in a file, re-read on every
/// call (so a test moves a running server's time by rewriting it). See [`TEST_CLOCK_ENV`].
#[derive(Debug)]
pub struct OffsetFileClock {
    path: PathBuf,
}

impl OffsetFileClock {
    pub fn new(path: PathBuf) -> Self {
        OffsetFileClock { path }
    }

    fn offset_secs(&self) -> i64 {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Clock for OffsetFileClock {
    fn now_us(&self) -> i64 {
        SystemClock
            .now_us()
            .saturating_add(self.offset_secs().saturating_mul(1_000_000))
    }
}

/// The clock a server runs on: the system clock, or an [`OffsetFileClock`] when
/// [`TEST_CLOCK_ENV`] is set.
pub fn for_server() -> Arc<dyn Clock> {
    match std::env::var_os(TEST_CLOCK_ENV) {
        Some(path) if !path.is_empty() => {
            tracing::warn!(
                file = %PathBuf::from(&path).display(),
                "{TEST_CLOCK_ENV} is set: the clock is shifted by that file (for tests only)"
            );
            Arc::new(OffsetFileClock::new(path.into()))
        }
        _ => Arc::new(SystemClock),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(10);
        assert_eq!(c.now_us(), 10);
        c.advance_secs(2);
        assert_eq!(c.now_us(), 2_000_010);
        assert_eq!(c.now_secs(), 2);
        c.set_us(-5);
        assert_eq!(c.now_secs(), 0);
    }

    #[test]
    fn the_offset_file_moves_the_clock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offset");
        let c = OffsetFileClock::new(path.clone());
        let before = SystemClock.now_secs();
        assert!(
            c.now_secs() >= before && c.now_secs() < before + 60,
            "no file: no offset"
        );
        std::fs::write(&path, "3600\n").unwrap();
        assert!(c.now_secs() >= before + 3600 && c.now_secs() < before + 3660);
        std::fs::write(&path, "-60").unwrap();
        assert!(c.now_secs() < before);
        std::fs::write(&path, "junk").unwrap();
        assert!(c.now_secs() >= before, "unreadable: no offset");
    }

    #[test]
    fn system_clock_is_after_2026() {
        assert!(SystemClock.now_secs() > 1_767_225_600);
    }
}
