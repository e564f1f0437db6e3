//! The `credential` JSON of a ceremony's finish: accepted, or the wrong field is named.
#![no_main]
libfuzzer_sys::fuzz_target!(|json: &str| {
    passgate_fuzz::properties::ceremony_json_errors_name_their_field(json);
});
