//! `[realms.scim] on_create = "email_binding_link"`: a user pushed over SCIM with an email
//! gets a binding link by mail at once (through a real SMTP server); one without an email
//! gets nothing; `passgate check` refuses an unknown value and the option without `[email]`.

use serde_json::json;

use super::Scim;
use crate::support::admin::{realm_path, AdminApi};
use crate::support::db::Backend;
use crate::support::smtp::{link_in, SmtpServer};

on_both_backends!(scim_users_get_a_binding_link);

fn config(smtp_port: u16) -> impl Fn(u16) -> String {
    move |_| {
        format!(
            r#"
[[realms]]
id = "default"
display_name = "Acme Staff"
scim.on_create = "email_binding_link"

[email]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "Acme <no-reply@acme.test>"
timeout = "2s"
retry_interval = "1s"
"#
        )
    }
}

async fn scim_users_get_a_binding_link(backend: Backend) {
    let smtp = SmtpServer::start(0).await;
    let Some(api) = AdminApi::start_with(backend, config(smtp.port)).await else {
        return;
    };
    let scim = Scim::new(&api);
    let id = scim
        .user(
            "nora",
            json!({"emails": [{"value": "nora@acme.test", "primary": true}]}),
        )
        .await
        .id();
    let mail = smtp.wait_for(1, 20).await;
    assert!(mail.to[0].contains("nora@acme.test"), "{:?}", mail.to);
    assert!(link_in(&mail).contains("/.passgate/bind?token="));
    let (s, jobs) = api
        .get(&realm_path(&format!(
            "/identities/{id}/credential-binding-jobs"
        )))
        .await;
    assert_eq!(s, 200, "{jobs}");
    let job = &jobs["credential_binding_jobs"][0];
    assert_eq!(job["delivery_method"], "EMAIL");
    assert_eq!(job["state"], "LINK_SENT");
    // No email: no job.
    let quiet = scim.user("quiet", json!({})).await.id();
    let (_, jobs) = api
        .get(&realm_path(&format!(
            "/identities/{quiet}/credential-binding-jobs"
        )))
        .await;
    assert_eq!(jobs["total_size"], 0, "{jobs}");

    // passgate check refuses an unknown value, and the option without [email].
    let dir = tempfile::tempdir().unwrap();
    for (text, key) in [
        (
            "public_url = \"http://localhost:1\"\n[[realms]]\nid = \"default\"\nscim.on_create = \"sms\"\n",
            "realms[0].scim.on_create",
        ),
        (
            "public_url = \"http://localhost:1\"\n[[realms]]\nid = \"default\"\n[realms.scim]\non_create = \"email_binding_link\"\n",
            "realms[0].scim.on_create",
        ),
        (
            "public_url = \"http://localhost:1\"\n[[realms]]\nid = \"default\"\n[realms.scim]\nwhen = \"now\"\n",
            "realms[0].scim",
        ),
    ] {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let (ok, out, err) = crate::support::gateway::check(&path);
        assert!(!ok, "{text}");
        assert!(out.contains(key) || err.contains(key), "{key}: {out} {err}");
    }
}
