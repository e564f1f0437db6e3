//! Passkey sign-in end to end through the real gateway: bind with the test authenticator,
//! then sign in usernameless and username-first → cookie → the protected route reaches the
//! upstream with identity headers; and every refusal: replayed ceremonies and assertions,
//! revoked passkeys, suspended identities, a sign count that went backwards (audited),
//! missing user verification, open redirects, rate limits.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::admin::realm_path;
use crate::support::authenticator::{unb64, Authenticator};
use crate::support::binding::{begin as bind_begin, finish as bind_finish, return_link, token_of};
use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::{echoed_one, send, Reply};
use crate::support::sessions::{token_in_set_cookie, SessionEnv};

on_both_backends!(
    usernameless_sign_in_reaches_the_upstream,
    username_first_sign_in,
    refusals_and_the_counter,
);

fn origin(env: &SessionEnv) -> String {
    format!("http://localhost:{}", env.api.port)
}

/// Creates `username` and binds a passkey on `device`; returns the identity id.
async fn enrolled(env: &SessionEnv, device: &mut Authenticator, username: &str) -> String {
    let id = env.api.create_identity(username).await;
    let (_, link) = return_link(&env.api, &id).await;
    let (s, options) = bind_begin(&env.api, &token_of(&link)).await;
    assert_eq!(s, 200, "{options}");
    let credential = device.register(&origin(env), &options).unwrap();
    let done = bind_finish(&env.api, options["ceremony"].as_str().unwrap(), &credential).await;
    assert_eq!(done.status, 200, "{}", done.body);
    id
}

async fn begin(env: &SessionEnv, body: Value) -> Reply {
    send(
        client()
            .post(env.gw().url("/.passgate/api/v1/authenticate/begin"))
            .json(&body),
    )
    .await
}

async fn finish(env: &SessionEnv, ceremony: &str, credential: &Value, rd: Option<&str>) -> Reply {
    send(
        client()
            .post(env.gw().url("/.passgate/api/v1/authenticate/finish"))
            .json(&json!({"ceremony": ceremony, "credential": credential, "rd": rd})),
    )
    .await
}

/// Begins (with `body`), answers with `device`, finishes: the finish reply.
async fn sign_in(
    env: &SessionEnv,
    device: &mut Authenticator,
    body: Value,
    rd: Option<&str>,
) -> Reply {
    let b = begin(env, body).await;
    assert_eq!(b.status, 200, "{}", b.body);
    let options = b.json();
    let credential = device.authenticate(&origin(env), &options).unwrap();
    finish(env, options["ceremony"].as_str().unwrap(), &credential, rd).await
}

fn cookie_token(r: &Reply) -> String {
    let set = r.header("set-cookie");
    assert!(
        set.starts_with("passgate_session=")
            && set.contains("HttpOnly")
            && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "plain-http localhost: no Secure ({set})"
    );
    token_in_set_cookie(set)
}

async fn credentials_of(env: &SessionEnv, id: &str) -> Vec<Value> {
    let (s, v) = env
        .api
        .get(&realm_path(&format!("/identities/{id}/credentials")))
        .await;
    assert_eq!(s, 200, "{v}");
    v["credentials"].as_array().unwrap().clone()
}

