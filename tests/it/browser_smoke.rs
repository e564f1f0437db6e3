//! The browser harness end to end: Chromium with a virtual authenticator opens a page
//! served by the real gateway (public route to the test upstream) on `http://localhost`,
//! creates a discoverable passkey, signs in usernameless, and again on a copied device.

use crate::support::browser::{ready_or_skip, run_browser_test};
use crate::support::gateway::Gateway;
use crate::support::upstream;

#[tokio::test]
async fn browser_creates_and_uses_a_passkey_on_a_gateway_page() {
    if !ready_or_skip("browser_smoke") {
        return;
    }
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "localhost"
upstream = "{}"
policy = "public"
"#,
        up.url()
    ))
    .await;
    if let Err(e) = run_browser_test("smoke", &gw.url("")).await {
        panic!("{e}\n--- gateway log ---\n{}", gw.log());
    }
}
