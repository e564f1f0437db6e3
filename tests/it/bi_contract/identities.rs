//! Identities (`identities` reference): create, list, filter, get, patch (and a GET's
//! object sent back), `:listGroups`, `:batchDelete`, delete; the documented errors; token
//! scopes by Beyond Identity's names.

use reqwest::Method;
use serde_json::json;

use super::examples::*;
use super::{gateway, has_shape, is_time, json, keys};
use crate::support::admin::{realm_path, tenant_path};
use crate::support::db::Backend;
use crate::support::smtp::SmtpServer;

on_both_backends!(
    identities_follow_the_reference,
    scopes_by_beyond_identity_names
);

async fn identities_follow_the_reference(backend: Backend) {
    let smtp = SmtpServer::start(0).await;
    let Some(api) = gateway(backend, &smtp).await else {
        return;
    };
    let path = realm_path("/identities");
    let (s, created) = api
        .call_raw(Method::POST, &path, CREATE_IDENTITY.into())
        .await;
    assert_eq!(s, 200, "{created}");
    has_shape(&created, &json(IDENTITY));
    assert_eq!(created["display_name"], "Test Identity");
    assert_eq!(created["enrollment_status"], "UNENROLLED");
    assert_eq!(created["traits"], json(IDENTITY)["traits"]);
    assert!(is_time(&created["create_time"]) && is_time(&created["update_time"]));
    let id = created["id"].as_str().unwrap().to_string();

    // The same request again: Beyond Identity's 409, word for word.
    let (s, e) = api
        .call_raw(Method::POST, &path, CREATE_IDENTITY.into())
        .await;
    assert_eq!(s, 409, "{e}");
    let documented = json(USERNAME_EXISTS);
    assert_eq!(
        (&e["code"], &e["message"]),
        (&documented["code"], &documented["message"])
    );

    // Invalid parameters: a FieldViolations naming the field.
    let (s, e) = api
        .post(&path, json!({"identity": {"display_name": "", "traits": {"type": "traits_v0", "username": "x"}}}))
        .await;
    assert_eq!(s, 400, "{e}");
    has_shape(&e, &json(IDENTITY_INVALID));
    assert_eq!(e["code"], "bad_request");
    assert_eq!(
        e["details"][0]["field_violations"][0]["field"],
        "identity.display_name"
    );

    let (s, list) = api.get(&path).await;
    assert_eq!(s, 200, "{list}");
    has_shape(&list, &json(IDENTITY_LIST));
    assert_eq!(list["total_size"], 1);
    assert!(list.get("next_page_token").is_none());
    let filter = "traits.username%20eq%20%22test%22";
    let (_, found) = api.get(&format!("{path}?filter={filter}")).await;
    assert_eq!(found["identities"][0]["id"], id.as_str());

    let item = realm_path(&format!("/identities/{id}"));
    let (s, got) = api.get(&item).await;
    assert_eq!((s, &got), (200, &created));
    // Unknown: the documented 404 for Beyond Identity's example id.
    let (s, e) = api.get(&realm_path("/identities/e372db224c06e850")).await;
    assert_eq!((s, e), (404, json(IDENTITY_NOT_FOUND)));

    let (s, patched) = api
        .call_raw(Method::PATCH, &item, UPDATE_IDENTITY.into())
        .await;
    assert_eq!(s, 200, "{patched}");
    has_shape(&patched, &json(IDENTITY));
    assert_eq!(patched["traits"]["username"], "test");
    assert_eq!(
        patched["traits"]["primary_email_address"],
        "test@example.com"
    );
    // A GET's object sent back whole (read-only fields and all) changes nothing.
    let (s, again) = api.patch(&item, json!({ "identity": got })).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["traits"], got["traits"]);
    assert_eq!(again["display_name"], got["display_name"]);
    // Every trait of Beyond Identity's Traits_v0 is accepted, and shown back.
    let all_traits = json!({"identity": {"traits": {"type": "traits_v0",
        "secondary_email_address": "t2@example.com", "formatted_name": "Ms. Test", "middle_name": "M",
        "honorific_prefix": "Ms.", "honorific_suffix": "III", "nick_name": "T", "title": "Tester",
        "primary_phone": "+1 555 0100", "secondary_phone": "+1 555 0101",
        "profile_url": "https://example.com/t", "photo": "https://example.com/t.png",
        "preferred_language": "en", "locale": "en-US", "timezone": "UTC",
        "formatted_address": "1 Main St", "street_address": "1 Main St", "locality": "Town",
        "region": "State", "postal_code": "12345", "country": "US", "user_type": "Employee",
        "employee_number": "42", "cost_center": "CC1", "organization": "Acme",
        "division": "R&D", "department": "QA", "manager_id": "m1", "manager_name": "Boss",
        "external_id": "ext-1", "given_name": "Test", "family_name": "User"}}});
    let (s, full) = api.patch(&item, all_traits.clone()).await;
    assert_eq!(s, 200, "{full}");
    for (k, v) in all_traits["identity"]["traits"].as_object().unwrap() {
        assert_eq!(&full["traits"][k], v, "{k}");
    }

    let (s, groups) = api.get(&format!("{item}:listGroups")).await;
    assert_eq!(s, 200);
    assert_eq!(keys(&groups), keys(&json(IDENTITY_GROUPS)));

    // :batchDelete with Beyond Identity's example ids: the documented 404, word for word,
    // and nothing deleted; then with passgate's.
    let batch = realm_path("/identities:batchDelete");
    let (s, e) = api
        .call_raw(Method::POST, &batch, BATCH_DELETE.into())
        .await;
    assert_eq!((s, e), (404, json(IDENTITIES_NOT_FOUND)));
    assert_eq!(api.get(&path).await.1["total_size"], 1);
    let (s, _) = api.post(&batch, json!({ "ids": [id] })).await;
    assert_eq!(s, 200);
    assert_eq!(api.get(&item).await.0, 404);

    // A realm that does not exist: the documented `Realm Not Found` shape.
    let (s, e) = api
        .get(&tenant_path("/realms/19a95130480dfa79/identities"))
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        e,
        json!({"code": "not_found", "message": "realm not found", "details": [{"type": "ResourceInfo",
            "resource_type": "Realm", "id": "19a95130480dfa79", "description": "realm not found"}]})
    );
}

