//! Authenticator configurations declared in the TOML (`[[realms.authenticator_configs]]`):
//! served by the admin API in Beyond Identity's shape (list, get, unknown ids, scopes), an
//! `embedded` configuration's links leading to the app's own page in RETURN answers,
//! batch jobs and mails through a real SMTP server (and binding through them), and
//! `passgate check` naming the key path of every bad entry.

use serde_json::{json, Value};

use crate::support::admin::realm_path;
use crate::support::authenticator::Authenticator;
use crate::support::binding::{begin, create_job, finish, identity_with_email, token_of};
use crate::support::db::Backend;
use crate::support::gateway::check;
use crate::support::sessions::SessionEnv;
use crate::support::smtp::{link_in, SmtpServer};

/// The realm with an embedded configuration (trusting `http://localhost:{trusted}`) and a
/// second hosted one, `link_base` moved, and mail to `smtp`.
pub fn embedded_realm(trusted: u16, smtp: u16) -> String {
    format!(
        r#"
[[realms]]
id = "default"
display_name = "Shop"
link_base = "http://localhost:{trusted}/"

[[realms.authenticator_configs]]
id = "shop-app"
display_name = "Shop app"
type = "embedded"
invoke_url = "http://localhost:{trusted}/passkeys/"
invocation_type = "manual"
trusted_origins = ["http://localhost:{trusted}"]

[[realms.authenticator_configs]]
id = "hosted-2"
type = "hosted_web"

[email]
host = "127.0.0.1"
port = {smtp}
security = "none"
from = "Shop <no-reply@shop.test>"
timeout = "2s"
retry_interval = "1s"
"#
    )
}

async fn start(trusted: u16, smtp: u16) -> SessionEnv {
    SessionEnv::start_routes(
        Backend::Sqlite,
        &embedded_realm(trusted, smtp),
        "[[routes]]\nhost = \"*\"\nupstream = \"{u}\"\n",
    )
    .await
    .expect("sqlite")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configs_are_served_in_beyond_identitys_shape() {
    let env = start(3999, 2525).await;
    let api = &env.api;
    let port = api.port;
    let (s, v) = api.get(&realm_path("/authenticator-configs")).await;
    assert_eq!(s, 200, "{v}");
    let methods = json!([{"type": "webauthn_passkey"}]);
    let expected = json!({"authenticator_configs": [
        {"id": "hosted_web", "realm_id": "default", "tenant_id": "default",
         "display_name": "Hosted Web Authenticator",
         "config": {"type": "hosted_web", "invoke_url": "http://localhost:3999/.passgate",
                    "invocation_type": "automatic",
                    "trusted_origins": [format!("http://localhost:{port}")],
                    "authentication_methods": methods}},
        {"id": "shop-app", "realm_id": "default", "tenant_id": "default",
         "display_name": "Shop app",
         "config": {"type": "embedded", "invoke_url": "http://localhost:3999/passkeys",
                    "invocation_type": "manual",
                    "trusted_origins": ["http://localhost:3999"],
                    "authentication_methods": methods}},
        {"id": "hosted-2", "realm_id": "default", "tenant_id": "default",
         "display_name": "hosted-2",
         "config": {"type": "hosted_web", "invoke_url": "http://localhost:3999/.passgate",
                    "invocation_type": "automatic",
                    "trusted_origins": [format!("http://localhost:{port}")],
                    "authentication_methods": methods}}],
        "total_size": 3});
    assert_eq!(v, expected);

    let (s, one) = api
        .get(&realm_path("/authenticator-configs/shop-app"))
        .await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one, expected["authenticator_configs"][1]);

    // Unknown ids, other realms, custom methods.
    let (s, v) = api.get(&realm_path("/authenticator-configs/nope")).await;
    assert_eq!(s, 404, "{v}");
    assert_eq!(v["code"], "not_found");
    assert!(v.to_string().contains("nope"), "{v}");
    let (s, v) = api
        .get("/.passgate/v1/tenants/default/realms/elsewhere/authenticator-configs")
        .await;
    assert_eq!((s, &v["code"]), (404, &json!("not_found")), "{v}");
    let (s, v) = api
        .get(&realm_path("/authenticator-configs/shop-app:rotate"))
        .await;
    assert_eq!(s, 404, "{v}");

    // Scopes: authenticator-configs:read reads; other scopes and no token do not.
    let reader = api.new_token("configs", &["authenticator-configs:read"], &[]);
    let other = api.new_token("identities", &["identities:read"], &[]);
    let path = realm_path("/authenticator-configs/shop-app");
    let (s, v) = api
        .call_as(Some(&reader), reqwest::Method::GET, &path, None)
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = api
        .call_as(Some(&other), reqwest::Method::GET, &path, None)
        .await;
    assert_eq!((s, &v["code"]), (403, &json!("forbidden")), "{v}");
    let (s, _) = api.call_as(None, reqwest::Method::GET, &path, None).await;
    assert_eq!(s, 401);
    // Read-only: no create.
    let (s, v) = api
        .call_as(
            Some(&reader),
            reqwest::Method::POST,
            &realm_path("/authenticator-configs"),
            Some(json!({"authenticator_config": {}})),
        )
        .await;
    assert_eq!(s, 405, "{v}");
}

