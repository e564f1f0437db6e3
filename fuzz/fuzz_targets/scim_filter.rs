//! SCIM filters and PATCH paths: whatever parses prints as itself (same AST), the nesting
//! limit holds with parentheses added around it, deep nesting is refused without
//! exhausting the stack.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    // Parentheses to add: from the input's length, so the fuzzer varies it by editing.
    let wrap = input.len() % (passgate::scim::filter::MAX_DEPTH + 8);
    passgate_fuzz::properties::scim_filter_round_trips(input, wrap);
    // The bytes as nesting pieces, deeper than any limit.
    let levels = usize::from(data.first().copied().unwrap_or(0)) * 16;
    passgate_fuzz::properties::scim_deep_nesting_is_refused(data, levels);
});