async fn usernameless_sign_in_reaches_the_upstream(backend: Backend) {
    let Some(env) = SessionEnv::start(backend, "").await else {
        return;
    };
    let mut device = Authenticator::new();
    let id = enrolled(&env, &mut device, "alice").await;
    let before = credentials_of(&env, &id).await;
    assert_eq!(before[0]["last_used_time"], Value::Null);

    let b = begin(&env, json!({})).await;
    let options = b.json();
    assert!(options.get("mediation").is_none(), "{options}");
    let pk = &options["publicKey"];
    assert_eq!(pk["userVerification"], "required");
    assert!(
        pk["allowCredentials"].as_array().is_none_or(Vec::is_empty),
        "{pk}"
    );
    let credential = device.authenticate(&origin(&env), &options).unwrap();
    let rd = format!("{}/app/after?x=1", origin(&env));
    let r = finish(
        &env,
        options["ceremony"].as_str().unwrap(),
        &credential,
        Some(&rd),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["redirect"], rd.as_str());
    assert_eq!(r.json()["identity"]["id"], id.as_str());
    let token = cookie_token(&r);

    let echo = env.get(&token).await.echo();
    assert_eq!(echoed_one(&echo, "x-passgate-user"), "alice");
    assert_eq!(echoed_one(&echo, "x-passgate-identity"), id);
    let after = credentials_of(&env, &id).await;
    assert!(after[0]["last_used_time"].is_string(), "{}", after[0]);

    // The session is tied to the passkey: revoking the passkey ends it at once.
    let cred_id = after[0]["id"].as_str().unwrap();
    let (s, v) = env
        .api
        .post(
            &realm_path(&format!("/credentials/{cred_id}:revoke")),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    env.get(&token).await.assert_json_error(401, "unauthorized");
    // And the revoked passkey cannot sign in again.
    let r = sign_in(&env, &mut device, json!({}), None).await;
    r.assert_json_error(404, "not_found");
}

async fn username_first_sign_in(backend: Backend) {
    let Some(env) = SessionEnv::start(backend, "").await else {
        return;
    };
    let mut device = Authenticator::new();
    let _alice = enrolled(&env, &mut device, "alice").await;
    let mut other = Authenticator::new();
    let _bob = enrolled(&env, &mut other, "bob").await;

    let b = begin(&env, json!({"username": "ALICE"})).await;
    let options = b.json();
    let allowed = options["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1, "{options}");
    assert_eq!(
        unb64(allowed[0]["id"].as_str().unwrap()).unwrap(),
        device.credentials()[0].id
    );
    let credential = device.authenticate(&origin(&env), &options).unwrap();
    let r = finish(
        &env,
        options["ceremony"].as_str().unwrap(),
        &credential,
        Some("https://evil.com/"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["redirect"], "/", "no open redirect");
    let echo = env.get(&cookie_token(&r)).await.echo();
    assert_eq!(echoed_one(&echo, "x-passgate-user"), "alice");

    // Bob's passkey does not finish Alice's ceremony.
    let b = begin(&env, json!({"username": "alice"})).await;
    let options = b.json();
    let mut forged = options.clone();
    forged["publicKey"]["allowCredentials"] = json!([]);
    let credential = other.authenticate(&origin(&env), &forged).unwrap();
    let r = finish(
        &env,
        options["ceremony"].as_str().unwrap(),
        &credential,
        None,
    )
    .await;
    r.assert_json_error(404, "not_found");

    // An unknown name gets options of the same shape as a known one: one credential of
    // the same form, the same on every call (and in any letter case), different per name.
    let real = allowed[0].as_object().unwrap().clone();
    let decoy_for = |name: &'static str| {
        let env = &env;
        async move {
            let b = begin(env, json!({ "username": name })).await;
            assert_eq!(b.status, 200, "{}", b.body);
            let o = b.json();
            let list = o["publicKey"]["allowCredentials"]
                .as_array()
                .unwrap()
                .clone();
            assert_eq!(list.len(), 1, "{o}");
            (o, list[0].as_object().unwrap().clone())
        }
    };
    let (nobody_options, nobody) = decoy_for("nobody").await;
    let keys = |m: &serde_json::Map<String, serde_json::Value>| {
        let mut k: Vec<String> = m.keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&nobody), keys(&real), "{nobody:?} vs {real:?}");
    assert_eq!(nobody["type"], real["type"]);
    let id = unb64(nobody["id"].as_str().unwrap()).unwrap();
    assert_eq!(id.len(), 16);
    assert_ne!(id, device.credentials()[0].id);
    assert_eq!(decoy_for("NoBody").await.1["id"], nobody["id"], "stable");
    assert_ne!(
        decoy_for("somebody").await.1["id"],
        nobody["id"],
        "per name"
    );
    // No authenticator holds it: Alice's device has nothing to answer with.
    assert!(device.authenticate(&origin(&env), &nobody_options).is_err());
    let b = begin(&env, json!({"username": "x".repeat(200)})).await;
    b.assert_json_error(400, "bad_request");
    let b = begin(&env, json!({"user": "alice"})).await;
    b.assert_json_error(400, "bad_request");
}

async fn refusals_and_the_counter(backend: Backend) {
    let Some(env) = SessionEnv::start(backend, "").await else {
        return;
    };
    let mut device = Authenticator::new();
    let id = enrolled(&env, &mut device, "alice").await;

    // A ceremony is single use; an assertion cannot be replayed on a new one.
    let b = begin(&env, json!({})).await;
    let options = b.json();
    let ceremony = options["ceremony"].as_str().unwrap().to_string();
    let credential = device.authenticate(&origin(&env), &options).unwrap();
    assert_eq!(finish(&env, &ceremony, &credential, None).await.status, 200);
    finish(&env, &ceremony, &credential, None)
        .await
        .assert_json_error(410, "gone");
    let fresh_options = begin(&env, json!({})).await.json();
    let fresh = fresh_options["ceremony"].as_str().unwrap();
    finish(&env, fresh, &credential, None)
        .await
        .assert_json_error(400, "bad_request");
    // A finish that failed used its ceremony up: the right answer cannot follow.
    let answer = device.authenticate(&origin(&env), &fresh_options).unwrap();
    finish(&env, fresh, &answer, None)
        .await
        .assert_json_error(410, "gone");
    // Two finishes of one ceremony at once: one session, the other told it is gone.
    let raced = begin(&env, json!({})).await.json();
    let ceremony = raced["ceremony"].as_str().unwrap();
    let credential = device.authenticate(&origin(&env), &raced).unwrap();
    let (a, b) = tokio::join!(
        finish(&env, ceremony, &credential, None),
        finish(&env, ceremony, &credential, None)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 410], "{} / {}", a.body, b.body);
    finish(&env, "no-such-ceremony", &credential, None)
        .await
        .assert_json_error(410, "gone");

    // User verification is required.
    device.tweaks.no_user_verification = true;
    let r = sign_in(&env, &mut device, json!({}), None).await;
    assert_eq!(r.status, 400, "{}", r.body);
    device.tweaks.no_user_verification = false;

    // A copy of the passkey whose counter is behind: refused and audited.
    let cred = device.credentials()[0].id.clone();
    let mut clone = device.clone_device();
    assert!(sign_in(&env, &mut device, json!({}), None).await.status == 200);
    assert!(clone.set_sign_count(&cred, 1));
    let r = sign_in(&env, &mut clone, json!({}), None).await;
    r.assert_json_error(403, "forbidden");
    let (_, events) = env.api.get(&realm_path("/events?page_size=200")).await;
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "credential.counter_regression"),
        "{events}"
    );
    // The genuine device still signs in.
    assert_eq!(
        sign_in(&env, &mut device, json!({}), None).await.status,
        200
    );

    // A suspended identity cannot sign in.
    let (s, _) = env
        .api
        .patch(
            &realm_path(&format!("/identities/{id}")),
            json!({"identity": {"status": "suspended"}}),
        )
        .await;
    assert_eq!(s, 200);
    sign_in(&env, &mut device, json!({}), None)
        .await
        .assert_json_error(403, "forbidden");

    // Bad bodies are 400s, never 500s.
    let r = send(
        client()
            .post(env.gw().url("/.passgate/api/v1/authenticate/finish"))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    r.assert_json_error(400, "bad_request");
    let r = finish(&env, "x", &json!({"id": 5}), None).await;
    assert!(r.status == 400 || r.status == 410, "{}", r.body);
}

#[tokio::test]
async fn login_page_and_rate_limits() {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let r = send(client().get(env.gw().url("/.passgate/login?rd=%2Fapp"))).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("autocomplete=\"username webauthn\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("/.passgate/assets/login.js"));
    assert!(r
        .header("content-security-policy")
        .contains("default-src 'none'"));
    let js = send(client().get(env.gw().url("/.passgate/assets/login.js"))).await;
    assert_eq!(js.status, 200);
    assert!(js.body.contains("../sdk.js") && js.body.contains("conditional"));

    // Ceremony requests per client address are limited: 429 with Retry-After.
    let mut limited = None;
    for _ in 0..70 {
        let r = send(
            client()
                .request(
                    Method::POST,
                    env.gw().url("/.passgate/api/v1/authenticate/begin"),
                )
                .json(&json!({})),
        )
        .await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = limited.expect("rate limited within 70 requests");
    r.assert_json_error(429, "too_many_requests");
    let after: u64 = r.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&after));
}
