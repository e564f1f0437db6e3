//! Time as a parameter, for the whole crate: the [`Clock`] every plane asks for "now" (the
//! data plane, forward-auth, the principal cache and the domain), the system clock, and a
//! settable clock for tests, so expiry is tested by moving the clock instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

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
        (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as i64
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
    fn system_clock_is_after_2026() {
        assert!(SystemClock.now_secs() > 1_767_225_600);
    }
}
