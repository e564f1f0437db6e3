//! The hosted binding page in a real Chromium with the WebAuthn virtual authenticator: a
//! RETURN link opened, the passkey created on the page, the cookie set, the redirect taken.

use serde_json::json;

use crate::support::admin::AdminApi;
use crate::support::binding::create_job;
use crate::support::browser::{ready_or_skip, run_browser_test_with};
use crate::support::db::Backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_page_binds_a_passkey_in_chromium() {
    if !ready_or_skip("binding_browser") {
        return;
    }
    let api = AdminApi::start(Backend::Sqlite).await.expect("sqlite");
    bind_in_chromium(&api).await;
}

/// A realm that requires attestation: Chromium's virtual authenticator answers `direct`
/// with a `packed` statement and a certificate, which passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_page_binds_an_attested_passkey_in_chromium() {
    if !ready_or_skip("binding_browser_attested") {
        return;
    }
    let realm = |_| "\n[[realms]]\nid = \"default\"\nattestation = \"direct\"\n".to_string();
    let api = AdminApi::start_with(Backend::Sqlite, realm)
        .await
        .expect("sqlite");
    bind_in_chromium(&api).await;
}

async fn bind_in_chromium(api: &AdminApi) {
    let id = api.create_identity("rosa").await;
    let redirect = api.url("/.passgate/healthz");
    let (s, v) = create_job(
        api,
        &id,
        json!({"delivery_method": "RETURN", "post_binding_redirect_uri": redirect}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let link = v["credential_binding_link"].as_str().unwrap();
    let base = api.url("");
    let env = [
        ("PASSGATE_BIND_LINK", link),
        ("PASSGATE_BIND_REDIRECT", redirect.as_str()),
    ];
    if let Err(e) = run_browser_test_with("bind", &base, &env).await {
        panic!("{e}\n--- gateway log ---\n{}", api.gw.log());
    }
    let (_, list) = api
        .get(&crate::support::admin::realm_path(&format!(
            "/identities/{id}/credentials"
        )))
        .await;
    assert_eq!(list["total_size"], 1, "{list}");
    assert_eq!(
        list["credentials"][0]["aaguid"],
        "01020304-0506-0708-0102-030405060708"
    );
}
