//! The admin console over real HTTP, who gets in and what is refused: only members of the
//! realm's admin group (others `403`, strangers to the sign-in page); every form needs the
//! CSRF token of the console's double-submit cookie and a same-site post; refusals write
//! nothing; text from the store is rendered inert on every page.

use serde_json::json;

use crate::support::admin::realm_path;
use crate::support::client;
use crate::support::console::{env_with_admin, events, find, Browser, XSS};
use crate::support::http::send;

#[tokio::test]
async fn only_admins_get_in_and_forged_or_cross_site_forms_write_nothing() {
    let (env, alice, alice_token, _bob, bob_token) = env_with_admin().await;

    // Not signed in: the sign-in page, then back here.
    let mut stranger = Browser::new(&env, None);
    let r = stranger.get("/identities?q=x").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        "/.passgate/login?rd=%2F.passgate%2Fconsole%2Fidentities%3Fq%3Dx"
    );

    // Not an admin: 403 on every page and every form, even with a matching token.
    let mut bob = Browser::new(&env, Some(bob_token));
    for path in [
        "/",
        "/identities",
        "/groups",
        "/tokens",
        "/audit",
        "/routes",
        "/realms",
    ] {
        let r = bob.get(path).await;
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        assert!(r.body.contains("passgate-admins"), "{}", r.body);
    }
    bob.csrf = Some("a".repeat(43));
    let r = bob
        .post(
            "/identities",
            &[("csrf", &"a".repeat(43)), ("username", "by-bob")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // The admin: every page, with who is signed in and a way out.
    let mut admin = Browser::new(&env, Some(alice_token));
    for path in [
        "/",
        "/identities",
        "/groups",
        "/tokens",
        "/audit",
        "/routes",
        "/realms",
    ] {
        let r = admin.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(
            r.body.contains("Signed in as <strong>alice</strong>"),
            "{path}"
        );
        assert!(r.body.contains("href=\"/.passgate/logout\""), "{path}");
        assert!(r
            .header("content-security-policy")
            .contains("default-src 'none'"));
    }
    let csrf = admin.token().to_string();

    // Forms without the token, with another token, without the cookie, or cross-site.
    let mut no_cookie = Browser::new(&env, admin.session.clone());
    no_cookie.csrf = None;
    let refusals = [
        admin.post("/identities", &[("username", "forged1")]).await,
        admin
            .post(
                "/identities",
                &[("csrf", &"b".repeat(43)), ("username", "forged2")],
            )
            .await,
        no_cookie
            .post("/identities", &[("csrf", &csrf), ("username", "forged3")])
            .await,
        admin
            .post_with(
                "/identities",
                &[("csrf", &csrf), ("username", "forged4")],
                &[("sec-fetch-site", "cross-site")],
            )
            .await,
        admin
            .post_with(
                "/identities",
                &[("csrf", &csrf), ("username", "forged5")],
                &[("origin", "https://evil.test")],
            )
            .await,
    ];
    for (i, r) in refusals.iter().enumerate() {
        assert_eq!(r.status, 403, "refusal {i}: {}", r.body);
    }
    for name in [
        "by-bob", "forged1", "forged2", "forged3", "forged4", "forged5",
    ] {
        assert_eq!(
            find(&env, name).await["total_size"],
            0,
            "{name} was created"
        );
    }

    // The real form creates, and the audit log names the admin.
    let r = admin
        .post(
            "/identities",
            &[
                ("csrf", &csrf),
                ("username", "carol"),
                ("email", "carol@example.com"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let carol = find(&env, "carol").await["identities"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        r.header("location"),
        format!("/.passgate/console/identities/{carol}?done=created")
    );
    let created = events(&env)
        .await
        .into_iter()
        .find(|e| e["action"] == "identity.create" && e["target_ids"][0] == carol.as_str())
        .expect("an identity.create event");
    assert_eq!(created["actor"], format!("console:identity:{alice}"));

    // Removed from the group: out at once (membership is checked in the store).
    let groups = env.api.get(&realm_path("/groups")).await.1;
    let gid = groups["groups"][0]["id"].as_str().unwrap();
    let (s, v) = env
        .api
        .post(
            &realm_path(&format!("/groups/{gid}:deleteMembers")),
            json!({"identity_ids": [alice]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(admin.get("/identities").await.status, 403);

    // Another host than the auth host: no console there.
    let r = send(
        client()
            .get(env.gw().url("/.passgate/console/"))
            .header("host", "app.test"),
    )
    .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn text_from_the_store_is_rendered_inert_everywhere() {
    let (env, _alice, alice_token, _bob, _) = env_with_admin().await;
    let mut admin = Browser::new(&env, Some(alice_token));
    admin.get("/").await;
    let csrf = admin.token().to_string();
    let email = "x\"><script>alert(3)</script>@example.com";
    let r = admin
        .post(
            "/identities",
            &[
                ("csrf", &csrf),
                ("username", XSS),
                ("display_name", XSS),
                ("email", email),
                ("given_name", XSS),
                ("family_name", XSS),
                ("external_id", XSS),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let detail = r
        .header("location")
        .trim_start_matches("/.passgate/console")
        .to_string();
    let path = detail.split('?').next().unwrap().to_string();
    let r = admin
        .post(
            "/groups",
            &[("csrf", &csrf), ("name", XSS), ("description", XSS)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let group = r
        .header("location")
        .trim_start_matches("/.passgate/console")
        .to_string();
    let r = admin
        .post(
            "/tokens",
            &[("csrf", &csrf), ("name", XSS), ("scope", "identities:read")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = admin
        .post(
            &format!("{path}/links"),
            &[("csrf", &csrf), ("method", "RETURN")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<svg"), "a QR code");

    let q: String = url::form_urlencoded::byte_serialize(XSS.as_bytes()).collect();
    for page in [
        path.clone(),
        format!("/identities?q={q}"),
        "/identities".into(),
        group.clone(),
        "/groups".into(),
        "/tokens".into(),
        "/audit".into(),
        format!("{path}/delete"),
    ] {
        let r = admin.get(&page).await;
        assert_eq!(r.status, 200, "{page}: {}", r.body);
        for raw in ["<script>alert", "<img src=x", "\"><script>alert(3)"] {
            if let Some(at) = r.body.find(raw) {
                let from = at.saturating_sub(200);
                panic!("{page} holds {raw} unescaped: {}", &r.body[from..at + 50]);
            }
        }
        assert!(
            r.body.contains("&lt;script&gt;alert"),
            "{page} shows the text escaped"
        );
    }
}
