//! API bearer tokens: `pgt_<id>_<secret>` parses back to itself.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: (&str, [u8; 16], &str)| {
    let (bearer, id, secret) = input;
    passgate_fuzz::properties::api_token_round_trips(bearer, id, secret);
});
