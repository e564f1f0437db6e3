//! What SCIM changes reach at once: `active: false` (PATCH or PUT) suspends the identity
//! and its sessions stop working on the next request; `active: true` restores it (a new
//! sign-in works); DELETE ends sessions; groups pushed over SCIM are the groups route
//! policies (`allow_groups`) and identity headers use.

use serde_json::json;

use super::{Scim, GROUP, USER};
use crate::support::db::Backend;
use crate::support::http::echoed_one;
use crate::support::sessions::SessionEnv;

on_both_backends!(deactivation_and_groups_reach_the_proxy);

const ROUTES: &str = r#"
[[routes]]
host = "*"
path_prefix = "/staff"
upstream = "{u}"
allow_groups = ["staff"]

[[routes]]
host = "*"
upstream = "{u}"
policy = "authenticated"
"#;

async fn deactivation_and_groups_reach_the_proxy(backend: Backend) {
    let Some(env) = SessionEnv::start_routes(backend, "", ROUTES).await else {
        return;
    };
    let scim = Scim::new(&env.api);
    let (id, token) = env.sign_in("carol").await;
    assert_eq!(env.get(&token).await.status, 200);

    // Suspended by PATCH (Entra ID's string form): the session stops at once.
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], false);
    assert_eq!(env.get(&token).await.status, 401);
    let (_, ident) = env
        .api
        .get(&crate::support::admin::realm_path(&format!(
            "/identities/{id}"
        )))
        .await;
    assert_eq!(ident["status"], "suspended");

    // Restored by PUT: a new session works, the old one stays ended.
    let r = scim
        .put(
            &format!("/Users/{id}"),
            json!({"schemas": [USER], "userName": "carol",
            "emails": [{"value": "carol@example.com", "primary": true}], "active": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], true);
    assert_eq!(env.get(&token).await.status, 401);
    // A sign-in after the reactivation works (sessions are revoked by the second).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token = env.start_session(&id).await;
    assert_eq!(env.get(&token).await.status, 200);

    // A group pushed over SCIM opens the allow_groups route and shows in the headers.
    let staff_path = "/staff/x";
    let before = env
        .get_with(staff_path, Some(&token), "application/json")
        .await;
    assert_eq!(before.status, 403, "{}", before.body);
    let g = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "staff", "members": [{"value": id}]}),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    let token = env.start_session(&id).await;
    let after = env
        .get_with(staff_path, Some(&token), "application/json")
        .await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert_eq!(echoed_one(&after.json(), "x-passgate-groups"), "staff");

    // Suspended by PUT active:false, then deleted: sessions end each time.
    let r = scim
        .put(
            &format!("/Users/{id}"),
            json!({"schemas": [USER], "userName": "carol", "active": false}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(env.get(&token).await.status, 401);
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {"active": true}}]),
        )
        .await;
    assert_eq!(r.body["active"], true);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token = env.start_session(&id).await;
    assert_eq!(env.get(&token).await.status, 200);
    assert_eq!(scim.delete(&format!("/Users/{id}")).await.status, 204);
    assert_eq!(env.get(&token).await.status, 401);
}
