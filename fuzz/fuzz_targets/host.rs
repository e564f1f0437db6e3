//! Host parsing: the routing host of a valid authority is normalised once and for all.
#![no_main]
libfuzzer_sys::fuzz_target!(|raw: &str| {
    passgate_fuzz::properties::host_is_normalised_once(raw);
});
