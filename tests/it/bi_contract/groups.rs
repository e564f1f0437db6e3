//! Groups (`groups` reference): create, list, get, patch, `:addMembers`,
//! `:deleteMembers`, `:listMembers`, delete; the documented errors.

use reqwest::Method;
use serde_json::json;

use super::examples::*;
use super::{gateway, has_shape, is_time, json, keys};
use crate::support::admin::realm_path;
use crate::support::binding::identity_with_email;
use crate::support::db::Backend;
use crate::support::smtp::SmtpServer;

on_both_backends!(groups_follow_the_reference);

async fn groups_follow_the_reference(backend: Backend) {
    let smtp = SmtpServer::start(0).await;
    let Some(api) = gateway(backend, &smtp).await else {
        return;
    };
    let path = realm_path("/groups");
    let (s, g) = api.call_raw(Method::POST, &path, CREATE_GROUP.into()).await;
    assert_eq!(s, 200, "{g}");
    // Exactly the documented members, no more.
    assert_eq!(keys(&g), keys(&json(GROUP)));
    has_shape(&g, &json(GROUP));
    assert_eq!(g["display_name"], "Realm Administrators");
    assert_eq!(g["description"], "A group of realm administrators.");
    assert!(is_time(&g["create_time"]));
    let gid = g["id"].as_str().unwrap().to_string();

    let (s, e) = api
        .post(&path, json!({"group": {"display_name": ""}}))
        .await;
    assert_eq!(s, 400, "{e}");
    has_shape(&e, &json(GROUP_INVALID));
    assert_eq!(
        e["details"][0]["field_violations"][0]["field"],
        "group.display_name"
    );

    let (s, list) = api.get(&path).await;
    assert_eq!(s, 200);
    has_shape(&list, &json(GROUP_LIST));
    assert_eq!(keys(&list), keys(&json(GROUP_LIST)));

    let item = realm_path(&format!("/groups/{gid}"));
    let (s, e) = api.get(&realm_path("/groups/4822738be6b7f658")).await;
    assert_eq!((s, e), (404, json(GROUP_NOT_FOUND)));
    let (s, p) = api
        .call_raw(Method::PATCH, &item, UPDATE_GROUP.into())
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(keys(&p), keys(&json(GROUP)));
    // A GET's object sent back whole.
    let (s, _) = api.patch(&item, json!({ "group": p })).await;
    assert_eq!(s, 200);

    // Beyond Identity's example member ids do not exist here: 404, nothing added.
    let add = format!("{item}:addMembers");
    let (s, e) = api.call_raw(Method::POST, &add, ADD_MEMBERS.into()).await;
    assert_eq!(s, 404, "{e}");
    assert_eq!(e["code"], "not_found");
    assert_eq!(e["details"][0]["type"], "BatchOperationErrors");
    let too_many: Vec<String> = (0..1001).map(|i| format!("id{i}")).collect();
    let (s, e) = api.post(&add, json!({ "identity_ids": too_many })).await;
    assert_eq!(s, 400, "{e}");
    has_shape(&e, &json(ADD_MEMBERS_INVALID));
    assert_eq!(
        e["details"][0]["field_violations"][0]["field"],
        "identity_ids"
    );

    let alice = identity_with_email(&api, "alice", "alice@example.com").await;
    let bob = identity_with_email(&api, "bob", "bob@example.com").await;
    let (s, after) = api
        .post(&add, json!({ "identity_ids": [alice, bob] }))
        .await;
    assert_eq!(s, 200, "{after}");
    assert_eq!(keys(&after), keys(&json(GROUP)));
    let (s, members) = api.get(&format!("{item}:listMembers")).await;
    assert_eq!(s, 200);
    has_shape(&members, &json(MEMBER_LIST));
    assert_eq!(members["total_size"], 2);
    // Removing ids that are not members (the example's) is not an error.
    let del = format!("{item}:deleteMembers");
    let (s, _) = api
        .call_raw(Method::POST, &del, DELETE_MEMBERS.into())
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        api.get(&format!("{item}:listMembers")).await.1["total_size"],
        2
    );
    let (s, _) = api.post(&del, json!({ "identity_ids": [bob] })).await;
    assert_eq!(s, 200);
    let (_, groups) = api
        .get(&realm_path(&format!("/identities/{alice}:listGroups")))
        .await;
    has_shape(&groups, &json(IDENTITY_GROUPS));
    assert_eq!(groups["groups"][0]["id"], gid.as_str());

    // passgate deletes a group with members (Beyond Identity answers 409).
    let (s, _) = api.delete(&item).await;
    assert_eq!(s, 200);
    assert_eq!(api.get(&item).await.0, 404);
}
