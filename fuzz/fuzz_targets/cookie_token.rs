//! The session cookie among other cookies, and session tokens: one that verifies
//! re-encodes to the same bytes; no edit of a valid token verifies.
#![no_main]
use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use passgate_fuzz::properties::{token_in_cookie_verifies_only_as_issued, TokenInput};

#[derive(Debug)]
struct Input(TokenInput);

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Input(TokenInput {
            sub: u.arbitrary()?,
            username: u.arbitrary()?,
            email: u.arbitrary()?,
            groups: u.arbitrary()?,
            iat: u.arbitrary()?,
            before: u.arbitrary()?,
            edits: u.arbitrary()?,
        }))
    }
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    token_in_cookie_verifies_only_as_issued(&input.0);
});
