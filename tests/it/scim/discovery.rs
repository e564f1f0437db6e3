//! Discovery endpoints, `/Me` and `/Bulk`, unknown paths and methods, and who may call.

use reqwest::Method;

use super::{scim_path, Scim, ENTERPRISE, GROUP, USER};
use crate::support::admin::AdminApi;
use crate::support::db::Backend;

on_both_backends!(discovery_endpoints, tokens_hosts_and_realms_are_checked);

async fn discovery_endpoints(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let base = format!("http://localhost:{}{}", api.port, scim_path(""));

    let spc = scim.get("/ServiceProviderConfig").await;
    assert_eq!(spc.status, 200, "{}", spc.body);
    assert!(spc.content_type.starts_with("application/scim+json"));
    assert_eq!(spc.body["patch"]["supported"], true);
    assert_eq!(spc.body["bulk"]["supported"], false);
    assert_eq!(spc.body["filter"]["supported"], true);
    assert_eq!(spc.body["filter"]["maxResults"], 1000);
    assert_eq!(spc.body["sort"]["supported"], true);
    assert_eq!(spc.body["etag"]["supported"], true);
    assert_eq!(spc.body["changePassword"]["supported"], false);
    assert_eq!(
        spc.body["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );

    let rts = scim.get("/ResourceTypes").await;
    assert_eq!(rts.status, 200);
    assert_eq!(rts.body["totalResults"], 2);
    let user = scim.get("/ResourceTypes/User").await;
    assert_eq!(user.body["endpoint"], "/Users");
    assert_eq!(user.body["schema"], USER);
    assert_eq!(user.body["schemaExtensions"][0]["schema"], ENTERPRISE);
    assert_eq!(
        user.body["meta"]["location"],
        format!("{base}/ResourceTypes/User")
    );
    assert_eq!(scim.get("/ResourceTypes/Group").await.body["schema"], GROUP);
    scim.get("/ResourceTypes/Device")
        .await
        .assert_error(404, None);

    let schemas = scim.get("/Schemas").await;
    assert_eq!(schemas.body["totalResults"], 3);
    let ids: Vec<&str> = schemas.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [USER, ENTERPRISE, GROUP]);
    let us = scim.get(&format!("/Schemas/{USER}")).await;
    assert_eq!(us.status, 200);
    let attrs = us.body["attributes"].as_array().unwrap();
    let user_name = attrs.iter().find(|a| a["name"] == "userName").unwrap();
    assert_eq!(user_name["caseExact"], false);
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["required"], true);
    let emails = attrs.iter().find(|a| a["name"] == "emails").unwrap();
    assert_eq!(emails["multiValued"], true);
    assert!(emails["subAttributes"].as_array().unwrap().len() >= 3);
    let groups = attrs.iter().find(|a| a["name"] == "groups").unwrap();
    assert_eq!(groups["mutability"], "readOnly");
    let ent = scim.get(&format!("/Schemas/{ENTERPRISE}")).await;
    assert!(ent.body["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "employeeNumber"));
    scim.get("/Schemas/urn:nope").await.assert_error(404, None);

    for m in [Method::GET, Method::POST, Method::PATCH] {
        scim.call(m.clone(), "/Me", None)
            .await
            .assert_error(501, None);
    }
    scim.post("/Bulk", serde_json::json!({}))
        .await
        .assert_error(501, None);
    scim.get("/Devices").await.assert_error(404, None);
    scim.get("/Users/a/b").await.assert_error(404, None);
    scim.call(Method::DELETE, "/Users", None)
        .await
        .assert_error(405, None);
    scim.call(Method::POST, "/ServiceProviderConfig", None)
        .await
        .assert_error(405, None);
}

async fn tokens_hosts_and_realms_are_checked(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let mut scim = Scim::new(&api);
    let good = scim.token.clone();

    // No token, a malformed one, a revoked-looking one.
    let resp = scim
        .send(reqwest::Client::new().get(api.url(&scim_path("/Users"))))
        .await;
    resp.assert_error(401, None);
    for bad in ["nope", "pgt_00000000000000000000000000000000_x"] {
        scim.token = bad.into();
        scim.get("/Users").await.assert_error(401, None);
    }
    // A token without the scim scope.
    scim.token = api.new_token("reader", &["identities:read"], &[]);
    scim.get("/Users").await.assert_error(403, None);
    // The admin scope includes SCIM.
    scim.token = api.token.clone();
    assert_eq!(scim.get("/Users").await.status, 200);
    // A token bound to another realm.
    let (s, v) = api
        .post(
            "/.passgate/v1/tenants/default/realms",
            serde_json::json!({"realm": {"display_name": "Staff"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let staff_id = v["id"].as_str().unwrap().to_string();
    scim.token = api.new_token("staff-dir", &["scim"], &["--realm", &staff_id]);
    scim.get("/Users").await.assert_error(403, None);
    let staff = scim
        .send(
            reqwest::Client::new()
                .get(api.url(&format!(
                    "/.passgate/v1/tenants/default/realms/{staff_id}/scim/v2/Users"
                )))
                .bearer_auth(&scim.token),
        )
        .await;
    assert_eq!(staff.status, 200, "{}", staff.body);
    assert_eq!(staff.body["totalResults"], 0);
    // Unknown realm and tenant.
    scim.token = good;
    let r = scim
        .send(
            reqwest::Client::new()
                .get(api.url("/.passgate/v1/tenants/default/realms/nope/scim/v2/Users"))
                .bearer_auth(&scim.token),
        )
        .await;
    r.assert_error(404, None);
    let r = scim
        .send(
            reqwest::Client::new()
                .get(api.url("/.passgate/v1/tenants/other/realms/default/scim/v2/Users"))
                .bearer_auth(&scim.token),
        )
        .await;
    r.assert_error(404, None);
    // Only on the auth host.
    let r = scim
        .send(
            reqwest::Client::new()
                .get(format!(
                    "http://127.0.0.1:{}{}",
                    api.port,
                    scim_path("/Users")
                ))
                .bearer_auth(&scim.token),
        )
        .await;
    assert_eq!(r.status, 404);
}
