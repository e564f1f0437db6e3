//! PATCH in every form: add/replace/remove with and without a path, sub-attribute paths,
//! value-filtered paths (creating the value they describe), the enterprise extension,
//! operation names in any case, Entra ID's boolean strings, Okta's whole-`members` replace,
//! members removed by filter and by value list; refusals by `scimType`; and atomicity: an
//! operation failing half-way leaves the resource exactly as it was.

use serde_json::json;

use super::{Scim, ENTERPRISE, GROUP, PATCH_OP};
use crate::support::admin::AdminApi;
use crate::support::db::Backend;

on_both_backends!(user_patch_forms, group_patch_forms, patch_is_all_or_nothing);

async fn user_patch_forms(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let id = scim
        .user(
            "pat",
            json!({"emails": [{"value": "pat@example.com", "type": "work", "primary": true}]}),
        )
        .await
        .id();
    let path = format!("/Users/{id}");
    let ok = |r: super::Resp| {
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    };

    // add without a path merges; capitalised op names.
    let u = ok(scim
        .patch(
            &path,
            json!([{"op": "Add", "value": {"nickName": "P", "name": {"givenName": "Pat"}}}]),
        )
        .await);
    assert_eq!(
        (u["nickName"].as_str(), u["name"]["givenName"].as_str()),
        (Some("P"), Some("Pat"))
    );
    // add with a sub-attribute path keeps the other sub-attributes.
    let u = ok(scim
        .patch(
            &path,
            json!([{"op": "add", "path": "name.familyName", "value": "Smith"}]),
        )
        .await);
    assert_eq!(
        u["name"],
        json!({"givenName": "Pat", "familyName": "Smith"})
    );
    // replace of a complex attribute with a partial value merges (RFC 7644 §3.5.2.3).
    let u = ok(scim
        .patch(
            &path,
            json!([{"op": "REPLACE", "path": "name", "value": {"familyName": "Jones"}}]),
        )
        .await);
    assert_eq!(
        u["name"],
        json!({"givenName": "Pat", "familyName": "Jones"})
    );
    // value-filtered path with a sub-attribute.
    let u = ok(scim
        .patch(&path, json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "pat@new.example"}]))
        .await);
    assert_eq!(u["emails"][0]["value"], "pat@new.example");
    // a filter that selects nothing creates what it describes (Entra ID adds phones so).
    let u = ok(scim
        .patch(&path, json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+44 20"}]))
        .await);
    assert_eq!(
        u["phoneNumbers"],
        json!([{"value": "+44 20", "type": "mobile"}])
    );
    // a filter that cannot describe a value: noTarget.
    scim.patch(
        &path,
        json!([{"op": "replace", "path": "emails[value co \"zzz\"].value", "value": "a@b.c"}]),
    )
    .await
    .assert_error(400, Some("noTarget"));
    // the enterprise extension by its URN, with and without a path; the manager as a bare id.
    let u = ok(scim
        .patch(
            &path,
            json!([
                {"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Sales"},
                {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "boss-id"},
                {"op": "replace", "value": {ENTERPRISE: {"costCenter": "42"}}},
            ]),
        )
        .await);
    assert_eq!(u[ENTERPRISE]["department"], "Sales");
    assert_eq!(u[ENTERPRISE]["costCenter"], "42");
    assert_eq!(u[ENTERPRISE]["manager"]["value"], "boss-id");
    assert_eq!(u["schemas"][1], ENTERPRISE);
    // Entra ID without its compliance flag: keys of a no-path value are paths.
    let u = ok(scim
        .patch(
            &path,
            json!([{"op": "Replace", "value": {"name.givenName": "Patricia", "title": "Lead"}}]),
        )
        .await);
    assert_eq!(
        (u["name"]["givenName"].as_str(), u["title"].as_str()),
        (Some("Patricia"), Some("Lead"))
    );
    // remove: an attribute, a sub-attribute, values by filter, an extension attribute.
    let u = ok(scim
        .patch(
            &path,
            json!([
                {"op": "remove", "path": "nickName"},
                {"op": "remove", "path": "name.familyName"},
                {"op": "remove", "path": "phoneNumbers[type eq \"mobile\"]"},
                {"op": "remove", "path": format!("{ENTERPRISE}:manager")},
            ]),
        )
        .await);
    assert!(
        u.get("nickName").is_none() && u.get("phoneNumbers").is_none(),
        "{u}"
    );
    assert_eq!(u["name"], json!({"givenName": "Patricia"}));
    assert!(u[ENTERPRISE].get("manager").is_none());
    // userName rename, externalId, active booleans as strings in any case.
    let u = ok(scim
        .patch(
            &path,
            json!([
                {"op": "replace", "path": "userName", "value": "patricia"},
                {"op": "add", "path": "externalId", "value": "ext-9"},
                {"op": "replace", "path": "active", "value": "FALSE"},
            ]),
        )
        .await);
    assert_eq!(
        (
            u["userName"].as_str(),
            u["externalId"].as_str(),
            u["active"].as_bool()
        ),
        (Some("patricia"), Some("ext-9"), Some(false))
    );
    let u = ok(scim
        .patch(
            &path,
            json!([{"op": "replace", "value": {"active": "True"}}]),
        )
        .await);
    assert_eq!(u["active"], true);
    // Refusals.
    scim.patch(&path, json!([{"op": "remove", "path": "userName"}]))
        .await
        .assert_error(400, Some("invalidValue"));
    scim.patch(
        &path,
        json!([{"op": "replace", "path": "id", "value": "x"}]),
    )
    .await
    .assert_error(400, Some("mutability"));
    scim.patch(
        &path,
        json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
    )
    .await
    .assert_error(400, Some("mutability"));
    scim.patch(
        &path,
        json!([{"op": "replace", "path": "noSuch", "value": 1}]),
    )
    .await
    .assert_error(400, Some("invalidPath"));
    scim.patch(
        &path,
        json!([{"op": "replace", "path": "emails[type eq", "value": 1}]),
    )
    .await
    .assert_error(400, Some("invalidPath"));
    scim.patch(&path, json!([{"op": "remove"}]))
        .await
        .assert_error(400, Some("noTarget"));
    scim.patch(&path, json!([{"op": "move", "path": "title"}]))
        .await
        .assert_error(400, Some("invalidSyntax"));
    scim.patch(
        &path,
        json!([{"op": "replace", "path": "active", "value": "perhaps"}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    scim.patch(
        &path,
        json!([{"op": "replace", "path": "emails", "value": [{"value": "not an email"}]}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    scim.patch(&path, json!([]))
        .await
        .assert_error(400, Some("invalidSyntax"));
    let wrong = scim
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"schemas": ["urn:x"], "Operations": [{"op": "remove", "path": "title"}]})),
        )
        .await;
    wrong.assert_error(400, Some("invalidSyntax"));
    scim.patch("/Users/nope", json!([{"op": "remove", "path": "title"}]))
        .await
        .assert_error(404, None);
}

async fn group_patch_forms(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let mut ids = Vec::new();
    for n in ["m1", "m2", "m3", "m4"] {
        ids.push(scim.user(n, json!({})).await.id());
    }
    let gid = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "team", "members": [{"value": ids[0]}]}),
        )
        .await
        .id();
    let path = format!("/Groups/{gid}");
    let members = |v: &serde_json::Value| -> Vec<String> {
        let mut m: Vec<String> = v["members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["value"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        m.sort();
        m
    };
    let sorted = |v: &[&String]| -> Vec<String> {
        let mut s: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        s.sort();
        s
    };
    // add members (one already in).
    let r = scim
        .patch(&path, json!([{"op": "add", "path": "members", "value": [{"value": ids[0]}, {"value": ids[1]}]}]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(members(&r.body), sorted(&[&ids[0], &ids[1]]));
    // remove by value filter (Okta).
    let r = scim
        .patch(
            &path,
            json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[0])}]),
        )
        .await;
    assert_eq!(members(&r.body), sorted(&[&ids[1]]));
    // replace the whole list (Okta), then remove by a value list (Entra ID).
    let r = scim
        .patch(&path, json!([{"op": "replace", "path": "members", "value": [{"value": ids[2], "display": "m3"}, {"value": ids[3]}]}]))
        .await;
    assert_eq!(members(&r.body), sorted(&[&ids[2], &ids[3]]));
    let r = scim
        .patch(
            &path,
            json!([{"op": "Remove", "path": "members", "value": [{"value": ids[2]}]}]),
        )
        .await;
    assert_eq!(members(&r.body), sorted(&[&ids[3]]));
    // rename without a path, the read-only id in the value (Okta).
    let r = scim
        .patch(
            &path,
            json!([{"op": "replace", "value": {"id": gid, "displayName": "Team A"}}]),
        )
        .await;
    assert_eq!(r.body["displayName"], "Team A");
    // remove every member.
    let r = scim
        .patch(&path, json!([{"op": "remove", "path": "members"}]))
        .await;
    assert!(members(&r.body).is_empty());
    // add of an unknown user: nothing changes.
    let before = scim.get(&path).await;
    scim.patch(
        &path,
        json!([
            {"op": "replace", "path": "displayName", "value": "renamed"},
            {"op": "add", "path": "members", "value": [{"value": ids[0]}, {"value": "ghost"}]}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    let after = scim.get(&path).await;
    assert_eq!(after.body, before.body);
    scim.patch(
        &path,
        json!([{"op": "replace", "path": "displayName", "value": ""}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    scim.patch(
        &path,
        json!([{"op": "replace", "path": "members[value eq \"x\"].display", "value": "y"}]),
    )
    .await
    .assert_error(400, Some("mutability"));
}

async fn patch_is_all_or_nothing(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let id = scim.user("atomic", json!({"title": "Before"})).await.id();
    let path = format!("/Users/{id}");
    let before = scim.get(&path).await;
    // The first operations are fine; the third fails: nothing is written.
    for bad in [
        json!([{"op": "replace", "path": "title", "value": "After"},
               {"op": "add", "path": "nickName", "value": "N"},
               {"op": "replace", "path": "meta.created", "value": "2000-01-01T00:00:00Z"}]),
        json!([{"op": "replace", "path": "title", "value": "After"},
               {"op": "replace", "path": "emails", "value": [{"value": "broken"}]}]),
        json!([{"op": "replace", "path": "title", "value": "After"},
               {"op": "remove", "path": "userName"}]),
    ] {
        let r = scim.patch(&path, bad).await;
        assert_eq!(r.status, 400, "{}", r.body);
        let now = scim.get(&path).await;
        assert_eq!(now.body, before.body);
        assert_eq!(now.etag, before.etag);
    }
    // A rename onto a taken userName: 409, and the other operations are not written either.
    scim.user("taken", json!({})).await;
    let r = scim
        .patch(
            &path,
            json!([{"op": "replace", "path": "title", "value": "After"},
                              {"op": "replace", "path": "userName", "value": "TAKEN"}]),
        )
        .await;
    r.assert_error(409, Some("uniqueness"));
    assert_eq!(scim.get(&path).await.body, before.body);
    let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]});
    assert_eq!(
        scim.call(reqwest::Method::PATCH, &path, Some(body))
            .await
            .status,
        200
    );
}
