//! The binding ceremony end to end through the real gateway: a RETURN link, the hosted
//! page, `bind/begin|finish` with both software authenticators, the passkey stored, the
//! job complete, the identity enrolled, the session cookie set; and every bad input.

use serde_json::{json, Value};

use crate::support::admin::{realm_path, AdminApi};
use crate::support::authenticator::Authenticator;
use crate::support::binding::{
    begin, begin_registered, bind_link, finish, get_job, open_page, return_link, token_of,
};
use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::send;
use crate::support::soft_passkey::SoftPasskey;

on_both_backends!(
    soft_passkey_binds_through_a_return_link,
    test_authenticator_binds_and_the_passkey_is_described,
    used_revoked_expired_and_unknown_links_are_refused,
    racing_browsers_one_wins_and_ceremonies_are_single_use,
    suspended_identities_and_taken_credentials_are_refused,
    realm_authenticator_policy_is_enforced,
    enrollment_status_follows_passkeys_and_links,
);

fn origin(api: &AdminApi) -> String {
    format!("http://localhost:{}", api.port)
}

async fn soft_passkey_binds_through_a_return_link(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let id = api.create_identity("alice").await;
    let (job, link) = return_link(&api, &id).await;
    assert_eq!(job["state"], "LINK_SENT");
    assert_eq!(job["delivery_method"], "RETURN");
    assert!(
        link.starts_with(&format!("{}/.passgate/bind?token=", origin(&api))),
        "{link}"
    );
    let token = token_of(&link);
    assert_eq!(token.len(), 43, "256 bits, base64url");
    let hash_count = api
        .db
        .count(&format!(
            "SELECT COUNT(*) FROM binding_jobs WHERE token_hash = '{token}'"
        ))
        .await;
    assert_eq!(hash_count, 0, "the token itself is never stored");

    let (status, page) = open_page(&api, &token).await;
    assert_eq!(status, 200);
    assert!(page.contains("Create your passkey") && page.contains("/.passgate/assets/bind.js"));
    let job_id = job["id"].as_str().unwrap();
    assert_eq!(get_job(&api, &id, job_id).await["state"], "LINK_OPENED");

    let (s, options) = begin(&api, &token).await;
    assert_eq!(s, 200, "{options}");
    let sel = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(sel["residentKey"], "required");
    assert_eq!(sel["requireResidentKey"], true);
    assert_eq!(sel["userVerification"], "required");
    assert_eq!(options["publicKey"]["attestation"], "none");
    assert_eq!(options["publicKey"]["rp"]["id"], "localhost");

    let mut device = SoftPasskey::new();
    let credential = device.register(&origin(&api), &options).unwrap();
    let done = finish(&api, options["ceremony"].as_str().unwrap(), &credential).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["identity"]["enrollment_status"], "ENROLLED");
    assert_eq!(done.body["redirect"], Value::Null);
    let cookie = done.set_cookie.expect("a session cookie");
    assert!(
        cookie.starts_with("passgate_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let passkey_id = done.body["passkey"]["id"].as_str().unwrap().to_string();

    let job = get_job(&api, &id, job_id).await;
    assert_eq!(job["state"], "COMPLETE");
    assert_eq!(job["credential_id"], passkey_id.as_str());
    let (_, identity) = api.get(&realm_path(&format!("/identities/{id}"))).await;
    assert_eq!(identity["enrollment_status"], "ENROLLED");
    let (s, list) = api
        .get(&realm_path(&format!("/identities/{id}/credentials")))
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total_size"], 1);
    assert_eq!(list["credentials"][0]["id"], passkey_id.as_str());
    assert_eq!(list["credentials"][0]["state"], "ACTIVE");
    assert_eq!(list["credentials"][0]["credential_id"], credential["id"]);

    // The link is single use: the page and the API both say so.
    assert_eq!(begin(&api, &token).await.0, 410);
    assert_eq!(open_page(&api, &token).await.0, 410);

    // Revoking the passkey.
    let (s, revoked) = api
        .post(
            &realm_path(&format!("/credentials/{passkey_id}:revoke")),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{revoked}");
    assert_eq!(revoked["credential"]["state"], "REVOKED");
    let (_, got) = api
        .get(&realm_path(&format!("/credentials/{passkey_id}")))
        .await;
    assert_eq!(got["credential"]["state"], "REVOKED");
    assert_eq!(api.get(&realm_path("/credentials/nope")).await.0, 404);

    let (_, events) = api.get(&realm_path("/events?page_size=200")).await;
    let actions: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "credential_binding_job.create",
        "credential_binding_job.open",
        "credential_binding_job.complete",
        "credential.revoke",
    ] {
        assert!(actions.contains(&a), "{a} audited: {actions:?}");
    }
}

async fn test_authenticator_binds_and_the_passkey_is_described(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let id = api.create_identity("bob").await;
    let (_, link) = return_link(&api, &id).await;
    let (s, options) = begin(&api, &token_of(&link)).await;
    assert_eq!(s, 200, "{options}");
    let mut device = Authenticator::new().with_backup(true, true);
    let credential = device.register(&origin(&api), &options).unwrap();
    let done = finish(&api, options["ceremony"].as_str().unwrap(), &credential).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let p = &done.body["passkey"];
    assert_eq!(p["aaguid"], "01020304-0506-0708-0102-030405060708");
    assert_eq!(p["backup_eligible"], true);
    assert_eq!(p["backup_state"], true);
    assert_eq!(p["name"], "Passkey (Chrome on Linux)");
    assert_eq!(p["last_used_time"], Value::Null);
    assert_eq!(p["state"], "ACTIVE");
    // The stored passkey is what sign-in verifies against.
    let stored = api
        .db
        .count("SELECT COUNT(*) FROM credentials WHERE passkey LIKE '%\"cred\"%'")
        .await;
    assert_eq!(stored, 1);
}

async fn used_revoked_expired_and_unknown_links_are_refused(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let id = api.create_identity("carol").await;

    // Unknown: 404 from the API, a 404 page, and nothing about any identity.
    let (s, v) = begin(&api, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(s, 404, "{v}");
    assert!(!v.to_string().contains("identity"), "{v}");
    let (s, page) = open_page(&api, "nope").await;
    assert_eq!(s, 404);
    assert!(page.contains("This link is not valid"));
    assert_eq!(begin(&api, "").await.0, 404);

    // Revoked.
    let (job, link) = return_link(&api, &id).await;
    let job_id = job["id"].as_str().unwrap();
    let revoke = realm_path(&format!(
        "/identities/{id}/credential-binding-jobs/{job_id}:revoke"
    ));
    let (s, v) = api.post(&revoke, json!({})).await;
    assert_eq!(s, 200, "{v}");
    // Beyond Identity's answer: the job itself.
    assert_eq!(v["state"], "REVOKED");
    assert_eq!(api.post(&revoke, json!({})).await.0, 409);
    let (s, v) = begin(&api, &token_of(&link)).await;
    assert_eq!(s, 410, "{v}");
    let (s, page) = open_page(&api, &token_of(&link)).await;
    assert_eq!(s, 410);
    assert!(page.contains("can no longer be used"));

    // Expired (the link's time passed).
    let (job, link) = return_link(&api, &id).await;
    let job_id = job["id"].as_str().unwrap();
    api.db
        .exec(&format!(
            "UPDATE binding_jobs SET expire_us = 1 WHERE id = '{job_id}'"
        ))
        .await;
    assert_eq!(begin(&api, &token_of(&link)).await.0, 410);
    assert_eq!(get_job(&api, &id, job_id).await["state"], "EXPIRED");

    // Expired between begin and finish.
    let (job, link) = return_link(&api, &id).await;
    let job_id = job["id"].as_str().unwrap();
    let (options, credential) = begin_registered(&api, &link).await;
    api.db
        .exec(&format!(
            "UPDATE binding_jobs SET expire_us = 1 WHERE id = '{job_id}'"
        ))
        .await;
    let done = finish(&api, options["ceremony"].as_str().unwrap(), &credential).await;
    assert_eq!(done.status, 410, "{}", done.body);
    assert!(done.set_cookie.is_none());

    // Malformed bodies.
    let (s, _) = api
        .call_as(
            None,
            reqwest::Method::POST,
            "/.passgate/api/v1/bind/begin",
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 400);
    // A form post (what another site could make a browser send) is refused.
    let (_, link) = return_link(&api, &id).await;
    let form = crate::support::client()
        .post(api.url("/.passgate/api/v1/bind/begin"))
        .header("content-type", "text/plain")
        .body(json!({"token": token_of(&link)}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 400);
    let (_, link) = return_link(&api, &id).await;
    let (_, options) = begin(&api, &token_of(&link)).await;
    let bad = finish(
        &api,
        options["ceremony"].as_str().unwrap(),
        &json!({"id": "x"}),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
}

async fn racing_browsers_one_wins_and_ceremonies_are_single_use(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let id = api.create_identity("dave").await;
    let (job, link) = return_link(&api, &id).await;
    let token = token_of(&link);
    // Two browsers open the same link and both get a ceremony.
    let (s1, o1) = begin(&api, &token).await;
    let (s2, o2) = begin(&api, &token).await;
    assert_eq!((s1, s2), (200, 200));
    assert_ne!(o1["ceremony"], o2["ceremony"]);
    let c1 = Authenticator::new().register(&origin(&api), &o1).unwrap();
    let c2 = Authenticator::new().register(&origin(&api), &o2).unwrap();
    let (a, b) = tokio::join!(
        finish(&api, o1["ceremony"].as_str().unwrap(), &c1),
        finish(&api, o2["ceremony"].as_str().unwrap(), &c2),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 410], "{} / {}", a.body, b.body);
    let (_, list) = api
        .get(&realm_path(&format!("/identities/{id}/credentials")))
        .await;
    assert_eq!(list["total_size"], 1);
    assert_eq!(
        get_job(&api, &id, job["id"].as_str().unwrap()).await["state"],
        "COMPLETE"
    );

    // A ceremony id is single use, even when webauthn-rs would accept the same response.
    let (_, link) = return_link(&api, &id).await;
    let (_, o) = begin(&api, &token_of(&link)).await;
    api.db
        .exec("UPDATE binding_jobs SET state = 'LINK_OPENED' WHERE state = 'LINK_SENT'")
        .await;
    let ceremony = o["ceremony"].as_str().unwrap();
    assert_eq!(
        finish(&api, ceremony, &json!({"id": "x"})).await.status,
        400
    );
    let c = Authenticator::new().register(&origin(&api), &o).unwrap();
    let again = finish(&api, ceremony, &c).await;
    assert_eq!(again.status, 410, "{}", again.body);

    // An expired ceremony is refused.
    let (_, o) = begin(&api, &token_of(&link)).await;
    api.db.exec("UPDATE ceremonies SET expire_us = 1").await;
    let c = Authenticator::new().register(&origin(&api), &o).unwrap();
    let late = finish(&api, o["ceremony"].as_str().unwrap(), &c).await;
    assert_eq!(late.status, 410, "{}", late.body);
    // Still usable with a fresh ceremony.
    assert_eq!(bind_link(&api, &link).await.status, 200);
}

async fn suspended_identities_and_taken_credentials_are_refused(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let erin = api.create_identity("erin").await;
    let (_, link) = return_link(&api, &erin).await;
    let (s, _) = api
        .patch(
            &realm_path(&format!("/identities/{erin}")),
            json!({"identity": {"status": "suspended"}}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = begin(&api, &token_of(&link)).await;
    assert_eq!(s, 403, "{v}");
    // The page says so when the link is opened, and the link is not marked opened.
    let page = send(client().get(&link)).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.body.contains("This link cannot be used"),
        "{}",
        page.body
    );
    let (_, jobs) = api
        .get(&realm_path(&format!(
            "/identities/{erin}/credential-binding-jobs"
        )))
        .await;
    assert_eq!(
        jobs["credential_binding_jobs"][0]["state"], "LINK_SENT",
        "{jobs}"
    );
    // A suspended identity gets no new jobs either.
    let (s, v) =
        crate::support::binding::create_job(&api, &erin, json!({"delivery_method": "RETURN"}))
            .await;
    assert_eq!(s, 422, "{v}");
    // Suspended between begin and finish.
    let frank = api.create_identity("frank").await;
    let (_, link) = return_link(&api, &frank).await;
    let (o, c) = begin_registered(&api, &link).await;
    api.patch(
        &realm_path(&format!("/identities/{frank}")),
        json!({"identity": {"status": "suspended"}}),
    )
    .await;
    assert_eq!(
        finish(&api, o["ceremony"].as_str().unwrap(), &c)
            .await
            .status,
        403
    );

    // A credential id already bound to another identity is refused.
    let gina = api.create_identity("gina").await;
    let hank = api.create_identity("hank").await;
    let (_, link) = return_link(&api, &gina).await;
    assert_eq!(bind_link(&api, &link).await.status, 200);
    let (_, link) = return_link(&api, &hank).await;
    let (o, c2) = begin_registered(&api, &link).await;
    let taken = c2["id"].as_str().unwrap();
    api.db
        .exec(&format!(
            "UPDATE credentials SET credential_id = '{taken}' WHERE identity_id = '{gina}'"
        ))
        .await;
    let dup = finish(&api, o["ceremony"].as_str().unwrap(), &c2).await;
    assert_eq!(dup.status, 409, "{}", dup.body);
    let (_, identity) = api.get(&realm_path(&format!("/identities/{hank}"))).await;
    // Not enrolled: the refused finish wrote nothing, so hank's link is still open.
    assert_eq!(identity["enrollment_status"], "PENDING");
}

/// The identity as the admin API shows it: (enrollment status, update time).
async fn enrollment(api: &AdminApi, id: &str) -> (String, String) {
    let (s, v) = api.get(&realm_path(&format!("/identities/{id}"))).await;
    assert_eq!(s, 200, "{v}");
    let field = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k}: {v}"))
            .to_string()
    };
    (field("enrollment_status"), field("update_time"))
}

/// `enrollment_status` is what the identity has, kept by every write that changes it: no
/// link and no passkey `UNENROLLED`; an open link `PENDING` (again `UNENROLLED` when the
/// link is revoked, or lapses and the background round marks it expired); a passkey
/// `ENROLLED` whatever links are open; the last passkey revoked `PENDING` or `UNENROLLED`
/// by the links left. (`INVITE_FAILED`: `binding_email`.)
async fn enrollment_status_follows_passkeys_and_links(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let id = api.create_identity("ivy").await;
    let (status, created) = enrollment(&api, &id).await;
    assert_eq!(status, "UNENROLLED");

    let (job, _) = return_link(&api, &id).await;
    let (status, linked) = enrollment(&api, &id).await;
    assert_eq!(status, "PENDING");
    assert!(linked >= created, "{linked} after {created}");
    let job_id = job["id"].as_str().unwrap();
    let revoke = realm_path(&format!(
        "/identities/{id}/credential-binding-jobs/{job_id}:revoke"
    ));
    assert_eq!(api.post(&revoke, json!({})).await.0, 200);
    assert_eq!(enrollment(&api, &id).await.0, "UNENROLLED");

    // A link that lapses: nobody lists jobs, the delivery task's round (every 5 s without
    // mail) marks it expired and the identity unenrolled.
    let (job, _) = return_link(&api, &id).await;
    assert_eq!(enrollment(&api, &id).await.0, "PENDING");
    let job_id = job["id"].as_str().unwrap();
    api.db
        .exec(&format!(
            "UPDATE binding_jobs SET expire_us = 1 WHERE id = '{job_id}'"
        ))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while enrollment(&api, &id).await.0 != "UNENROLLED" {
        assert!(
            std::time::Instant::now() < deadline,
            "still {:?} with its only link expired",
            enrollment(&api, &id).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let expired = api
        .db
        .count(&format!(
            "SELECT COUNT(*) FROM binding_jobs WHERE id = '{job_id}' AND state = 'EXPIRED'"
        ))
        .await;
    assert_eq!(expired, 1, "the round marked the link itself expired");

    // Bound: enrolled, and a second link opened afterwards does not change that.
    let (_, link) = return_link(&api, &id).await;
    let done = bind_link(&api, &link).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["identity"]["enrollment_status"], "ENROLLED");
    let passkey = done.body["passkey"]["id"].as_str().unwrap().to_string();
    let (second_job, _) = return_link(&api, &id).await;
    assert_eq!(enrollment(&api, &id).await.0, "ENROLLED");

    // The only passkey revoked while a link is open: pending again; that link revoked too:
    // unenrolled.
    let (s, v) = api
        .post(
            &realm_path(&format!("/credentials/{passkey}:revoke")),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(enrollment(&api, &id).await.0, "PENDING");
    let second = second_job["id"].as_str().unwrap();
    let revoke = realm_path(&format!(
        "/identities/{id}/credential-binding-jobs/{second}:revoke"
    ));
    assert_eq!(api.post(&revoke, json!({})).await.0, 200);
    assert_eq!(enrollment(&api, &id).await.0, "UNENROLLED");

    // Revoking a passkey that does not exist writes nothing.
    let (s, v) = api
        .post(&realm_path("/credentials/nope:revoke"), json!({}))
        .await;
    assert_eq!(s, 404, "{v}");
    assert_eq!(enrollment(&api, &id).await.0, "UNENROLLED");
}

async fn realm_authenticator_policy_is_enforced(backend: Backend) {
    // Chromium's virtual authenticator AAGUID is allowed, another one is not; attestation
    // is required, and the test authenticator only gives `none`.
    let policy = |attestation: &'static str| {
        move |_| {
            format!(
                "\n[[realms]]\nid = \"default\"\nattestation = \"{attestation}\"\n\
                 allowed_aaguids = [\"01020304-0506-0708-0102-030405060708\"]\n"
            )
        }
    };
    let Some(api) = AdminApi::start_with(backend, policy("none")).await else {
        return;
    };
    let id = api.create_identity("uma").await;
    let (job, link) = return_link(&api, &id).await;
    let (_, o) = begin(&api, &token_of(&link)).await;
    assert_eq!(o["publicKey"]["attestation"], "none");
    let other = Authenticator::new()
        .with_aaguid([9; 16])
        .register(&origin(&api), &o)
        .unwrap();
    let refused = finish(&api, o["ceremony"].as_str().unwrap(), &other).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("not allowed"),
        "{}",
        refused.body
    );
    assert_eq!(
        get_job(&api, &id, job["id"].as_str().unwrap()).await["state"],
        "LINK_OPENED"
    );
    assert_eq!(bind_link(&api, &link).await.status, 200);
    drop(api);

    let Some(api) = AdminApi::start_with(backend, policy("direct")).await else {
        return;
    };
    let id = api.create_identity("vic").await;
    let (_, link) = return_link(&api, &id).await;
    let (_, o) = begin(&api, &token_of(&link)).await;
    assert_eq!(o["publicKey"]["attestation"], "direct");
    let unattested = Authenticator::new().register(&origin(&api), &o).unwrap();
    let refused = finish(&api, o["ceremony"].as_str().unwrap(), &unattested).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("attestation"),
        "{}",
        refused.body
    );
}
