//! Regression tests for what the API fuzzer (`tests/api-fuzz/run.sh`, schemathesis) found:
//! arrays taken as objects, repeated or out-of-range list parameters taken quietly, and
//! POSTs on item paths without a custom method answered as bad bodies instead of `405`,
//! and `405`s without `Allow` (schemathesis' `unsupported_method` check).

use reqwest::Method;
use serde_json::json;

use crate::support::admin::{assert_invalid, realm_path, tenant_path, AdminApi};
use crate::support::db::Backend;

/// serde reads a struct from a JSON array (fields by position): `{"realm": [null, null]}`
/// was a PATCH that changed nothing and answered 200, and a positional identity was
/// created. Every body now refuses an array where an object belongs, naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrays_are_not_objects() {
    let api = AdminApi::start(Backend::Sqlite).await.unwrap();
    let r = api
        .patch(
            &tenant_path("/realms/default"),
            json!({"realm": [null, null]}),
        )
        .await;
    assert_invalid(&r, "realm");
    assert!(
        r.1["message"].as_str().unwrap().contains("sequence"),
        "{}",
        r.1
    );

    let positional = json!({"identity": [null, null, null, null, null, null, "Eve", "active",
        {"username": "eve"}]});
    let r = api.post(&realm_path("/identities"), positional).await;
    assert_invalid(&r, "identity");
    let r = api
        .post(
            &realm_path("/identities"),
            json!({"identity": {"traits": ["traits_v0", "eve"]}}),
        )
        .await;
    assert_invalid(&r, "identity.traits");
    let (s, list) = api.get(&realm_path("/identities")).await;
    assert_eq!((s, &list["total_size"]), (200, &json!(0)), "{list}");

    let id = api.create_identity("mallory").await;
    let (s, group) = api
        .post(&realm_path("/groups"), json!({"group": ["x", "y"]}))
        .await;
    assert_eq!(s, 400, "{group}");
    let r = api
        .post(
            &realm_path("/batch-credential-binding-jobs"),
            json!({"batch_credential_binding_job": [null, [id], {}]}),
        )
        .await;
    assert_invalid(&r, "batch_credential_binding_job");
    // Objects still work.
    let (s, v) = api
        .post(
            &realm_path("/groups"),
            json!({"group": {"display_name": "g"}, "identity_ids": [id]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

/// `?page_size=<junk>&page_size=` used the last value, `page_size` beyond the documented
/// int64 was clamped and an empty one meant 20: all are 400 now, naming the parameter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_parameters_are_given_once_and_in_range() {
    let api = AdminApi::start(Backend::Sqlite).await.unwrap();
    for query in [
        "?page_size=%F0%BB%A9%B5&page_size=",
        "?page_size=5&page_size=5",
        "?page_size=9223372036854775808",
        "?page_size=-1",
        "?page_size=",
    ] {
        let r = api
            .get(&format!("{}{query}", realm_path("/identities")))
            .await;
        assert_invalid(&r, "page_size");
    }
    let r = api
        .get(&format!(
            "{}?page_token=a&page_token=b",
            tenant_path("/realms")
        ))
        .await;
    assert_invalid(&r, "page_token");
    let (s, v) = api
        .get(&format!(
            "{}?page_size=9223372036854775807",
            realm_path("/events")
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = api
        .get(&format!("{}?page_size=0", realm_path("/groups")))
        .await;
    assert_eq!(s, 200, "{v}");
}

/// A POST on `…/groups/{id}` (no `:addMembers`) read the body first and answered 400; the
/// path takes no POST without a custom method: 405, as for credentials and jobs. An
/// unknown custom method stays 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_a_custom_method_are_405() {
    let api = AdminApi::start(Backend::Sqlite).await.unwrap();
    let id = api.create_identity("trent").await;
    let (_, group) = api
        .post(
            &realm_path("/groups"),
            json!({"group": {"display_name": "g"}}),
        )
        .await;
    let gid = group["id"].as_str().unwrap();
    for path in [
        format!("/groups/{gid}"),
        "/credentials/abc".to_string(),
        format!("/identities/{id}/credentials/abc"),
        format!("/identities/{id}/credential-binding-jobs/abc"),
    ] {
        let (s, v) = api.call(Method::POST, &realm_path(&path), None).await;
        assert_eq!(s, 405, "POST {path}: {v}");
        assert_eq!(v["code"], "method_not_allowed", "{v}");
        let (s, v) = api
            .call(Method::POST, &realm_path(&format!("{path}:bogus")), None)
            .await;
        assert_eq!(s, 404, "POST {path}:bogus: {v}");
    }
    // The real custom method still reads its body.
    let r = api
        .post(
            &realm_path(&format!("/groups/{gid}:addMembers")),
            json!({"identity_ids": {}}),
        )
        .await;
    assert_invalid(&r, "identity_ids");
}

/// A PATCH whose traits are malformed answered 412 when `If-Match` did not match, so the
/// body was never looked at: the body is checked first (400).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_patch_is_400_before_its_precondition() {
    let api = AdminApi::start(Backend::Sqlite).await.unwrap();
    let id = api.create_identity("peggy").await;
    let path = realm_path(&format!("/identities/{id}"));
    let body = json!({"identity": {"traits": {"x": {}}}});
    let resp = reqwest::Client::new()
        .patch(api.url(&path))
        .bearer_auth(&api.token)
        .header("if-match", "\"999\"")
        .json(&body)
        .send()
        .await
        .unwrap();
    let r = AdminApi::read(resp).await;
    assert_invalid(&r, "identity.traits.x");
    // A well-formed body with a stale version is still 412.
    let resp = reqwest::Client::new()
        .patch(api.url(&path))
        .bearer_auth(&api.token)
        .header("if-match", "\"999\"")
        .json(&json!({"identity": {"display_name": "P"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 412);
}

/// Every `405` names the methods the path allows (RFC 9110 §15.5.6: `Allow` is required),
/// custom methods included: `…/{id}:listMembers` allows GET and HEAD whatever the `{id}`
/// path allows (a POST there was a 404, a PUT had the item's methods). An unknown custom
/// method is still 404. Found by schemathesis' `unsupported_method` check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_405_names_the_allowed_methods() {
    use std::collections::BTreeSet;
    let api = AdminApi::start(Backend::Sqlite).await.unwrap();
    let id = api.create_identity("walter").await;
    let (_, group) = api
        .post(
            &realm_path("/groups"),
            json!({"group": {"display_name": "g"}}),
        )
        .await;
    let gid = group["id"].as_str().unwrap().to_string();
    let item = "GET, HEAD, PATCH, DELETE";
    let read = "GET, HEAD";
    let scim = |rest: &str| format!("{}{rest}", crate::scim::scim_path(""));
    let cases: Vec<(Method, String, &str)> = vec![
        (Method::POST, realm_path(&format!("/groups/{gid}")), item),
        (Method::PUT, realm_path(&format!("/groups/{gid}")), item),
        (
            Method::POST,
            realm_path(&format!("/groups/{gid}:listMembers")),
            read,
        ),
        (
            Method::PUT,
            realm_path(&format!("/groups/{gid}:listMembers")),
            read,
        ),
        (
            Method::GET,
            realm_path(&format!("/groups/{gid}:addMembers")),
            "POST",
        ),
        (
            Method::DELETE,
            realm_path(&format!("/groups/{gid}:deleteMembers")),
            "POST",
        ),
        (Method::POST, realm_path(&format!("/identities/{id}")), item),
        (
            Method::DELETE,
            realm_path(&format!("/identities/{id}:listGroups")),
            read,
        ),
        (Method::POST, realm_path("/credentials/abc"), read),
        (Method::GET, realm_path("/credentials/abc:revoke"), "POST"),
        (
            Method::PATCH,
            realm_path(&format!("/identities/{id}/credentials/abc:revoke")),
            "POST",
        ),
        (
            Method::DELETE,
            realm_path(&format!(
                "/identities/{id}/credential-binding-jobs/abc:revoke"
            )),
            "POST",
        ),
        (
            Method::DELETE,
            realm_path("/batch-credential-binding-jobs/b:listResults"),
            read,
        ),
        (Method::PUT, realm_path("/authenticator-configs/x"), read),
        (Method::DELETE, realm_path("/identities"), "GET, HEAD, POST"),
        (Method::GET, realm_path("/identities:batchDelete"), "POST"),
        (Method::PUT, tenant_path(""), read),
        (Method::POST, "/.passgate/healthz".to_string(), read),
        (Method::DELETE, scim("/Users"), "GET, HEAD, POST"),
        (Method::POST, scim("/ServiceProviderConfig"), read),
    ];
    let set = |s: &str| -> BTreeSet<String> {
        s.split(',')
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect()
    };
    let client = reqwest::Client::new();
    for (method, path, allow) in cases {
        let r = client
            .request(method.clone(), api.url(&path))
            .bearer_auth(&api.token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let got = r
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string());
        let body = r.text().await.unwrap();
        assert_eq!(status, 405, "{method} {path}: {body}");
        let got = got.unwrap_or_else(|| panic!("{method} {path}: 405 without Allow"));
        assert_eq!(set(&got), set(allow), "{method} {path}");
    }
    let (s, v) = api
        .call(
            Method::GET,
            &realm_path(&format!("/groups/{gid}:bogus")),
            None,
        )
        .await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = api
        .call(
            Method::PUT,
            &realm_path(&format!("/groups/{gid}:bogus")),
            None,
        )
        .await;
    assert_eq!(s, 404, "{v}");
}
