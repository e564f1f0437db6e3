//! `passgate check` on arbitrary text: every problem carries a key path (or a line).
#![no_main]
libfuzzer_sys::fuzz_target!(|src: &str| {
    passgate_fuzz::properties::config_problems_carry_a_key_path(src);
});
