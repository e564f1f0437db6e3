//! The fast path with real sessions: a valid cookie reaches the upstream with identity
//! headers; every kind of bad token is unauthenticated (302 or 401, never 500); expired
//! tokens are re-issued transparently; sign-out, suspension, deletion and admin revocation
//! end sessions at once, and on a second instance sharing PostgreSQL within 2 seconds; key
//! rotation keeps old tokens valid.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::json;

use passgate::session::keys::{KeyMaterial, KeyRing};
use passgate::session::token::sign;

use crate::support::admin::realm_path;
use crate::support::db::Backend;
use crate::support::http::{echoed, echoed_one, send};
use crate::support::sessions::{
    claims, now, second_gateway, token_in_set_cookie, whoami, SessionEnv, SHORT_TOKENS,
};
use crate::support::{client, free_port};

const HTML: &str = "text/html,application/xhtml+xml";
const JSON: &str = "application/json";

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    v["kid"].as_str().unwrap_or("").to_string()
}

async fn valid_cookie_reaches_the_upstream(backend: Backend) {
    let Some(env) = SessionEnv::start(backend, "").await else {
        return;
    };
    let (id, token) = env.sign_in("alice").await;
    let (s, g) = env
        .api
        .post(
            &realm_path("/groups"),
            json!({"group": {"display_name": "staff"}}),
        )
        .await;
    assert_eq!(s, 200, "{g}");
    let gid = g["id"].as_str().unwrap();
    let (s, v) = env
        .api
        .post(
            &realm_path(&format!("/groups/{gid}:addMembers")),
            json!({"identity_ids": [id]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // Groups are read when a token is issued: a fresh session carries them.
    let token2 = env.start_session(&id).await;

    let r = send(
        client()
            .get(env.gw().url("/app/page"))
            .header("cookie", format!("a=1; passgate_session={token2}; b=2"))
            .header("X-Passgate-User", "mallory")
            .header("X-Passgate-Groups", "admins"),
    )
    .await;
    let echo = r.echo();
    assert_eq!(echoed_one(&echo, "x-passgate-user"), "alice");
    assert_eq!(echoed_one(&echo, "x-passgate-email"), "alice@example.com");
    assert_eq!(echoed_one(&echo, "x-passgate-groups"), "staff");
    assert_eq!(echoed_one(&echo, "x-passgate-identity"), id);
    let cookies = echoed(&echo, "cookie").join("; ");
    assert!(!cookies.contains("passgate_session"), "{cookies}");
    assert!(
        cookies.contains("a=1") && cookies.contains("b=2"),
        "{cookies}"
    );

    // The first session (no group then) still works: the cache answers.
    let echo = env.get(&token).await.echo();
    assert_eq!(echoed_one(&echo, "x-passgate-user"), "alice");
    for _ in 0..3 {
        env.get(&token).await.echo();
    }
    // Public paths never carry identity headers, even spoofed.
    let r = send(
        client()
            .get(env.gw().url("/public/x"))
            .header("X-Passgate-User", "mallory"),
    )
    .await;
    assert!(echoed(&r.echo(), "x-passgate-user").is_empty());

    let (s, me) = whoami(env.gw(), &token).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["identity"]["username"], "alice");
    assert_eq!(me["identity"]["id"], id.as_str());
}

#[tokio::test]
async fn valid_cookie_reaches_the_upstream_sqlite() {
    valid_cookie_reaches_the_upstream(Backend::Sqlite).await;
}

#[tokio::test]
async fn valid_cookie_reaches_the_upstream_postgres() {
    valid_cookie_reaches_the_upstream(Backend::Postgres).await;
}

#[tokio::test]
async fn every_bad_token_is_unauthenticated_never_an_error() {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let (id, good) = env.sign_in("alice").await;
    let port = env.api.port;
    let ring = env.ring().await;
    let kid = kid_of(&good);
    let parts: Vec<&str> = good.split('.').collect();
    let b64 = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let jwks = send(client().get(env.gw().url("/.passgate/jwks.json")))
        .await
        .json();
    let x = jwks["keys"][0]["x"].as_str().unwrap().to_string();
    let public = URL_SAFE_NO_PAD.decode(&x).unwrap();

    let mut cases: Vec<(&str, String)> = Vec::new();
    cases.push((
        "alg none",
        format!("{}.{}.", b64(json!({"alg": "none", "kid": kid})), parts[1]),
    ));
    let hs_header = b64(json!({"alg": "HS256", "typ": "JWT", "kid": kid}));
    let signing_input = format!("{hs_header}.{}", parts[1]);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &public);
    let mac = ring::hmac::sign(&key, signing_input.as_bytes());
    cases.push((
        "HS256 keyed with the public key",
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.as_ref())),
    ));
    let key2 = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, x.as_bytes());
    let mac2 = ring::hmac::sign(&key2, signing_input.as_bytes());
    cases.push((
        "HS256 keyed with the JWK x",
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac2.as_ref())),
    ));
    let foreign = KeyRing::new(&[KeyMaterial::generate(1).unwrap()]);
    cases.push((
        "unknown kid",
        sign(&foreign, &claims(port, &id, "s")).unwrap(),
    ));
    let mut c = claims(port, &id, "s");
    c.iss = "http://evil.example".into();
    cases.push(("wrong issuer", sign(&ring, &c).unwrap()));
    let mut c = claims(port, &id, "no-such-session");
    c.exp = now() - 10;
    c.iat = now() - 400;
    c.nbf = c.iat;
    cases.push((
        "expired, no session to re-issue from",
        sign(&ring, &c).unwrap(),
    ));
    let mut c = claims(port, &id, "s");
    c.nbf = now() + 3600;
    c.iat = now() + 3600;
    c.exp = now() + 7200;
    cases.push(("not yet valid", sign(&ring, &c).unwrap()));
    let mut c = claims(port, &id, "s");
    c.realm = "other".into();
    cases.push(("other realm", sign(&ring, &c).unwrap()));
    let mut c = claims(port, &id, "s");
    c.username = "admin".into();
    cases.push((
        "tampered payload",
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap()),
            parts[2]
        ),
    ));
    cases.push(("truncated", good[..good.len() - 5].to_string()));
    cases.push(("two segments", format!("{}.{}", parts[0], parts[1])));
    cases.push(("oversized", format!("{good}{}", "A".repeat(5000))));
    cases.push(("garbage", "%%%not-a-token%%%".into()));
    cases.push(("empty", String::new()));

    for (what, token) in &cases {
        let r = env.get_with("/app/x", Some(token), HTML).await;
        assert_eq!(r.status, 302, "{what}: {}", r.body);
        assert!(
            r.header("location").starts_with("/.passgate/login?rd="),
            "{what}"
        );
        let r = env.get_with("/app/x", Some(token), JSON).await;
        r.assert_json_error(401, "unauthorized");
        let (s, _) = whoami(env.gw(), token).await;
        assert_eq!(s, 401, "{what}: /api/v1/session");
    }
    // The genuine token still works after all that.
    env.get(&good).await.echo();
    assert!(!env.gw().log().contains("panicked"));
}

