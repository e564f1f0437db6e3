//! SCIM PATCH: a list of operations applies wholly or not at all (failing at the first
//! operation that fails alone), keeps read-only attributes and canonical spelling. Input
//! that is a JSON object is a PatchOp body (applied to both the user and the group
//! fixture; the seed corpus holds the test suite's bodies); other input picks operations
//! from the paths and values SCIM clients send.
#![no_main]
use passgate::scim::schema::ResourceKind;
use passgate_fuzz::properties::{patch_request, scim_patch_is_all_or_nothing};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(body @ serde_json::Value::Object(_)) = serde_json::from_slice(data) {
        for kind in [ResourceKind::User, ResourceKind::Group] {
            let (_, resource, _) = patch_request(&[u8::from(kind == ResourceKind::Group)]);
            scim_patch_is_all_or_nothing(kind, &resource, &body);
        }
        return;
    }
    let (kind, resource, body) = patch_request(data);
    scim_patch_is_all_or_nothing(kind, &resource, &body);
});