async fn scopes_by_beyond_identity_names(backend: Backend) {
    let smtp = SmtpServer::start(0).await;
    let Some(api) = gateway(backend, &smtp).await else {
        return;
    };
    let path = realm_path("/identities");
    let creator = api.new_token("creator", &["identities:create"], &[]);
    let reader = api.new_token("reader", &["identities:read", "groups:read"], &[]);
    let deleter = api.new_token("deleter", &["identities:delete"], &[]);
    let call = |token: &str, method: Method, path: &str, body: Option<serde_json::Value>| {
        let token = token.to_string();
        let path = path.to_string();
        let api = &api;
        async move { api.call_as(Some(&token), method, &path, body).await }
    };
    let (s, v) = call(&creator, Method::POST, &path, Some(json(CREATE_IDENTITY))).await;
    assert_eq!(s, 200, "{v}");
    let item = realm_path(&format!("/identities/{}", v["id"].as_str().unwrap()));
    let (s, e) = call(&creator, Method::GET, &path, None).await;
    assert_eq!(s, 403, "{e}");
    assert_eq!(e["code"], "forbidden");
    assert_eq!(call(&reader, Method::GET, &item, None).await.0, 200);
    assert_eq!(
        call(&reader, Method::GET, &format!("{item}:listGroups"), None)
            .await
            .0,
        200
    );
    let update = Some(json(UPDATE_IDENTITY));
    assert_eq!(
        call(&reader, Method::PATCH, &item, update.clone()).await.0,
        403
    );
    assert_eq!(call(&deleter, Method::PATCH, &item, update).await.0, 403);
    assert_eq!(call(&reader, Method::DELETE, &item, None).await.0, 403);
    assert_eq!(call(&deleter, Method::DELETE, &item, None).await.0, 200);
    // No token: Beyond Identity's 401 code.
    let (s, e) = api.call_as(None, Method::GET, &path, None).await;
    assert_eq!((s, e["code"].as_str()), (401, Some("unauthorized")));
    // Unknown scope names are refused at creation.
    let out = api.cli(&[
        "token",
        "create",
        "--name",
        "x",
        "--scope",
        "identities:revoke",
    ]);
    assert!(!out.status.success());
    let configs = api.new_token("configs", &["authenticator-configs:read"], &[]);
    let (s, v) = call(
        &configs,
        Method::GET,
        &realm_path("/authenticator-configs"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["authenticator_configs"][0]["id"], "hosted_web");
    assert_eq!(
        v["authenticator_configs"][0]["config"]["type"],
        "hosted_web"
    );
    let origin = format!("http://localhost:{}", api.port);
    assert_eq!(
        v["authenticator_configs"][0]["config"]["trusted_origins"],
        json!([origin])
    );
    assert_eq!(call(&configs, Method::GET, &path, None).await.0, 403);
}
