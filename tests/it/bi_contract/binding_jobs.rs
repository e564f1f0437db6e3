//! Credential binding jobs (`credential-binding-jobs` reference): create (`RETURN`,
//! `EMAIL`), list, get, `:revoke`; batches in Beyond Identity's form, get and
//! `:listResults`; the documented errors, the authenticator configuration checked.

use reqwest::Method;
use serde_json::{json, Value};

use super::examples::*;
use super::{documented_error, gateway, has_shape, is_time, json};
use crate::support::admin::{realm_path, AdminApi};
use crate::support::binding::identity_with_email;
use crate::support::db::Backend;
use crate::support::smtp::SmtpServer;

on_both_backends!(jobs_follow_the_reference, batches_follow_the_reference);

/// Beyond Identity's example with its authenticator configuration id replaced by the
/// realm's (`hosted_web`).
fn with_hosted_web(example: &str, path: &[&str]) -> Value {
    let mut v = json(example);
    let mut at = &mut v;
    for key in path {
        at = &mut at[*key];
    }
    at["authenticator_config_id"] = "hosted_web".into();
    v
}

fn config_not_found() -> Value {
    json!({"code": "not_found", "message": "authenticator configuration not found",
        "details": [{"type": "ResourceInfo", "resource_type": "AuthenticatorConfig",
            "id": "67bb0acf12e5c899", "description": "authenticator configuration not found"}]})
}

async fn raw(api: &AdminApi, path: &str, example: &str) -> (u16, Value) {
    api.call_raw(Method::POST, path, example.into()).await
}

async fn jobs_follow_the_reference(backend: Backend) {
    let smtp = SmtpServer::start(0).await;
    let Some(api) = gateway(backend, &smtp).await else {
        return;
    };
    let erin = identity_with_email(&api, "erin", "erin@acme.test").await;
    let frank = api.create_identity("frank").await;
    let jobs = |who: &str| realm_path(&format!("/identities/{who}/credential-binding-jobs"));

    // The example unchanged names a configuration this realm does not have.
    let (s, e) = raw(&api, &jobs(&erin), CREATE_JOB).await;
    assert_eq!((s, e), (404, config_not_found()));
    let (s, created) = api
        .post(&jobs(&erin), with_hosted_web(CREATE_JOB, &["job"]))
        .await;
    assert_eq!(s, 200, "{created}");
    has_shape(&created, &json(JOB_CREATED_RETURN));
    let job = &created["credential_binding_job"];
    assert_eq!(job["authenticator_config_id"], "hosted_web");
    assert_eq!(
        job["post_binding_redirect_uri"],
        "http://example.com/callback"
    );
    assert_eq!(job["state"], "LINK_SENT");
    assert!(is_time(&job["expire_time"]));
    let link = created["credential_binding_link"].as_str().unwrap();
    assert!(link.starts_with(&format!(
        "http://localhost:{}/.passgate/bind?token=",
        api.port
    )));

    let email = json!({"job": {"delivery_method": "EMAIL",
        "post_binding_redirect_uri": "http://example.com/callback"}});
    let (s, mailed) = api.post(&jobs(&erin), email).await;
    assert_eq!(s, 200, "{mailed}");
    has_shape(&mailed, &json(JOB_CREATED_EMAIL));
    assert!(mailed.get("credential_binding_link").is_none());
    smtp.wait_for(1, 10).await;

    // The documented errors.
    let (s, e) = api
        .post(&jobs(&frank), json!({"job": {"delivery_method": "EMAIL"}}))
        .await;
    assert_eq!((s, e), (422, documented_error(JOB_NO_EMAIL, Some(&frank))));
    let (s, e) = api
        .post(
            &jobs(&erin),
            json!({"job": {"delivery_method": "RETURN", "authenticator_config_id": ""}}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["details"], json(JOB_INVALID)["details"]);
    let (s, e) = raw(
        &api,
        &jobs("51c3c2d2907d6b40"),
        r#"{"job": {"delivery_method": "RETURN"}}"#,
    )
    .await;
    assert_eq!((s, e), (404, json(JOB_IDENTITY_NOT_FOUND)));
    let inline = json!({"job": {"delivery_method": "RETURN", "authenticator_config":
        {"config": {"type": "embedded", "invoke_url": "http://localhost:8092",
                    "trusted_origins": ["http://localhost:8092"]}}}});
    let (s, e) = api.post(&jobs(&erin), inline).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(
        e["details"][0]["field_violations"][0]["field"],
        "job.authenticator_config"
    );

    // Get answers the job itself; list; the `-` wildcard.
    let jid = job["id"].as_str().unwrap();
    let (s, got) = api.get(&format!("{}/{jid}", jobs(&erin))).await;
    assert_eq!(s, 200, "{got}");
    has_shape(&got, &without_credential(json(JOB)));
    assert_eq!(&got, job);
    let (s, e) = api.get(&format!("{}/3103ba9a652b755e", jobs(&erin))).await;
    assert_eq!((s, e), (404, json(JOB_NOT_FOUND)));
    let (s, list) = api.get(&jobs(&erin)).await;
    assert_eq!(s, 200);
    let documented_job = without_credential(json(JOB_LIST)["credential_binding_jobs"][0].clone());
    has_shape(
        &list,
        &json!({"credential_binding_jobs": [documented_job], "total_size": 1}),
    );
    assert_eq!(list["total_size"], 2);
    assert_eq!(api.get(&jobs("-")).await.1["total_size"], 2);

    // :revoke answers the job; a job no longer open is a conflict naming it.
    let revoke = format!("{}/{jid}:revoke", jobs(&erin));
    let (s, r) = api.post(&revoke, json!({})).await;
    assert_eq!((s, &r["state"]), (200, &json!("REVOKED")));
    let (s, e) = api.post(&revoke, json!({})).await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["code"], "conflict");
    assert_eq!(e["details"][0]["resource_type"], "CredentialBindingJob");
    assert_eq!(e["details"][0]["id"], jid);
}

