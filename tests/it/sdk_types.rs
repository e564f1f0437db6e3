//! The SDK's TypeScript declarations (`sdk/sdk.d.ts`) against the module: a strict `tsc`
//! check of an app-like usage file (with mistakes it must refuse), the declared exports
//! equal to the module's, and the error-code union equal to the codes `sdk.js` produces
//! (`tests/browser/sdk-types.mjs`, TypeScript from `npm ci`).

use crate::support::browser::{ready_or_skip, run_node_script};

#[tokio::test]
async fn declarations_type_check_and_match_the_module() {
    if !ready_or_skip("sdk_types") {
        return;
    }
    run_node_script("sdk-types.mjs")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}
