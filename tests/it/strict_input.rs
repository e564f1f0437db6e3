//! Strict input, the same on every JSON endpoint: sign-in finish checks the credential's
//! `id` (base64url, the same as `rawId`) and `type` (`public-key`); `authenticate/finish`,
//! `bind/begin`, `bind/finish`, `recover` and the passkeys API refuse unknown members, each
//! error naming its field; display names and passkey names refuse bidirectional controls.
//! A refused request changes nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::admin::{assert_invalid, realm_path, violation, AdminApi};
use crate::support::authenticator::{b64, Authenticator};
use crate::support::binding::{begin as bind_begin, finish as bind_finish, return_link, token_of};
use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::{send, Reply};
use crate::support::sessions::{token_in_set_cookie, SessionEnv};

fn origin(env: &SessionEnv) -> String {
    format!("http://localhost:{}", env.api.port)
}

async fn post(env: &SessionEnv, path: &str, body: &Value, token: Option<&str>) -> Reply {
    let mut req = client().post(env.gw().url(path)).json(body);
    if let Some(t) = token {
        req = req.header("cookie", format!("passgate_session={t}"));
    }
    send(req).await
}

/// A 400 naming `field`.
fn refused(r: &Reply, field: &str) {
    r.assert_json_error(400, "bad_request");
    assert_eq!(violation(&r.json()), field, "{}", r.body);
}

/// `alice` with a passkey on `device`; the session token the binding set.
async fn enrolled(env: &SessionEnv, device: &mut Authenticator) -> String {
    let id = env.api.create_identity("alice").await;
    let (_, link) = return_link(&env.api, &id).await;
    let (s, options) = bind_begin(&env.api, &token_of(&link)).await;
    assert_eq!(s, 200, "{options}");
    let credential = device.register(&origin(env), &options).unwrap();
    let done = bind_finish(&env.api, options["ceremony"].as_str().unwrap(), &credential).await;
    assert_eq!(done.status, 200, "{}", done.body);
    token_in_set_cookie(&done.set_cookie.expect("cookie"))
}

/// A genuine assertion of `device` for a new sign-in ceremony: (ceremony, credential).
async fn assertion(env: &SessionEnv, device: &mut Authenticator) -> (String, Value) {
    let b = post(
        env,
        "/.passgate/api/v1/authenticate/begin",
        &json!({}),
        None,
    )
    .await;
    assert_eq!(b.status, 200, "{}", b.body);
    let options = b.json();
    let credential = device.authenticate(&origin(env), &options).unwrap();
    (
        options["ceremony"].as_str().unwrap().to_string(),
        credential,
    )
}

async fn finish(env: &SessionEnv, body: Value) -> Reply {
    post(env, "/.passgate/api/v1/authenticate/finish", &body, None).await
}

on_both_backends!(sign_in_checks_the_credential_it_is_given);

