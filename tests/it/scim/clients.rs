//! Replays of the provisioning requests Okta and Microsoft Entra ID send, as their
//! documentation shows them (Okta: "SCIM 2.0 protocol reference"; Microsoft: "Tutorial:
//! Develop and plan provisioning for a SCIM endpoint", user and group operations), bodies
//! as published apart from ids.

use serde_json::json;

use super::{Scim, ENTERPRISE, GROUP, USER};
use crate::support::admin::AdminApi;
use crate::support::db::Backend;

on_both_backends!(okta_sequence, entra_id_sequence);

async fn okta_sequence(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    // Does the user exist?
    let r = scim
        .get("/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100")
        .await;
    assert_eq!(
        (r.status, r.body["totalResults"].as_i64()),
        (200, Some(0)),
        "{}",
        r.body
    );
    assert_eq!(r.body["Resources"], json!([]));
    // Create it.
    let created = scim
        .post(
            "/Users",
            json!({"schemas": [USER], "userName": "test.user@okta.local",
                   "name": {"givenName": "Test", "familyName": "User"},
                   "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
                   "displayName": "Test User", "locale": "en-US",
                   "externalId": "00ujl29u0le5T6Aj10h7", "groups": [],
                   "password": "1mz050nq", "active": true}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.id();
    assert_eq!(created.body["locale"], "en-US");
    assert_eq!(created.body["active"], true);
    let got = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(got.body["userName"], "test.user@okta.local");
    let r = scim
        .filter(
            "Users",
            "userName eq \"test.user@okta.local\"",
            "&startIndex=1&count=100",
        )
        .await;
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["id"], id.as_str());
    // Profile update: PUT of the whole user, as Okta sends it (id and meta included).
    let mut put = got.body.clone();
    put["name"] = json!({"givenName": "Another", "middleName": "Test", "familyName": "User"});
    put["displayName"] = "Another User".into();
    let r = scim.put(&format!("/Users/{id}"), put).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["name"]["givenName"], "Another");
    assert_eq!(r.body["name"]["middleName"], "Test");
    // Deactivate and reactivate (replace without a path).
    for active in [false, true] {
        let r = scim
            .patch(
                &format!("/Users/{id}"),
                json!([{"op": "replace", "value": {"active": active}}]),
            )
            .await;
        assert_eq!(
            (r.status, r.body["active"].as_bool()),
            (200, Some(active)),
            "{}",
            r.body
        );
    }
    // Group Push.
    let g = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []}),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    let gid = g.id();
    let r = scim
        .filter(
            "Groups",
            "displayName eq \"Test SCIMv2\"",
            "&startIndex=1&count=100",
        )
        .await;
    assert_eq!(r.body["totalResults"], 1);
    let r = scim.get("/Groups?startIndex=1&count=100").await;
    assert_eq!(r.body["totalResults"], 1);
    let r = scim
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await;
    assert!(r.body.get("members").is_none());
    let r = scim
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2 Updated"}}]),
        )
        .await;
    assert_eq!(r.body["displayName"], "Test SCIMv2 Updated");
    let r = scim
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "add", "path": "members", "value": [{"value": id, "display": "test.user@okta.local"}]}]),
        )
        .await;
    assert_eq!(r.body["members"][0]["value"], id.as_str());
    let other = scim.user("other@okta.local", json!({})).await.id();
    let r = scim
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "replace", "path": "members", "value": [{"value": other, "display": "other@okta.local"}]}]),
        )
        .await;
    assert_eq!(r.body["members"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["members"][0]["value"], other.as_str());
    let r = scim
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{other}\"]")}]),
        )
        .await;
    assert_eq!(r.body["members"], json!([]));
    assert_eq!(scim.delete(&format!("/Groups/{gid}")).await.status, 204);
}

async fn entra_id_sequence(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let created = scim
        .post(
            "/Users",
            json!({"schemas": [USER, ENTERPRISE],
                   "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                   "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
                   "active": true,
                   "emails": [{"primary": true, "type": "work",
                               "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
                   "meta": {"resourceType": "User"},
                   "name": {"formatted": "givenName familyName", "familyName": "familyName",
                            "givenName": "givenName"},
                   "roles": []}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.id();
    assert_eq!(created.body["displayName"], "givenName familyName");
    let got = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(
        got.body["externalId"],
        "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    );
    let r = scim
        .filter(
            "Users",
            "userName eq \"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1\"",
            "",
        )
        .await;
    assert_eq!(r.body["totalResults"], 1);
    let r = scim
        .filter("Users", "userName eq \"non-existent user\"", "")
        .await;
    assert_eq!((r.status, r.body["totalResults"].as_i64()), (200, Some(0)));
    // Update User [Multi-valued properties].
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
                   {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["emails"][0]["value"], "updatedEmail@microsoft.com");
    assert_eq!(r.body["name"]["familyName"], "updatedFamilyName");
    // Update User [Single-valued properties].
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]),
        )
        .await;
    assert_eq!(
        r.body["userName"],
        "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    );
    // Disable User (the boolean, and the string form Entra ID sends without its flag).
    for value in [json!(false), json!("False")] {
        let r = scim
            .patch(
                &format!("/Users/{id}"),
                json!([{"op": "Replace", "path": "active", "value": value}]),
            )
            .await;
        assert_eq!(
            (r.status, r.body["active"].as_bool()),
            (200, Some(false)),
            "{}",
            r.body
        );
    }
    // Enterprise attributes and the manager as a bare id.
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Add", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "1234"},
                   {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "3d7e7f0b"}]),
        )
        .await;
    assert_eq!(r.body[ENTERPRISE]["employeeNumber"], "1234");
    assert_eq!(r.body[ENTERPRISE]["manager"]["value"], "3d7e7f0b");

    // Groups.
    let member = scim.user("member@testuser.com", json!({})).await.id();
    let g = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                   "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                   "displayName": "displayName", "meta": {"resourceType": "Group"}}),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    let gid = g.id();
    let r = scim
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await;
    assert_eq!(r.body["displayName"], "displayName");
    assert!(r.body.get("members").is_none());
    let r = scim
        .filter(
            "Groups",
            "displayName eq \"displayName\"",
            "&excludedAttributes=members",
        )
        .await;
    assert_eq!(r.body["totalResults"], 1);
    let r = scim
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]),
        )
        .await;
    assert_eq!(
        r.body["displayName"],
        "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    );
    let r = scim
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": member}]}]),
        )
        .await;
    assert_eq!(r.body["members"][0]["value"], member.as_str());
    let r = scim
        .patch(&format!("/Groups/{gid}"), json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": member}]}]))
        .await;
    assert_eq!(r.body["members"], json!([]));
    assert_eq!(scim.delete(&format!("/Groups/{gid}")).await.status, 204);
    assert_eq!(scim.delete(&format!("/Users/{id}")).await.status, 204);
    scim.get(&format!("/Users/{id}"))
        .await
        .assert_error(404, None);
}
