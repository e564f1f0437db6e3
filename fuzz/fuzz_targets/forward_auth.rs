//! forward-auth's rebuild of the original request refuses what the data plane refuses.
#![no_main]
libfuzzer_sys::fuzz_target!(|target: &[u8]| {
    passgate_fuzz::properties::forward_auth_refuses_what_the_data_plane_refuses(target);
});
