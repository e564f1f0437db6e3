//! Groups: create with members, read with members (display names, `$ref`), PUT replaces the
//! name and members in one write, an unknown member changes nothing, DELETE; a user's
//! `groups` lists them; `excludedAttributes=members`.

use serde_json::json;

use super::{Scim, GROUP};
use crate::support::admin::{realm_path, AdminApi};
use crate::support::db::Backend;

on_both_backends!(group_lifecycle);

async fn group_lifecycle(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let alice = scim
        .user("alice", json!({"displayName": "Alice"}))
        .await
        .id();
    let bob = scim.user("bob", json!({"displayName": "Bob"})).await.id();
    let created = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Tour Guides", "externalId": "g-1",
                   "members": [{"value": alice, "display": "ignored"}]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let gid = created.id();
    let g = &created.body;
    assert_eq!(g["schemas"], json!([GROUP]));
    assert_eq!(g["displayName"], "Tour Guides");
    assert_eq!(g["meta"]["resourceType"], "Group");
    assert_eq!(g["members"][0]["value"], alice.as_str());
    assert_eq!(g["members"][0]["display"], "Alice");
    assert!(g["members"][0]["$ref"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/Users/{alice}")));
    assert!(created
        .location
        .unwrap()
        .ends_with(&format!("/Groups/{gid}")));

    // The admin API sees the same group and members.
    let (s, m) = api
        .get(&realm_path(&format!("/groups/{gid}:listMembers")))
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["identities"][0]["id"], alice.as_str());

    // The user lists its groups (read-only).
    let u = scim.get(&format!("/Users/{alice}")).await;
    assert_eq!(u.body["groups"][0]["value"], gid.as_str());
    assert_eq!(u.body["groups"][0]["display"], "Tour Guides");
    assert_eq!(u.body["groups"][0]["type"], "direct");

    // PUT: new name and exactly these members.
    let put = scim
        .put(
            &format!("/Groups/{gid}"),
            json!({"schemas": [GROUP], "displayName": "Guides", "members": [{"value": bob}]}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["displayName"], "Guides");
    assert_eq!(put.body["members"].as_array().unwrap().len(), 1);
    assert_eq!(put.body["members"][0]["value"], bob.as_str());
    assert_eq!(put.etag.as_deref(), Some("W/\"2\""));

    // An unknown member: 400, and nothing changes (not even the name).
    let bad = scim
        .put(
            &format!("/Groups/{gid}"),
            json!({"schemas": [GROUP], "displayName": "Renamed", "members": [{"value": alice}, {"value": "no-such-user"}]}),
        )
        .await;
    bad.assert_error(400, Some("invalidValue"));
    assert!(bad.body["detail"]
        .as_str()
        .unwrap()
        .contains("no-such-user"));
    let now = scim.get(&format!("/Groups/{gid}")).await;
    assert_eq!(now.body["displayName"], "Guides");
    assert_eq!(now.etag.as_deref(), Some("W/\"2\""));
    scim.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "x", "members": [{"value": "ghost"}]}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    scim.post("/Groups", json!({"schemas": [GROUP]}))
        .await
        .assert_error(400, Some("invalidValue"));

    // At most 1,000 members per write (checked before anything is read).
    // (Bare ids keep the body under these tests' 16 KiB limit.)
    let many: Vec<serde_json::Value> = (0..1001).map(|i| json!(i.to_string())).collect();
    let r = scim
        .put(
            &format!("/Groups/{gid}"),
            json!({"schemas": [GROUP], "displayName": "Guides", "members": many}),
        )
        .await;
    r.assert_error(400, Some("invalidValue"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("1000"),
        "{}",
        r.body
    );

    // Lists and projections.
    let list = scim.get("/Groups?excludedAttributes=members").await;
    assert_eq!(list.body["totalResults"], 1);
    assert!(list.body["Resources"][0].get("members").is_none());
    assert_eq!(list.body["Resources"][0]["displayName"], "Guides");
    let only = scim
        .get(&format!("/Groups/{gid}?attributes=displayName"))
        .await;
    assert_eq!(
        only.body,
        json!({"schemas": [GROUP], "id": gid, "displayName": "Guides"})
    );

    // DELETE: the group goes, the users stay.
    assert_eq!(scim.delete(&format!("/Groups/{gid}")).await.status, 204);
    scim.get(&format!("/Groups/{gid}"))
        .await
        .assert_error(404, None);
    assert_eq!(
        scim.get(&format!("/Users/{bob}")).await.body["groups"],
        json!([])
    );
}
