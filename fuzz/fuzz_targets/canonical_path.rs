//! Canonical paths: the canonical path of a canonical path is itself.
#![no_main]
libfuzzer_sys::fuzz_target!(|raw: &str| {
    passgate_fuzz::properties::canonical_is_idempotent(raw);
});
