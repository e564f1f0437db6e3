//! EMAIL delivery of binding links through a real SMTP server: the mail arrives branded
//! with the realm, its link binds a passkey; no address → 422; SMTP down → FAILED_TO_SEND
//! with the reason (the identity `INVITE_FAILED`), then retried with back-off until the
//! server is back (`PENDING`); batches queue.

use serde_json::json;

use crate::support::admin::{realm_path, AdminApi};
use crate::support::authenticator::Authenticator;
use crate::support::binding::{begin, create_job, finish, get_job, identity_with_email, token_of};
use crate::support::db::Backend;
use crate::support::smtp::{link_in, SmtpServer};

on_both_backends!(
    emailed_link_binds_a_passkey,
    failed_delivery_is_retried_until_the_server_answers,
    a_delivered_link_works_the_moment_its_mail_arrives,
    a_mail_whose_reply_was_lost_still_binds,
);

fn email_config(smtp_port: u16) -> impl Fn(u16) -> String {
    email_config_timeout(smtp_port, "2s")
}

fn email_config_timeout(smtp_port: u16, timeout: &'static str) -> impl Fn(u16) -> String {
    email_config_retry(smtp_port, timeout, "1s")
}

fn email_config_retry(
    smtp_port: u16,
    timeout: &'static str,
    retry: &'static str,
) -> impl Fn(u16) -> String {
    move |_| {
        format!(
            r#"
[[realms]]
id = "default"
display_name = "Acme Staff"

[email]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "Acme <no-reply@acme.test>"
timeout = "{timeout}"
retry_interval = "{retry}"
"#
        )
    }
}