async fn sign_in_checks_the_credential_it_is_given(backend: Backend) {
    let Some(env) = SessionEnv::start(backend, "").await else {
        return;
    };
    let mut device = Authenticator::new();
    enrolled(&env, &mut device).await;

    // (Each refusal counts against the client's failure limit of 10: eight are made here.)
    let other_id = b64(&[7u8; 16]);
    let cases = [
        ("id", json!("!!!***"), "credential.id"),
        ("id", json!(other_id), "credential.id"),
        ("type", json!("foo"), "credential.type"),
        ("extra", json!(1), "credential.extra"),
    ];
    for (i, (member, value, field)) in cases.into_iter().enumerate() {
        let (ceremony, mut credential) = assertion(&env, &mut device).await;
        let genuine = credential.clone();
        credential[member] = value;
        let body = json!({"ceremony": ceremony, "credential": credential});
        let r = finish(&env, body).await;
        refused(&r, field);
        assert!(
            r.header("set-cookie").is_empty(),
            "a session from a refused finish"
        );
        if i == 0 {
            // The ceremony is used up by the refused attempt.
            let again = finish(&env, json!({"ceremony": ceremony, "credential": genuine})).await;
            again.assert_json_error(410, "gone");
        }
    }
    // Members of `response` are checked too.
    let (ceremony, mut credential) = assertion(&env, &mut device).await;
    credential["response"]["clientDataJSON"] = json!("***");
    let r = finish(
        &env,
        json!({"ceremony": ceremony, "credential": credential}),
    )
    .await;
    refused(&r, "credential.response.clientDataJSON");
    let (ceremony, mut credential) = assertion(&env, &mut device).await;
    credential["response"]["note"] = json!("x");
    let r = finish(
        &env,
        json!({"ceremony": ceremony, "credential": credential}),
    )
    .await;
    refused(&r, "credential.response.note");
    // And the body's own members.
    let (ceremony, credential) = assertion(&env, &mut device).await;
    let r = finish(
        &env,
        json!({"ceremony": ceremony, "credential": credential, "remember": true}),
    )
    .await;
    refused(&r, "remember");

    // The untouched credential still signs in (padded base64url ids included).
    let (ceremony, mut credential) = assertion(&env, &mut device).await;
    let padded = format!("{}==", credential["id"].as_str().unwrap());
    credential["id"] = json!(padded);
    let r = finish(
        &env,
        json!({"ceremony": ceremony, "credential": credential}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn every_ceremony_and_self_service_body_refuses_unknown_members() {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let mut device = Authenticator::new();
    let session = enrolled(&env, &mut device).await;
    let id = env.api.create_identity("bob").await;
    let (_, link) = return_link(&env.api, &id).await;
    let token = token_of(&link);

    let r = post(
        &env,
        "/.passgate/api/v1/bind/begin",
        &json!({"token": token, "debug": true}),
        None,
    )
    .await;
    refused(&r, "debug");
    let (s, options) = bind_begin(&env.api, &token).await;
    assert_eq!(s, 200, "{options}");
    let ceremony = options["ceremony"].as_str().unwrap();
    let mut laptop = Authenticator::new();
    let mut credential = laptop.register(&origin(&env), &options).unwrap();
    credential["response"]["extra"] = json!(1);
    let r = post(
        &env,
        "/.passgate/api/v1/bind/finish",
        &json!({"ceremony": ceremony, "credential": credential}),
        None,
    )
    .await;
    refused(&r, "credential.response.extra");
    let (_, creds) = env
        .api
        .get(&realm_path(&format!("/identities/{id}/credentials")))
        .await;
    assert_eq!(creds["total_size"], 0, "no passkey from a refused finish");

    let r = post(
        &env,
        "/.passgate/api/v1/recover",
        &json!({"email": "a@b.example", "realm": "x"}),
        None,
    )
    .await;
    refused(&r, "realm");
    let r = post(
        &env,
        "/.passgate/api/v1/passkeys/link",
        &json!({"for": "me"}),
        Some(&session),
    )
    .await;
    refused(&r, "for");
    let list = send(
        client()
            .get(env.gw().url("/.passgate/api/v1/passkeys"))
            .header("cookie", format!("passgate_session={session}")),
    )
    .await
    .json();
    let pid = list["passkeys"][0]["id"].as_str().unwrap().to_string();
    let rename = |body: Value| {
        send(
            client()
                .request(
                    Method::PATCH,
                    env.gw().url(&format!("/.passgate/api/v1/passkeys/{pid}")),
                )
                .header("cookie", format!("passgate_session={session}"))
                .json(&body),
        )
    };
    refused(
        &rename(json!({"name": "Phone", "colour": "red"})).await,
        "colour",
    );
    // Passkey names refuse bidirectional controls (U+202E makes "Phonegpj.exe" look safe).
    refused(
        &rename(json!({"name": "Phone\u{202E}exe.gpj"})).await,
        "name",
    );
    refused(&rename(json!({"name": "\u{2067}Phone"})).await, "name");
    assert_eq!(rename(json!({"name": "Téléphone 李"})).await.status, 200);
}

on_both_backends!(display_names_refuse_bidirectional_controls);

async fn display_names_refuse_bidirectional_controls(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let path = realm_path("/identities");
    for c in [
        '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
    ] {
        let name = format!("Admin{c}nimda");
        let r = api
            .post(
                &path,
                json!({"identity": {"display_name": name, "traits": {"username": "x"}}}),
            )
            .await;
        assert_invalid(&r, "identity.display_name");
        let r = api
            .post(&path, json!({"identity": {"traits": {"username": name}}}))
            .await;
        assert_invalid(&r, "identity.traits.username");
        let r = api
            .post(
                &realm_path("/groups"),
                json!({"group": {"display_name": name}}),
            )
            .await;
        assert_invalid(&r, "group.display_name");
    }
    let id = api.create_identity("carol").await;
    let r = api
        .patch(
            &realm_path(&format!("/identities/{id}")),
            json!({"identity": {"display_name": "Carol\u{202E}"}}),
        )
        .await;
    assert_invalid(&r, "identity.display_name");
    // Nothing was created or changed by any of them.
    assert_eq!(api.get(&path).await.1["total_size"], 1);
    assert_eq!(api.get(&realm_path("/groups")).await.1["total_size"], 0);
    let (_, carol) = api.get(&realm_path(&format!("/identities/{id}"))).await;
    assert_eq!(carol["display_name"], "carol");
    // Right-to-left text itself is fine.
    let (s, v) = api
        .post(
            &path,
            json!({"identity": {"display_name": "שלום עולם", "traits": {"username": "dana"}}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}