/// The documented job without `credential_id` (set only once a passkey is bound).
fn without_credential(mut job: Value) -> Value {
    if let Some(o) = job.as_object_mut() {
        o.remove("credential_id");
    }
    job
}

async fn batches_follow_the_reference(backend: Backend) {
    let smtp = SmtpServer::start(0).await;
    let Some(api) = gateway(backend, &smtp).await else {
        return;
    };
    let path = realm_path("/batch-credential-binding-jobs");
    let (s, e) = raw(&api, &path, CREATE_BATCH).await;
    assert_eq!((s, e), (404, config_not_found()));
    // With the realm's configuration: Beyond Identity's identities do not exist here.
    let body = with_hosted_web(
        CREATE_BATCH,
        &["batch_credential_binding_job", "job_template"],
    );
    let (s, b) = api.post(&path, body.clone()).await;
    assert_eq!(s, 200, "{b}");
    has_shape(&b, &json(BATCH));
    assert_eq!(b["state"], "FAILED");
    let ids = &body["batch_credential_binding_job"]["identity_ids"];
    assert_eq!(&b["identity_ids"], ids);
    for id in ids.as_array().unwrap() {
        let err = &b["state_commentary"]["errors"][id.as_str().unwrap()];
        assert_eq!(err["last_error"], "identity not found", "{b}");
        assert_eq!(err["failed_permanently"], true);
    }
    assert_eq!(
        b["job_template"],
        body["batch_credential_binding_job"]["job_template"]
    );

    // Real identities: the one with an address is mailed (in the background), the other
    // is reported as Beyond Identity's example shows it.
    let gus = identity_with_email(&api, "gus", "gus@acme.test").await;
    let hal = api.create_identity("hal").await;
    let body = json!({"batch_credential_binding_job": {"identity_ids": [gus, hal],
        "job_template": {"post_binding_redirect_uri": "http://example.com/callback"}}});
    let (s, b) = api.post(&path, body).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "RUNNING");
    assert_eq!(
        b["state_commentary"]["errors"][hal.as_str()]["last_error"],
        "Identity missing email address"
    );
    let item = format!("{path}/{}", b["id"].as_str().unwrap());
    smtp.wait_for(1, 15).await;
    let mut state = Value::Null;
    for _ in 0..50 {
        let (s, got) = api.get(&item).await;
        assert_eq!(s, 200, "{got}");
        has_shape(&got, &json(BATCH));
        state = got["state"].clone();
        if state != "RUNNING" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state, "PARTIAL_SUCCESS");
    let (s, results) = api.get(&format!("{item}:listResults")).await;
    assert_eq!(s, 200, "{results}");
    let documented = json(BATCH_RESULTS);
    let mut expected = documented.clone();
    expected["job_results"] = json!([without_credential(documented["job_results"][0].clone())]);
    has_shape(&results, &expected);
    assert_eq!(results["total_size"], 1);
    assert_eq!(results["total_pending_count"], 1);
    assert_eq!(results["job_results"][0]["identity_id"], gus.as_str());
    assert_eq!(results["job_results"][0]["delivery_method"], "EMAIL");

    let (s, e) = api
        .get(&format!("{path}/ea453099-e207-47d1-b24c-b3165a54037a"))
        .await;
    assert_eq!((s, e), (404, json(BATCH_NOT_FOUND)));
}
