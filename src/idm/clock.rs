//! RFC 3339 formatting of stored microsecond timestamps; the clock itself lives in
//! [`crate::clock`] (re-exported here for the domain's callers).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use crate::clock::{Clock, ManualClock, SystemClock};

/// `2026-11-29T08:32:26.123456Z` (UTC, microseconds when not whole seconds).
pub fn rfc3339(us: i64) -> String {
    let nanos = i128::from(us) * 1_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_500_000), "1970-01-01T00:00:01.5Z");
    }
}
