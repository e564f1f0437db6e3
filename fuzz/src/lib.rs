//! passgate's fuzzing crate: the properties (shared with the proptest suite) and the
//! `cargo fuzz` targets that drive them (`fuzz_targets/`, run by `fuzz/run.sh`).

pub mod properties;
