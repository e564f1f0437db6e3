//! The console's deliveries and revocations over real HTTP with a real SMTP receiver: an
//! `EMAIL` binding link arrives and binds a soft passkey; revoking that passkey in the
//! console ends the session it began; ending one session; a group invitation mails every
//! member with an address and lists the others; a console-made API token works until the
//! console revokes it.

use serde_json::Value;

use crate::support::admin::realm_path;
use crate::support::authenticator::Authenticator;
use crate::support::binding::{begin as bind_begin, finish as bind_finish, token_of};
use crate::support::client;
use crate::support::console::{env_with_admin_and, find, Browser};
use crate::support::http::send;
use crate::support::sessions::{token_in_set_cookie, SessionEnv};
use crate::support::smtp::{link_in, SmtpServer};

fn path_of(location: &str) -> String {
    location
        .trim_start_matches("/.passgate/console")
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

async fn api_list(env: &SessionEnv, path: &str, key: &str) -> Vec<Value> {
    let (s, v) = env.api.get(&realm_path(path)).await;
    assert_eq!(s, 200, "{v}");
    v[key].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn emailed_links_invitations_and_revocations() {
    let smtp = SmtpServer::start(0).await;
    let email = format!(
        "[email]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Acme <no-reply@acme.test>\"\ntimeout = \"2s\"\n",
        smtp.port
    );
    let (env, _alice, alice_token, _bob, _) = env_with_admin_and(&email).await;
    let mut admin = Browser::new(&env, Some(alice_token));
    admin.get("/").await;
    let csrf = admin.token().to_string();

    // erin gets an emailed link and binds a passkey with it.
    let r = admin
        .post(
            "/identities",
            &[
                ("csrf", &csrf),
                ("username", "erin"),
                ("email", "erin@example.com"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let erin = path_of(r.header("location"));
    let erin_id = erin.trim_start_matches("/identities/").to_string();
    let r = admin
        .post(
            &format!("{erin}/links"),
            &[("csrf", &csrf), ("method", "EMAIL")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").ends_with("?done=emailed"));
    let mail = smtp.wait_for(1, 10).await;
    assert!(mail.to[0].contains("erin@example.com"), "{:?}", mail.to);
    let mut device = Authenticator::new();
    let (s, options) = bind_begin(&env.api, &token_of(&link_in(&mail))).await;
    assert_eq!(s, 200, "{options}");
    let origin = format!("http://localhost:{}", env.api.port);
    let credential = device.register(&origin, &options).unwrap();
    let done = bind_finish(&env.api, options["ceremony"].as_str().unwrap(), &credential).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let erin_token = token_in_set_cookie(&done.set_cookie.expect("cookie"));
    assert_eq!(env.get(&erin_token).await.status, 200);

    // Revoking the passkey (after a confirmation page) ends the session it began.
    let creds = api_list(
        &env,
        &format!("/identities/{erin_id}/credentials"),
        "credentials",
    )
    .await;
    let cid = creds[0]["id"].as_str().unwrap();
    let page = admin.get(&erin).await;
    assert!(
        page.body.contains(&format!("{erin}/passkeys/{cid}/revoke")),
        "a revoke link"
    );
    let confirm = admin.get(&format!("{erin}/passkeys/{cid}/revoke")).await;
    assert_eq!(confirm.status, 200);
    let r = admin
        .post(&format!("{erin}/passkeys/{cid}/revoke"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let creds = api_list(
        &env,
        &format!("/identities/{erin_id}/credentials"),
        "credentials",
    )
    .await;
    assert_eq!(creds[0]["state"], "REVOKED");
    assert_eq!(
        env.get(&erin_token).await.status,
        401,
        "the passkey's session ended"
    );

    // One session ended from the console; the other stands.
    let one = env.start_session(&erin_id).await;
    let other = env.start_session(&erin_id).await;
    let sessions = api_list(&env, &format!("/identities/{erin_id}/sessions"), "sessions").await;
    assert_eq!(sessions.len(), 2);
    let first = sessions[0]["id"].as_str().unwrap();
    let r = admin
        .post(
            &format!("{erin}/sessions/{first}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (a, b) = (env.get(&one).await.status, env.get(&other).await.status);
    assert_eq!((a.min(b), a.max(b)), (200, 401), "exactly one ended");

    // A group invitation mails the member with an address and names the one without.
    let r = admin
        .post("/identities", &[("csrf", &csrf), ("username", "frank")])
        .await;
    assert_eq!(r.status, 303);
    let r = admin
        .post("/groups", &[("csrf", &csrf), ("name", "team")])
        .await;
    let team = path_of(r.header("location"));
    for who in ["erin", "frank"] {
        let r = admin
            .post(
                &format!("{team}/members"),
                &[("csrf", &csrf), ("username", who)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let r = admin
        .post(
            &format!("{team}/members"),
            &[("csrf", &csrf), ("username", "nobody")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = admin
        .post(&format!("{team}/invite"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("Binding links created and being emailed: 1."),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("<strong>frank</strong>"),
        "frank is listed: {}",
        r.body
    );
    let second = smtp.wait_for(2, 10).await;
    assert!(second.to[0].contains("erin@example.com"), "{:?}", second.to);

    // A console-made token works on the admin API until the console revokes it.
    let r = admin
        .post(
            "/tokens",
            &[
                ("csrf", &csrf),
                ("name", "script"),
                ("scope", "identities:read"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let at = r.body.find("value=\"pgt_").expect("the secret") + 7;
    let secret = &r.body[at..at + r.body[at..].find('"').unwrap()];
    let call = || {
        send(
            client()
                .get(env.api.url(&realm_path("/identities")))
                .bearer_auth(secret),
        )
    };
    assert_eq!(call().await.status, 200);
    let tid = secret.trim_start_matches("pgt_").split('_').next().unwrap();
    let r = admin
        .post(&format!("/tokens/{tid}/revoke"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(call().await.status, 401);
    assert_eq!(find(&env, "frank").await["total_size"], 1);
}
