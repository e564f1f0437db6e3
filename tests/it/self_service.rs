//! Self-service: `/.passgate/recover` mails a fresh binding link to an active identity and
//! answers the same for unknown addresses (rate limited); `/.passgate/passkeys` and its
//! API list, rename and remove one's own passkeys (never the last; removing one ends the
//! sessions it began) and hand out a link to add another.

use serde_json::{json, Value};

use crate::support::admin::realm_path;
use crate::support::authenticator::Authenticator;
use crate::support::binding::{begin as bind_begin, finish as bind_finish, return_link, token_of};
use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::{send, Reply};
use crate::support::sessions::{aged_token, token_in_set_cookie, SessionEnv};
use crate::support::smtp::{link_in, SmtpServer};

fn origin(env: &SessionEnv) -> String {
    format!("http://localhost:{}", env.api.port)
}

/// Binds a passkey on `device` with `link`; returns the session token the binding set.
async fn bind(env: &SessionEnv, device: &mut Authenticator, link: &str) -> String {
    let (s, options) = bind_begin(&env.api, &token_of(link)).await;
    assert_eq!(s, 200, "{options}");
    let credential = device.register(&origin(env), &options).unwrap();
    let done = bind_finish(&env.api, options["ceremony"].as_str().unwrap(), &credential).await;
    assert_eq!(done.status, 200, "{}", done.body);
    token_in_set_cookie(&done.set_cookie.expect("cookie"))
}