#[tokio::test]
async fn expired_tokens_are_reissued_transparently() {
    let env = SessionEnv::start_default_on_clock(Backend::Sqlite, SHORT_TOKENS)
        .await
        .unwrap();
    let (_, token) = env.sign_in("alice").await;
    env.get(&token).await.echo();
    // Past the 2 s token lifetime by the gateway's clock (no sleeping).
    env.clock().advance_secs(3);
    let r = env.get(&token).await;
    let echo = r.echo();
    assert_eq!(echoed_one(&echo, "x-passgate-user"), "alice");
    let set = r.header("set-cookie").to_string();
    assert!(set.starts_with("passgate_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let fresh = token_in_set_cookie(&set);
    assert_ne!(fresh, token);
    // The new token works without another re-issue; a straggler with the old token gets
    // the same re-issued token (one store read per token lifetime).
    let r = env.get(&fresh).await;
    r.echo();
    assert!(r.header("set-cookie").is_empty());
    let r = env.get(&token).await;
    r.echo();
    assert!(r.header("set-cookie").contains(&fresh));
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let (_, token) = env.sign_in("alice").await;
    let (_, other) = env.sign_in("bob").await;
    env.get(&token).await.echo();
    let r = send(
        client()
            .delete(env.gw().url("/.passgate/api/v1/session"))
            .header("cookie", format!("passgate_session={token}")),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let clear = r.header("set-cookie");
    assert!(
        clear.contains("passgate_session=;") && clear.contains("Max-Age=0"),
        "{clear}"
    );
    env.get(&token).await.assert_json_error(401, "unauthorized");
    env.get(&other).await.echo();

    // /.passgate/logout: the same, then a page or a redirect to a fronted host only.
    let r = send(
        client()
            .get(env.gw().url("/.passgate/logout?rd=https://evil.com/"))
            .header("cookie", format!("passgate_session={other}")),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Signed out"));
    assert!(r.header("set-cookie").contains("Max-Age=0"));
    env.get(&other).await.assert_json_error(401, "unauthorized");
    let r = send(client().get(env.gw().url("/.passgate/logout?rd=/public/bye"))).await;
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), "/public/bye");
}

#[tokio::test]
async fn suspension_deletion_and_admin_revocation_end_sessions_at_once() {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let (alice, a) = env.sign_in("alice").await;
    let (bob, b) = env.sign_in("bob").await;
    let (carol, c1) = env.sign_in("carol").await;
    let c2 = env.start_session(&carol).await;
    for t in [&a, &b, &c1, &c2] {
        env.get(t).await.echo();
    }
    let (s, v) = env
        .api
        .patch(
            &realm_path(&format!("/identities/{alice}")),
            json!({"identity": {"status": "suspended"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    env.get(&a).await.assert_json_error(401, "unauthorized");

    let (s, _) = env
        .api
        .delete(&realm_path(&format!("/identities/{bob}")))
        .await;
    assert_eq!(s, 200);
    env.get(&b).await.assert_json_error(401, "unauthorized");

    let path = realm_path(&format!("/identities/{carol}/sessions"));
    let (s, list) = env.api.get(&path).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total_size"], 2);
    let first = list["sessions"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = env.api.delete(&format!("{path}/{first}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["revoked_session_ids"], json!([first]));
    env.get(&c1).await.assert_json_error(401, "unauthorized");
    env.get(&c2).await.echo();
    let (s, _) = env.api.delete(&path).await;
    assert_eq!(s, 200);
    env.get(&c2).await.assert_json_error(401, "unauthorized");
    let (_, list) = env.api.get(&path).await;
    assert_eq!(list["total_size"], 0);
    let (s, _) = env.api.call_as(None, Method::GET, &path, None).await;
    assert_eq!(s, 401);
    let (_, events) = env.api.get(&realm_path("/events?page_size=100")).await;
    let revokes = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "session.revoke")
        .count();
    assert_eq!(revokes, 2, "{events}");
}

#[tokio::test]
async fn revocation_reaches_a_second_instance_within_two_seconds() {
    let Some(env) = SessionEnv::start(Backend::Postgres, "").await else {
        return;
    };
    let second = second_gateway(&env).await;
    let (id, token) = env.sign_in("alice").await;
    let (_, other) = env.sign_in("bob").await;
    let on_second = |t: String| {
        let url = second.url("/app");
        async move {
            send(
                client()
                    .get(url)
                    .header("accept", JSON)
                    .header("cookie", format!("passgate_session={t}")),
            )
            .await
        }
    };
    on_second(token.clone()).await.echo();
    on_second(other.clone()).await.echo();

    // Sign-out on the first instance.
    let r = send(
        client()
            .delete(env.gw().url("/.passgate/api/v1/session"))
            .header("cookie", format!("passgate_session={token}")),
    )
    .await;
    assert_eq!(r.status, 204);
    let start = Instant::now();
    loop {
        if on_second(token.clone()).await.status == 401 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "still accepted after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Suspension through the first instance's admin API.
    let (s, _) = env
        .api
        .patch(
            &realm_path(&format!("/identities/{id}")),
            json!({"identity": {"status": "active"}}),
        )
        .await;
    assert_eq!(s, 200);
    let bob = env
        .api
        .get(&realm_path(
            "/identities?filter=traits.username%20eq%20%22bob%22",
        ))
        .await
        .1["identities"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = env
        .api
        .patch(
            &realm_path(&format!("/identities/{bob}")),
            json!({"identity": {"status": "suspended"}}),
        )
        .await;
    assert_eq!(s, 200);
    let start = Instant::now();
    loop {
        if on_second(other.clone()).await.status == 401 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "still accepted after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid() {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let (id, old) = env.sign_in("alice").await;
    let out = env.cli(&["keys", "rotate", "--activate-in", "0s"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_kid = String::from_utf8(out.stdout).unwrap().trim().to_string();
    // A new session service signs with the new key at once; the gateway learns the key
    // within a second (its sync) and accepts both.
    let fresh = env.start_session(&id).await;
    let listed = String::from_utf8(env.cli(&["keys", "list"]).stdout).unwrap();
    assert_eq!(kid_of(&fresh), new_kid, "{listed}");
    assert_ne!(kid_of(&old), new_kid);
    let start = Instant::now();
    while env.get(&fresh).await.status != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "new key not picked up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    env.get(&old).await.echo();
    let jwks = send(client().get(env.gw().url("/.passgate/jwks.json")))
        .await
        .json();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(kids.contains(&new_kid.as_str()) && kids.contains(&kid_of(&old).as_str()));
    let out = env.cli(&["keys", "list"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
    let _ = free_port();
}
