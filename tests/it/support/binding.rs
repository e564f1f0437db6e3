//! Driving credential binding through the real gateway: create jobs with the admin API,
//! pull the token out of a link, call `bind/begin|finish` like the hosted page does.

use reqwest::Method;
use serde_json::{json, Value};

use super::admin::{realm_path, AdminApi};

pub struct Finished {
    pub status: u16,
    pub body: Value,
    pub set_cookie: Option<String>,
}

/// `…/identities/{id}/credential-binding-jobs` with `job`.
pub async fn create_job(api: &AdminApi, identity: &str, job: Value) -> (u16, Value) {
    api.post(
        &realm_path(&format!("/identities/{identity}/credential-binding-jobs")),
        json!({ "job": job }),
    )
    .await
}

/// A RETURN job for `identity`: (job, link).
pub async fn return_link(api: &AdminApi, identity: &str) -> (Value, String) {
    let (s, v) = create_job(api, identity, json!({"delivery_method": "RETURN"})).await;
    assert_eq!(s, 200, "{v}");
    let link = v["credential_binding_link"]
        .as_str()
        .expect("link")
        .to_string();
    (v["credential_binding_job"].clone(), link)
}

/// The `token` query parameter of a binding link.
pub fn token_of(link: &str) -> String {
    let url = url::Url::parse(link).expect("link is a URL");
    url.query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token in link")
}

pub async fn begin(api: &AdminApi, token: &str) -> (u16, Value) {
    api.call_as(
        None,
        Method::POST,
        "/.passgate/api/v1/bind/begin",
        Some(json!({ "token": token })),
    )
    .await
}

pub async fn finish(api: &AdminApi, ceremony: &str, credential: &Value) -> Finished {
    let resp = super::client()
        .post(api.url("/.passgate/api/v1/bind/finish"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
        )
        .json(&json!({ "ceremony": ceremony, "credential": credential }))
        .send()
        .await
        .expect("finish");
    let set_cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string());
    let (status, body) = AdminApi::read(resp).await;
    Finished {
        status,
        body,
        set_cookie,
    }
}

/// `GET /.passgate/bind?token=` as a browser would: (status, HTML).
pub async fn open_page(api: &AdminApi, token: &str) -> (u16, String) {
    let resp = super::client()
        .get(api.url(&format!("/.passgate/bind?token={token}")))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

pub async fn get_job(api: &AdminApi, identity: &str, job: &str) -> Value {
    let (s, v) = api
        .get(&realm_path(&format!(
            "/identities/{identity}/credential-binding-jobs/{job}"
        )))
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

/// Creates `username` with an email address; returns its id.
pub async fn identity_with_email(api: &AdminApi, username: &str, email: &str) -> String {
    let (s, v) = api
        .post(
            &realm_path("/identities"),
            json!({"identity": {"traits": {"username": username, "primary_email_address": email}}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// `bind/begin` with the link's token, then a new test [`Authenticator`] answers the
/// options: (begin's answer, the RegistrationResponseJSON).
pub async fn begin_registered(api: &AdminApi, link: &str) -> (Value, Value) {
    let (s, options) = begin(api, &token_of(link)).await;
    assert_eq!(s, 200, "{options}");
    let origin = format!("http://localhost:{}", api.port);
    let credential = super::authenticator::Authenticator::new()
        .register(&origin, &options)
        .expect("register");
    (options, credential)
}

/// Binds a new test passkey through `link`.
pub async fn bind_link(api: &AdminApi, link: &str) -> Finished {
    let (options, credential) = begin_registered(api, link).await;
    finish(api, options["ceremony"].as_str().unwrap(), &credential).await
}