async fn recover_form(env: &SessionEnv, email: &str) -> Reply {
    send(
        client()
            .post(env.gw().url("/.passgate/recover"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("email={}", email.replace('@', "%40"))),
    )
    .await
}

#[tokio::test]
async fn recovery_mails_a_link_and_says_the_same_either_way() {
    let smtp = SmtpServer::start(0).await;
    let email = format!(
        "[email]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Acme <no-reply@acme.test>\"\ntimeout = \"2s\"\n",
        smtp.port
    );
    let env = SessionEnv::start(Backend::Sqlite, &email).await.unwrap();
    let (id, _) = env.sign_in("nina").await; // nina@example.com
    let page = send(client().get(env.gw().url("/.passgate/recover"))).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("name=\"email\""));

    let known = recover_form(&env, "Nina@Example.com").await;
    let unknown = recover_form(&env, "nobody@example.com").await;
    assert_eq!(known.status, 200);
    assert_eq!(known.body, unknown.body, "the same answer either way");
    let mail = smtp.wait_for(1, 10).await;
    assert!(mail.to[0].contains("nina@example.com"), "{:?}", mail.to);
    // Both requests are handled in the background; once both say so, no mail is coming.
    env.gw().wait_for_lines(HANDLED, 2, 10).await;
    assert_eq!(
        smtp.mails.lock().unwrap().len(),
        1,
        "nothing for the unknown address"
    );

    // The link binds a new passkey that signs in.
    let mut device = Authenticator::new();
    let token = bind(&env, &mut device, &link_in(&mail)).await;
    env.get(&token).await.echo();
    let (_, creds) = env
        .api
        .get(&realm_path(&format!("/identities/{id}/credentials")))
        .await;
    assert_eq!(creds["total_size"], 1, "{creds}");

    // A suspended identity gets nothing (and the same answer).
    let (s, _) = env
        .api
        .patch(
            &realm_path(&format!("/identities/{id}")),
            json!({"identity": {"status": "suspended"}}),
        )
        .await;
    assert_eq!(s, 200);
    let r = send(
        client()
            .post(env.gw().url("/.passgate/api/v1/recover"))
            .json(&json!({"email": "nina@example.com"})),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let r = send(
        client()
            .post(env.gw().url("/.passgate/api/v1/recover"))
            .json(&json!({"email": "not-an-email"})),
    )
    .await;
    r.assert_json_error(400, "bad_request");
    // Not JSON, or JSON under another content type: the standard error shape.
    let r = send(
        client()
            .post(env.gw().url("/.passgate/api/v1/recover"))
            .header("content-type", "application/json")
            .body("{\"email\": "),
    )
    .await;
    r.assert_json_error(400, "bad_request");
    let r = send(
        client()
            .post(env.gw().url("/.passgate/api/v1/recover"))
            .header("content-type", "text/plain")
            .body("{\"email\": \"nina@example.com\"}"),
    )
    .await;
    r.assert_json_error(400, "bad_request");
    // Per address: 3 an hour (this is the third for nina's address, the fourth is refused).
    assert_eq!(recover_form(&env, "nina@example.com").await.status, 200);
    let limited = recover_form(&env, "nina@example.com").await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(!limited.header("retry-after").is_empty());
    // Handled: the two for the suspended identity (the JSON and the third form); the
    // refused fourth never started.
    env.gw().wait_for_lines(HANDLED, 4, 10).await;
    assert_eq!(smtp.mails.lock().unwrap().len(), 1);
    let handled = env
        .gw()
        .log()
        .lines()
        .filter(|l| l.contains(HANDLED))
        .count();
    assert_eq!(handled, 4, "{}", env.gw().log());
}

/// The log line of a recovery request handled in the background (mail sent, if any).
const HANDLED: &str = "recovery request handled";

async fn api(
    env: &SessionEnv,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = client()
        .request(method, env.gw().url(path))
        .header("cookie", format!("passgate_session={token}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    send(req).await
}

#[tokio::test]
async fn own_passkeys_list_rename_remove_and_add() {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let id = env.api.create_identity("omar").await;
    let mut phone = Authenticator::new();
    let (_, link) = return_link(&env.api, &id).await;
    let first = bind(&env, &mut phone, &link).await;

    // Not signed in: the page sends to sign-in, the API says 401.
    let r = send(client().get(env.gw().url("/.passgate/passkeys"))).await;
    assert_eq!(r.status, 302);
    assert!(r.header("location").starts_with("/.passgate/login?rd="));
    let r = send(client().get(env.gw().url("/.passgate/api/v1/passkeys"))).await;
    r.assert_json_error(401, "unauthorized");

    let r = api(
        &env,
        &first,
        reqwest::Method::GET,
        "/.passgate/passkeys",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("omar"));
    let list = api(
        &env,
        &first,
        reqwest::Method::GET,
        "/.passgate/api/v1/passkeys",
        None,
    )
    .await;
    let list = list.json();
    assert_eq!(list["passkeys"].as_array().unwrap().len(), 1, "{list}");
    let pid = list["passkeys"][0]["id"].as_str().unwrap().to_string();

    // The only passkey cannot be removed.
    let r = api(
        &env,
        &first,
        reqwest::Method::DELETE,
        &format!("/.passgate/api/v1/passkeys/{pid}"),
        None,
    )
    .await;
    r.assert_json_error(409, "conflict");

    let r = api(
        &env,
        &first,
        reqwest::Method::PATCH,
        &format!("/.passgate/api/v1/passkeys/{pid}"),
        Some(json!({"name": "Phone"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["passkey"]["name"], "Phone");
    let r = api(
        &env,
        &first,
        reqwest::Method::PATCH,
        &format!("/.passgate/api/v1/passkeys/{pid}"),
        Some(json!({"name": "  "})),
    )
    .await;
    r.assert_json_error(400, "bad_request");

    // Add another on a second device through a link for oneself.
    let r = api(
        &env,
        &first,
        reqwest::Method::POST,
        "/.passgate/api/v1/passkeys/link",
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let link = r.json()["link"].as_str().unwrap().to_string();
    let mut laptop = Authenticator::new();
    let second = bind(&env, &mut laptop, &link).await;
    let list = api(
        &env,
        &second,
        reqwest::Method::GET,
        "/.passgate/api/v1/passkeys",
        None,
    )
    .await
    .json();
    assert_eq!(list["passkeys"].as_array().unwrap().len(), 2);

    // Someone else's passkey is not found; removing one's own ends its sessions.
    let other = env.api.create_identity("zoe").await;
    let (_, zlink) = return_link(&env.api, &other).await;
    let zoe = bind(&env, &mut Authenticator::new(), &zlink).await;
    let r = api(
        &env,
        &zoe,
        reqwest::Method::DELETE,
        &format!("/.passgate/api/v1/passkeys/{pid}"),
        None,
    )
    .await;
    r.assert_json_error(404, "not_found");
    let r = api(
        &env,
        &second,
        reqwest::Method::DELETE,
        &format!("/.passgate/api/v1/passkeys/{pid}"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    env.get(&first).await.assert_json_error(401, "unauthorized");
    env.get(&second).await.echo();
    let (_, events) = env.api.get(&realm_path("/events?page_size=200")).await;
    let actions: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"credential.rename") && actions.contains(&"credential.revoke"),
        "{actions:?}"
    );
    // A cross-site form cannot rename (JSON only).
    let r = send(
        client()
            .patch(env.gw().url(&format!("/.passgate/api/v1/passkeys/{pid}")))
            .header("cookie", format!("passgate_session={second}"))
            .header("content-type", "text/plain")
            .body("{\"name\":\"x\"}"),
    )
    .await;
    r.assert_json_error(400, "bad_request");
}

#[tokio::test]
async fn changing_passkeys_needs_a_recent_sign_in() {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let id = env.api.create_identity("petra").await;
    let (_, link) = return_link(&env.api, &id).await;
    let fresh = bind(&env, &mut Authenticator::new(), &link).await;
    let r = api(
        &env,
        &fresh,
        reqwest::Method::POST,
        "/.passgate/api/v1/passkeys/link",
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let second = bind(
        &env,
        &mut Authenticator::new(),
        r.json()["link"].as_str().unwrap(),
    )
    .await;
    let list = api(
        &env,
        &second,
        reqwest::Method::GET,
        "/.passgate/api/v1/passkeys",
        None,
    )
    .await
    .json();
    let pid = list["passkeys"][0]["id"].as_str().unwrap().to_string();

    // Signed in an hour ago (a stolen cookie, say): reading and renaming work; adding a
    // passkey or removing one needs a new sign-in, and nothing changes.
    let old = aged_token(&env, &second, 3600).await;
    let r = api(
        &env,
        &old,
        reqwest::Method::GET,
        "/.passgate/api/v1/passkeys",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api(
        &env,
        &old,
        reqwest::Method::PATCH,
        &format!("/.passgate/api/v1/passkeys/{pid}"),
        Some(json!({"name": "Old laptop"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api(
        &env,
        &old,
        reqwest::Method::POST,
        "/.passgate/api/v1/passkeys/link",
        Some(json!({})),
    )
    .await;
    r.assert_json_error(401, "reauthentication_required");
    let r = api(
        &env,
        &old,
        reqwest::Method::DELETE,
        &format!("/.passgate/api/v1/passkeys/{pid}"),
        None,
    )
    .await;
    r.assert_json_error(401, "reauthentication_required");
    let after = api(
        &env,
        &second,
        reqwest::Method::GET,
        "/.passgate/api/v1/passkeys",
        None,
    )
    .await
    .json();
    assert_eq!(after["passkeys"].as_array().unwrap().len(), 2, "{after}");
    let (_, jobs) = env
        .api
        .get(&realm_path(&format!(
            "/identities/{id}/credential-binding-jobs"
        )))
        .await;
    assert_eq!(jobs["total_size"], 2, "no new link was made: {jobs}");

    // Within ten minutes of the sign-in it is allowed.
    let recent = aged_token(&env, &second, 300).await;
    let r = api(
        &env,
        &recent,
        reqwest::Method::DELETE,
        &format!("/.passgate/api/v1/passkeys/{pid}"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

on_both_backends!(removing_both_passkeys_at_once_leaves_one);

/// Two removals at once, one per passkey of an identity that has two: one wins, the other
/// is refused as the last passkey; never both (checked and written in one transaction).
async fn removing_both_passkeys_at_once_leaves_one(backend: Backend) {
    let Some(env) = SessionEnv::start(backend, "").await else {
        return;
    };
    for round in 0..3 {
        let id = env.api.create_identity(&format!("twins{round}")).await;
        let (_, link) = return_link(&env.api, &id).await;
        let token = bind(&env, &mut Authenticator::new(), &link).await;
        let r = api(
            &env,
            &token,
            reqwest::Method::POST,
            "/.passgate/api/v1/passkeys/link",
            Some(json!({})),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let link = r.json()["link"].as_str().unwrap().to_string();
        let token = bind(&env, &mut Authenticator::new(), &link).await;
        let list = api(
            &env,
            &token,
            reqwest::Method::GET,
            "/.passgate/api/v1/passkeys",
            None,
        )
        .await
        .json();
        let ids: Vec<String> = list["passkeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), 2, "{list}");
        // A session begun by neither passkey (removing a passkey ends the sessions it
        // began, which would answer the other request with 401 instead).
        let token = env.start_session(&id).await;
        let paths: Vec<String> = ids
            .iter()
            .map(|pid| format!("/.passgate/api/v1/passkeys/{pid}"))
            .collect();
        let (a, b) = tokio::join!(
            api(&env, &token, reqwest::Method::DELETE, &paths[0], None),
            api(&env, &token, reqwest::Method::DELETE, &paths[1], None)
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "{} / {}\n{}",
            a.body,
            b.body,
            env.gw().log()
        );
        let (_, creds) = env
            .api
            .get(&realm_path(&format!("/identities/{id}/credentials")))
            .await;
        let active = creds["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["state"] == "ACTIVE")
            .count();
        assert_eq!(active, 1, "round {round}: {creds}");
    }
}
