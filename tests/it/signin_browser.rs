//! The hosted sign-in page in a real Chromium with the WebAuthn virtual authenticator:
//! autofill, the button (also over a pending autofill request), username-first, and the
//! message a device without a passkey gets (see `tests/browser/signin.test.mjs`).

use crate::support::binding::return_link;
use crate::support::browser::{ready_or_skip, run_browser_test_with};
use crate::support::db::Backend;
use crate::support::sessions::SessionEnv;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_sign_in_page_in_chromium() {
    if !ready_or_skip("signin_browser") {
        return;
    }
    let env = SessionEnv::start(Backend::Sqlite, "")
        .await
        .expect("sqlite");
    let id = env.api.create_identity("alice").await;
    let (_, link) = return_link(&env.api, &id).await;
    let rd = env.api.url("/app/after?x=1");
    let vars = [
        ("PASSGATE_BIND_LINK", link.as_str()),
        ("PASSGATE_RD", rd.as_str()),
    ];
    if let Err(e) = run_browser_test_with("signin", &env.api.url(""), &vars).await {
        panic!("{e}\n--- gateway log ---\n{}", env.gw().log());
    }
    let (_, list) = env
        .api
        .get(&crate::support::admin::realm_path(&format!(
            "/identities/{id}/sessions"
        )))
        .await;
    // Binding, autofill, button, button over autofill, username first.
    assert_eq!(list["total_size"], 5, "{list}");
}