fn link(v: &Value) -> String {
    v["credential_binding_link"]
        .as_str()
        .unwrap_or_else(|| panic!("no link: {v}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_links_lead_to_the_app_in_return_batch_and_email() {
    let smtp = SmtpServer::start(0).await;
    let env = start(3999, smtp.port).await;
    let api = &env.api;
    let id = identity_with_email(api, "nina", "nina@shop.test").await;
    let app = "http://localhost:3999/passkeys/bind?token=";

    // RETURN: the app's page; the token binds through the ceremony API.
    let (s, v) = create_job(
        api,
        &id,
        json!({"delivery_method": "RETURN", "authenticator_config_id": "shop-app"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["credential_binding_job"]["authenticator_config_id"],
        "shop-app"
    );
    let l = link(&v);
    assert!(l.starts_with(app), "{l}");
    let (s, options) = begin(api, &token_of(&l)).await;
    assert_eq!(s, 200, "{options}");
    let cred = Authenticator::new()
        .register(&format!("http://localhost:{}", api.port), &options)
        .unwrap();
    let done = finish(api, options["ceremony"].as_str().unwrap(), &cred).await;
    assert_eq!(done.status, 200, "{}", done.body);

    // Without an id: the default hosted web configuration, under link_base.
    let (_, v) = create_job(api, &id, json!({"delivery_method": "RETURN"})).await;
    assert_eq!(
        v["credential_binding_job"]["authenticator_config_id"],
        "hosted_web"
    );
    assert!(
        link(&v).starts_with("http://localhost:3999/.passgate/bind?token="),
        "{v}"
    );
    let (_, v) = create_job(
        api,
        &id,
        json!({"delivery_method": "RETURN", "authenticator_config_id": "hosted-2"}),
    )
    .await;
    assert!(
        link(&v).starts_with("http://localhost:3999/.passgate/bind?token="),
        "{v}"
    );
    // An unknown configuration: 404 and no job.
    let (_, before) = api
        .get(&realm_path(&format!(
            "/identities/{id}/credential-binding-jobs"
        )))
        .await;
    let (s, v) = create_job(
        api,
        &id,
        json!({"delivery_method": "RETURN", "authenticator_config_id": "gone"}),
    )
    .await;
    assert_eq!((s, &v["code"]), (404, &json!("not_found")), "{v}");
    let (_, after) = api
        .get(&realm_path(&format!(
            "/identities/{id}/credential-binding-jobs"
        )))
        .await;
    assert_eq!(before["total_size"], after["total_size"]);

    // EMAIL: the mailed link is the app's.
    let (s, v) = create_job(
        api,
        &id,
        json!({"delivery_method": "EMAIL", "authenticator_config_id": "shop-app"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let mail = smtp.wait_for(1, 10).await;
    assert!(mail.to[0].contains("nina@shop.test"), "{:?}", mail.to);
    let mailed = link_in(&mail);
    assert!(mailed.starts_with(app), "{mailed}");

    // Batch: RETURN links and queued mails, both the app's.
    let pia = identity_with_email(api, "pia", "pia@shop.test").await;
    let (s, v) = api
        .post(
            &realm_path("/batch-credential-binding-jobs"),
            json!({"identity_ids": [pia],
                   "job": {"delivery_method": "RETURN", "authenticator_config_id": "shop-app"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let text = v.to_string();
    assert!(text.contains(app), "{v}");
    let (s, v) = api
        .post(
            &realm_path("/batch-credential-binding-jobs"),
            json!({"batch_credential_binding_job": {"identity_ids": [pia],
                   "job_template": {"delivery_method": "EMAIL",
                                    "authenticator_config_id": "shop-app"}}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mail = smtp.wait_for(2, 15).await;
    assert!(mail.to[0].contains("pia@shop.test"), "{:?}", mail.to);
    assert!(link_in(&mail).starts_with(app), "{}", link_in(&mail));
    // Self-service: a signed-in user's own link, with the app's configuration or not.
    let (_, session) = env.sign_in("quinn").await;
    let own = |body: Value| {
        crate::support::http::send(
            crate::support::client()
                .post(env.gw().url("/.passgate/api/v1/passkeys/link"))
                .header("cookie", format!("passgate_session={session}"))
                .json(&body),
        )
    };
    let r = own(json!({"authenticator_config_id": "shop-app"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.json()["link"].as_str().unwrap().starts_with(app),
        "{}",
        r.body
    );
    let r = own(json!({})).await;
    assert!(
        r.json()["link"]
            .as_str()
            .unwrap()
            .starts_with("http://localhost:3999/.passgate/bind?token="),
        "{}",
        r.body
    );
    own(json!({"authenticator_config_id": "gone"}))
        .await
        .assert_json_error(404, "not_found");
    own(json!({"authenticator_config_id": 7}))
        .await
        .assert_json_error(400, "bad_request");
}

#[test]
fn check_names_the_key_path_of_bad_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("passgate.toml");
    std::fs::write(
        &path,
        r#"public_url = "https://auth.example.com"
[[listeners]]
address = "127.0.0.1:18443"

[[realms]]
id = "default"
rp_id = "example.com"

[[realms.authenticator_configs]]
id = "app"
type = "embedded"
trusted_origins = ["https://evil.test", "http://app.example.com", "https://app.example.com/x"]

[[realms.authenticator_configs]]
id = "app"
type = "sdk"
invoke_url = "https://app.example.com/passkeys"

[[routes]]
host = "app.example.com"
upstream = "http://127.0.0.1:9"
login_url = "https://evil.test/signin"

[[routes]]
host = "www.example.com"
upstream = "http://127.0.0.1:9"
login_url = "/signin"
"#,
    )
    .unwrap();
    let (ok, out, err) = check(&path);
    assert!(!ok, "{out}{err}");
    let report = format!("{out}{err}");
    for key in [
        "realms[0].authenticator_configs[0].invoke_url",
        "realms[0].authenticator_configs[0].trusted_origins[0]",
        "realms[0].authenticator_configs[0].trusted_origins[1]",
        "realms[0].authenticator_configs[0].trusted_origins[2]",
        "realms[0].authenticator_configs[1].id",
        "realms[0].authenticator_configs[1].type",
        "routes[0].login_url",
        "routes[1].login_url",
    ] {
        assert!(report.contains(key), "{key} in {report}");
    }
}
