//! The self-service passkeys page in a real Chromium with the WebAuthn virtual
//! authenticator: list, rename, add (a link for oneself), and the sign-in again that adding
//! needs after a sign-in older than ten minutes (see `tests/browser/passkeys.test.mjs`).

use crate::support::binding::return_link;
use crate::support::browser::{ready_or_skip, run_browser_test_with};
use crate::support::db::Backend;
use crate::support::sessions::{aged_token, SessionEnv};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkeys_page_in_chromium() {
    if !ready_or_skip("passkeys_browser") {
        return;
    }
    let env = SessionEnv::start(Backend::Sqlite, "")
        .await
        .expect("sqlite");
    let id = env.api.create_identity("paula").await;
    let (_, link) = return_link(&env.api, &id).await;
    // A session signed in an hour ago (not begun by any passkey, so it survives them).
    let fresh = env.start_session(&id).await;
    let old = aged_token(&env, &fresh, 3600).await;
    let vars = [
        ("PASSGATE_BIND_LINK", link.as_str()),
        ("PASSGATE_OLD_TOKEN", old.as_str()),
    ];
    if let Err(e) = run_browser_test_with("passkeys", &env.api.url(""), &vars).await {
        panic!("{e}\n--- gateway log ---\n{}", env.gw().log());
    }
    let (_, creds) = env
        .api
        .get(&crate::support::admin::realm_path(&format!(
            "/identities/{id}/credentials"
        )))
        .await;
    assert_eq!(creds["credentials"][0]["name"], "Work laptop", "{creds}");
    let (_, jobs) = env
        .api
        .get(&crate::support::admin::realm_path(&format!(
            "/identities/{id}/credential-binding-jobs"
        )))
        .await;
    // The admin's link, and one link for oneself after signing in again (none before).
    assert_eq!(jobs["total_size"], 2, "{jobs}");
}