async fn emailed_link_binds_a_passkey(backend: Backend) {
    let smtp = SmtpServer::start(0).await;
    let Some(api) = AdminApi::start_with(backend, email_config(smtp.port)).await else {
        return;
    };
    let id = identity_with_email(&api, "nina", "nina@acme.test").await;
    let (s, v) = create_job(&api, &id, json!({"delivery_method": "EMAIL"})).await;
    assert_eq!(s, 200, "{v}");
    let job = &v["credential_binding_job"];
    assert_eq!(job["state"], "LINK_SENT");
    assert!(
        v.get("credential_binding_link").is_none(),
        "EMAIL never returns the link"
    );

    let mail = smtp.wait_for(1, 10).await;
    assert!(mail.to[0].contains("nina@acme.test"), "{:?}", mail.to);
    assert!(mail.data.contains("Acme Staff"), "branded: {}", mail.data);
    assert!(mail.data.contains("text/html") && mail.data.contains("text/plain"));
    let link = link_in(&mail);
    assert!(link.contains("/.passgate/bind?token="), "{link}");

    let (s, o) = begin(&api, &token_of(&link)).await;
    assert_eq!(s, 200, "{o}");
    let c = Authenticator::new()
        .register(&format!("http://localhost:{}", api.port), &o)
        .unwrap();
    let done = finish(&api, o["ceremony"].as_str().unwrap(), &c).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let job = get_job(&api, &id, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "COMPLETE");

    // No email address: 422, and no job.
    let bare = api.create_identity("oscar").await;
    let (s, v) = create_job(&api, &bare, json!({"delivery_method": "EMAIL"})).await;
    assert_eq!(s, 422, "{v}");
    let (_, list) = api
        .get(&realm_path(&format!(
            "/identities/{bare}/credential-binding-jobs"
        )))
        .await;
    assert_eq!(list["total_size"], 0);

    // A batch of EMAIL jobs is queued and delivered in the background.
    let p = identity_with_email(&api, "pia", "pia@acme.test").await;
    let (s, v) = api
        .post(
            &realm_path("/batch-credential-binding-jobs"),
            json!({"identity_ids": [p, bare], "job": {"delivery_method": "EMAIL"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["batch_credential_binding_job"]["results"][1]["error"]["code"],
        "unprocessable_entity"
    );
    // Its EMAIL job waits for the delivery task: the batch is running.
    assert_eq!(v["batch_credential_binding_job"]["state"], "RUNNING");
    let mail = smtp.wait_for(2, 15).await;
    assert!(mail.to[0].contains("pia@acme.test"), "{:?}", mail.to);
    let (s, o) = begin(&api, &token_of(&link_in(&mail))).await;
    assert_eq!(s, 200, "{o}");
}

/// The identity's `enrollment_status` as the admin API shows it.
async fn enrollment_of(api: &AdminApi, id: &str) -> serde_json::Value {
    let (s, v) = api.get(&realm_path(&format!("/identities/{id}"))).await;
    assert_eq!(s, 200, "{v}");
    v["enrollment_status"].clone()
}

async fn failed_delivery_is_retried_until_the_server_answers(backend: Backend) {
    // A port nothing listens on yet.
    let port = crate::support::free_port();
    let Some(api) = AdminApi::start_with(backend, email_config(port)).await else {
        return;
    };
    let id = identity_with_email(&api, "quinn", "quinn@acme.test").await;
    let (s, v) = create_job(&api, &id, json!({"delivery_method": "EMAIL"})).await;
    assert_eq!(s, 200, "{v}");
    let job = &v["credential_binding_job"];
    assert_eq!(job["state"], "FAILED_TO_SEND", "{v}");
    assert!(
        job["failure_reason"].as_str().unwrap().contains("SMTP"),
        "{job}"
    );
    let job_id = job["id"].as_str().unwrap().to_string();
    let (_, list) = api
        .get(&realm_path(
            "/identities/-/credential-binding-jobs?state=FAILED_TO_SEND",
        ))
        .await;
    assert_eq!(list["total_size"], 1);
    assert_eq!(enrollment_of(&api, &id).await, "INVITE_FAILED");

    // The server comes up: the background task retries and the job becomes LINK_SENT.
    let smtp = SmtpServer::start(port).await;
    let mail = smtp.wait_for(1, 20).await;
    assert!(mail.to[0].contains("quinn@acme.test"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let job = get_job(&api, &id, &job_id).await;
        if job["state"] == "LINK_SENT" {
            assert!(job.get("failure_reason").is_none(), "{job}");
            assert_eq!(
                enrollment_of(&api, &id).await,
                "PENDING",
                "the mail went out"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {job}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let attempts = api
        .db
        .count(&format!(
            "SELECT send_attempts FROM binding_jobs WHERE id = '{job_id}'"
        ))
        .await;
    assert!(attempts >= 2, "{attempts} attempts");
    let (s, o) = begin(&api, &token_of(&link_in(&mail))).await;
    assert_eq!(s, 200, "the retried mail's link works: {o}");
    let (_, events) = api.get(&realm_path("/events?page_size=200")).await;
    let actions = events.to_string();
    assert!(actions.contains("credential_binding_job.email_failed"));
    assert!(actions.contains("credential_binding_job.email_sent"));
}

/// An EMAIL job of a batch is mailed by the delivery task with a fresh token: that link
/// works as soon as the mail is in the mailbox, before the SMTP server has even confirmed
/// it (the token's hash is stored first; it used to be stored after the send, so a quick
/// click met a 404).
async fn a_delivered_link_works_the_moment_its_mail_arrives(backend: Backend) {
    let smtp = SmtpServer::start_holding(0).await;
    let Some(api) = AdminApi::start_with(backend, email_config_timeout(smtp.port, "20s")).await
    else {
        return;
    };
    let id = identity_with_email(&api, "rhea", "rhea@acme.test").await;
    let (s, v) = api
        .post(
            &realm_path("/batch-credential-binding-jobs"),
            json!({"identity_ids": [id], "job": {"delivery_method": "EMAIL"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mail = smtp.wait_for(1, 20).await;
    let (s, o) = begin(&api, &token_of(&link_in(&mail))).await;
    smtp.release();
    assert_eq!(
        s, 200,
        "the link works while its mail is being confirmed: {o}"
    );
    let c = Authenticator::new()
        .register(&format!("http://localhost:{}", api.port), &o)
        .unwrap();
    let done = finish(&api, o["ceremony"].as_str().unwrap(), &c).await;
    assert_eq!(done.status, 200, "{}", done.body);
}

/// A reload that points `[email]` at a working server reaches the retries of jobs that
/// failed under the old settings (the delivery task reads the configuration in force).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_of_email_settings_reaches_the_retries() {
    let dead = crate::support::free_port();
    let Some(api) = AdminApi::start_with(Backend::Sqlite, email_config(dead)).await else {
        return;
    };
    let id = identity_with_email(&api, "rosa", "rosa@acme.test").await;
    let (s, v) = create_job(&api, &id, json!({"delivery_method": "EMAIL"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["credential_binding_job"]["state"], "FAILED_TO_SEND",
        "{v}"
    );
    let job_id = v["credential_binding_job"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The old port stays dead; the new settings name a live server.
    let smtp = SmtpServer::start(0).await;
    let old = email_config(dead)(api.port);
    let new = email_config(smtp.port)(api.port);
    api.gw.write_config(&api.config.replace(&old, &new));
    assert_ne!(api.config, api.config.replace(&old, &new));
    api.gw.signal(nix::sys::signal::Signal::SIGHUP);
    api.gw.wait_for_log("configuration reloaded", 10).await;

    let mail = smtp.wait_for(1, 20).await;
    assert!(mail.to[0].contains("rosa@acme.test"), "{:?}", mail.to);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while get_job(&api, &id, &job_id).await["state"] != "LINK_SENT" {
        assert!(
            std::time::Instant::now() < deadline,
            "the job never became LINK_SENT"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (s, o) = begin(&api, &token_of(&link_in(&mail))).await;
    assert_eq!(s, 200, "the retried mail's link works: {o}");
}

/// The SMTP server takes the mail but its `250` never comes back within `[email] timeout`:
/// the attempt fails within that time, the job is `FAILED_TO_SEND`, yet the mail did
/// arrive, and its link works: opening it
/// makes the job `LINK_OPENED` (so no retry mails another link) and a passkey binds. (A
/// failed job's link used to be refused with `410`, and the next retry mailed a new one.)
async fn a_mail_whose_reply_was_lost_still_binds(backend: Backend) {
    let smtp = SmtpServer::start_holding(0).await;
    let config = email_config_retry(smtp.port, "1s", "30s");
    let Some(api) = AdminApi::start_with(backend, config).await else {
        return;
    };
    let id = identity_with_email(&api, "tess", "tess@acme.test").await;
    let asked = std::time::Instant::now();
    let (s, v) = create_job(&api, &id, json!({"delivery_method": "EMAIL"})).await;
    assert_eq!(s, 200, "{v}");
    // `[email] timeout` (1 s) bounds the whole attempt: the call used to hang until the
    // client gave up.
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
    let job = &v["credential_binding_job"];
    assert_eq!(job["state"], "FAILED_TO_SEND", "{v}");
    assert!(
        job["failure_reason"]
            .as_str()
            .unwrap()
            .contains("[email] timeout"),
        "{job}"
    );
    let job_id = job["id"].as_str().unwrap().to_string();
    assert_eq!(enrollment_of(&api, &id).await, "INVITE_FAILED");

    let mail = smtp.wait_for(1, 10).await;
    let (s, o) = begin(&api, &token_of(&link_in(&mail))).await;
    assert_eq!(s, 200, "the link of the mail that arrived works: {o}");
    let job = get_job(&api, &id, &job_id).await;
    assert_eq!(job["state"], "LINK_OPENED", "{job}");
    assert!(job.get("failure_reason").is_none(), "{job}");
    let retrying = api
        .db
        .count(&format!(
            "SELECT COUNT(*) FROM binding_jobs WHERE id = '{job_id}' AND next_send_us IS NOT NULL"
        ))
        .await;
    assert_eq!(retrying, 0, "an opened link is not mailed again");
    assert_eq!(enrollment_of(&api, &id).await, "PENDING");

    let c = Authenticator::new()
        .register(&format!("http://localhost:{}", api.port), &o)
        .unwrap();
    let done = finish(&api, o["ceremony"].as_str().unwrap(), &c).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["identity"]["enrollment_status"], "ENROLLED");
    assert_eq!(get_job(&api, &id, &job_id).await["state"], "COMPLETE");
    let (_, events) = api.get(&realm_path("/events?page_size=200")).await;
    let actions = events.to_string();
    assert!(
        actions.contains("credential_binding_job.email_failed"),
        "{actions}"
    );
    assert!(actions.contains("credential_binding_job.open"), "{actions}");
}
