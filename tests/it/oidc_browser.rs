//! Passkey sign-in through an OpenID Connect client's redirect in a real Chromium with the
//! WebAuthn virtual authenticator (see `tests/browser/oidc.test.mjs`): the authorization
//! URL sends a signed-out browser to the hosted sign-in page, the passkey signs in, and the
//! browser comes back to the client with a code the client redeems.

use crate::support::binding::return_link;
use crate::support::browser::{ready_or_skip, run_browser_test_with};
use crate::support::db::Backend;
use crate::support::sessions::SessionEnv;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkey_sign_in_through_an_oidc_redirect_in_chromium() {
    if !ready_or_skip("oidc_browser") {
        return;
    }
    let env = SessionEnv::start(Backend::Sqlite, &crate::oidc::clients())
        .await
        .expect("sqlite");
    let id = env.api.create_identity("alice").await;
    let (_, link) = return_link(&env.api, &id).await;
    let challenge = crate::oidc::s256(crate::oidc::VERIFIER);
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", "app"),
            ("redirect_uri", "http://localhost:9/cb"),
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("state", "browser-state"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let authorize = env.api.url(&format!("/.passgate/oidc/authorize?{q}"));
    let vars = [
        ("PASSGATE_BIND_LINK", link.as_str()),
        ("PASSGATE_AUTHORIZE_URL", authorize.as_str()),
        ("PASSGATE_OIDC_SECRET", crate::oidc::SECRET),
        ("PASSGATE_OIDC_VERIFIER", crate::oidc::VERIFIER),
    ];
    if let Err(e) = run_browser_test_with("oidc", &env.api.url(""), &vars).await {
        panic!("{e}\n--- gateway log ---\n{}", env.gw().log());
    }
    let events = crate::support::console::events(&env).await;
    assert!(
        events.iter().any(|e| e["action"] == "oidc.token"),
        "{events:?}"
    );
}
