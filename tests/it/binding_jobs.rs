//! Credential binding jobs in the admin API: redirect rules, listing per identity and
//! realm-wide with filters, get, revoke, scopes, the realm's link base and link lifetime,
//! and batches with per-identity results.

use serde_json::json;

use crate::support::admin::{realm_path, violation, AdminApi};
use crate::support::binding::{
    begin, begin_registered, bind_link, create_job, finish, return_link, token_of,
};
use crate::support::db::Backend;

on_both_backends!(
    redirects_must_be_fronted_or_allowed,
    jobs_list_filter_get_and_scopes,
    batches_report_per_identity_results,
    an_api_realm_binds_and_deletes_with_its_binding_data,
);

fn realm_with_redirects(port: u16) -> String {
    format!(
        r#"
[[realms]]
id = "default"
link_base = "http://localhost:{port}/"
binding_link_ttl = "2h"
allowed_redirects = ["https://partner.example.net/welcome"]

[[routes]]
host = "app.localhost"
upstream = "http://127.0.0.1:9"
"#
    )
}

async fn redirects_must_be_fronted_or_allowed(backend: Backend) {
    let Some(api) = AdminApi::start_with(backend, realm_with_redirects).await else {
        return;
    };
    let id = api.create_identity("ivy").await;
    for bad in [
        "/relative",
        "javascript:alert(1)",
        "https://evil.example.com/",
        "https://partner.example.net/other",
        "https://user:pw@app.localhost/",
    ] {
        let (s, v) = create_job(
            &api,
            &id,
            json!({"delivery_method": "RETURN", "post_binding_redirect_uri": bad}),
        )
        .await;
        assert_eq!(s, 400, "{bad}: {v}");
        assert_eq!(violation(&v), "job.post_binding_redirect_uri");
    }
    let (s, v) = create_job(&api, &id, json!({"delivery_method": "SMS"})).await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = create_job(&api, &id, json!({"delivery_method": "RETURN", "extra": 1})).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        create_job(&api, "missing", json!({"delivery_method": "RETURN"}))
            .await
            .0,
        404
    );
    // No [email] configured: EMAIL jobs cannot be delivered.
    assert_eq!(
        create_job(&api, &id, json!({"delivery_method": "EMAIL"}))
            .await
            .0,
        422
    );

    let (s, v) = create_job(
        &api,
        &id,
        json!({"delivery_method": "RETURN", "post_binding_redirect_uri": "https://partner.example.net/welcome?x=1"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = create_job(
        &api,
        &id,
        json!({"delivery_method": "RETURN", "post_binding_redirect_uri": "http://app.localhost/home"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let job = &v["credential_binding_job"];
    // The realm's link lifetime (2 h) sets the expiry.
    let created = time::OffsetDateTime::parse(
        job["create_time"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        job["expire_time"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - created).whole_minutes(), 120);
    let link = v["credential_binding_link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "http://localhost:{}/.passgate/bind?token=",
            api.port
        )),
        "{link}"
    );

    let (o, c) = begin_registered(&api, link).await;
    let done = finish(&api, o["ceremony"].as_str().unwrap(), &c).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["redirect"], "http://app.localhost/home");
}

async fn jobs_list_filter_get_and_scopes(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let a = api.create_identity("jack").await;
    let b = api.create_identity("kate").await;
    let (j1, _) = return_link(&api, &a).await;
    let (_j2, _) = return_link(&api, &a).await;
    let (j3, _) = return_link(&api, &b).await;
    let j1 = j1["id"].as_str().unwrap();
    let j3 = j3["id"].as_str().unwrap();
    api.post(
        &realm_path(&format!(
            "/identities/{b}/credential-binding-jobs/{j3}:revoke"
        )),
        json!({}),
    )
    .await;

    let list = |q: String| {
        let api = &api;
        async move {
            let (s, v) = api.get(&realm_path(&q)).await;
            assert_eq!(s, 200, "{q}: {v}");
            v
        }
    };
    let v = list(format!("/identities/{a}/credential-binding-jobs")).await;
    assert_eq!(v["total_size"], 2);
    let v = list("/identities/-/credential-binding-jobs".into()).await;
    assert_eq!(v["total_size"], 3);
    let v = list("/identities/-/credential-binding-jobs?state=REVOKED".into()).await;
    assert_eq!(v["total_size"], 1);
    assert_eq!(v["credential_binding_jobs"][0]["id"], j3);
    let v = list("/identities/-/credential-binding-jobs?delivery_method=EMAIL".into()).await;
    assert_eq!(v["total_size"], 0);
    let v = list("/identities/-/credential-binding-jobs?page_size=2".into()).await;
    assert_eq!(v["credential_binding_jobs"].as_array().unwrap().len(), 2);
    let next = v["next_page_token"].as_str().unwrap();
    let v = list(format!(
        "/identities/-/credential-binding-jobs?page_size=2&page_token={next}"
    ))
    .await;
    assert_eq!(v["credential_binding_jobs"].as_array().unwrap().len(), 1);
    assert_eq!(
        api.get(&realm_path(
            "/identities/-/credential-binding-jobs?state=NOPE"
        ))
        .await
        .0,
        400
    );
    assert_eq!(
        api.get(&realm_path("/identities/nobody/credential-binding-jobs"))
            .await
            .0,
        404
    );

    // Get: by identity or with `-`, never across identities.
    let path = |who: &str, job: &str| {
        realm_path(&format!("/identities/{who}/credential-binding-jobs/{job}"))
    };
    assert_eq!(api.get(&path(&a, j1)).await.0, 200);
    assert_eq!(api.get(&path("-", j1)).await.0, 200);
    assert_eq!(api.get(&path(&b, j1)).await.0, 404);
    let (_, v) = api.get(&path(&a, j1)).await;
    // Beyond Identity's answer: the job itself.
    let job = &v;
    for key in [
        "id",
        "identity_id",
        "realm_id",
        "tenant_id",
        "delivery_method",
        "state",
        "post_binding_redirect_uri",
        "expire_time",
        "credential_id",
        "authenticator_config_id",
        "create_time",
        "update_time",
    ] {
        assert!(job.get(key).is_some(), "{key} in {job}");
    }

    // Scopes.
    let reader = api.new_token("reader", &["credential-binding-jobs:read"], &[]);
    let other = api.new_token("other", &["identities:read"], &[]);
    let create = realm_path(&format!("/identities/{a}/credential-binding-jobs"));
    let body = Some(json!({"job": {"delivery_method": "RETURN"}}));
    assert_eq!(
        api.call_as(Some(&reader), reqwest::Method::GET, &create, None)
            .await
            .0,
        200
    );
    assert_eq!(
        api.call_as(Some(&reader), reqwest::Method::POST, &create, body.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        api.call_as(Some(&other), reqwest::Method::GET, &create, None)
            .await
            .0,
        403
    );
    assert_eq!(
        api.call_as(None, reqwest::Method::POST, &create, body)
            .await
            .0,
        401
    );
    let creds = realm_path(&format!("/identities/{a}/credentials"));
    assert_eq!(
        api.call_as(Some(&reader), reqwest::Method::GET, &creds, None)
            .await
            .0,
        403
    );
}

async fn batches_report_per_identity_results(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let a = api.create_identity("liam").await;
    let b = api.create_identity("mia").await;
    api.patch(
        &realm_path(&format!("/identities/{b}")),
        json!({"identity": {"status": "suspended"}}),
    )
    .await;
    let (s, v) = api
        .post(
            &realm_path("/batch-credential-binding-jobs"),
            json!({"identity_ids": [a, b, "nobody"], "job": {"delivery_method": "RETURN"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let batch = &v["batch_credential_binding_job"];
    // Every job made at once, two identities refused: Beyond Identity's PARTIAL_SUCCESS.
    assert_eq!(batch["state"], "PARTIAL_SUCCESS");
    assert_eq!(
        batch["state_commentary"]["errors"]["nobody"]["failed_permanently"],
        true
    );
    let results = batch["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["identity_id"], a.as_str());
    let link = results[0]["credential_binding_link"].as_str().unwrap();
    assert_eq!(results[1]["error"]["code"], "unprocessable_entity");
    assert_eq!(results[2]["error"]["code"], "not_found");

    // Bind through the batch's link: the batch is then done.
    assert_eq!(bind_link(&api, link).await.status, 200);
    let batch_id = batch["id"].as_str().unwrap();
    let (s, v) = api
        .get(&realm_path(&format!(
            "/batch-credential-binding-jobs/{batch_id}"
        )))
        .await;
    assert_eq!(s, 200, "{v}");
    // Beyond Identity's answer: the batch itself.
    let got = &v;
    assert_eq!(got["state"], "PARTIAL_SUCCESS");
    assert_eq!(got["identity_ids"], json!([a, b, "nobody"]));
    assert_eq!(got["job_states"]["COMPLETE"], 1);
    assert_eq!(
        got["results"][0]["credential_binding_job"]["state"],
        "COMPLETE"
    );
    assert!(
        got["results"][0].get("credential_binding_link").is_none(),
        "links are shown once"
    );
    assert_eq!(got["results"][2]["error"]["code"], "not_found");

    let too_many: Vec<String> = (0..1001).map(|i| format!("id{i}")).collect();
    let (s, _) = api
        .post(
            &realm_path("/batch-credential-binding-jobs"),
            json!({"identity_ids": too_many, "job": {"delivery_method": "RETURN"}}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        api.get(&realm_path("/batch-credential-binding-jobs/nope"))
            .await
            .0,
        404
    );
}

async fn an_api_realm_binds_and_deletes_with_its_binding_data(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let (s, realm) = api
        .post(
            &crate::support::admin::tenant_path("/realms"),
            json!({"realm": {"display_name": "Staff"}}),
        )
        .await;
    assert_eq!(s, 200, "{realm}");
    let r = realm["id"].as_str().unwrap().to_string();
    let path = |rest: &str| crate::support::admin::tenant_path(&format!("/realms/{r}{rest}"));
    let (_, identity) = api
        .post(
            &path("/identities"),
            json!({"identity": {"traits": {"username": "wes"}}}),
        )
        .await;
    let id = identity["id"].as_str().unwrap();
    // Defaults for a realm the config does not declare: link on public_url, 24 h.
    let (s, v) = api
        .post(
            &path(&format!("/identities/{id}/credential-binding-jobs")),
            json!({"job": {"delivery_method": "RETURN"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let link = v["credential_binding_link"].as_str().unwrap();
    assert_eq!(bind_link(&api, link).await.status, 200);
    api.post(
        &path("/batch-credential-binding-jobs"),
        json!({"identity_ids": [id], "job": {"delivery_method": "RETURN"}}),
    )
    .await;
    let (_, v) = api
        .post(
            &path(&format!("/identities/{id}/credential-binding-jobs")),
            json!({"job": {"delivery_method": "RETURN"}}),
        )
        .await;
    begin(
        &api,
        &token_of(v["credential_binding_link"].as_str().unwrap()),
    )
    .await;

    let (s, v) = api.delete(&path("")).await;
    assert_eq!(s, 200, "{v}");
    for table in [
        "credentials",
        "binding_jobs",
        "binding_batches",
        "ceremonies",
    ] {
        let n = api
            .db
            .count(&format!(
                "SELECT COUNT(*) FROM {table} WHERE realm_id = '{r}'"
            ))
            .await;
        assert_eq!(n, 0, "{table} emptied with the realm");
    }
}
