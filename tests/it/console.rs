//! The admin console over real HTTP: only members of the realm's admin group get in (others
//! `403`, strangers to the sign-in page); every form needs the CSRF token of the console's
//! double-submit cookie and a same-site post; refusals write nothing; text from the store
//! is rendered inert; a deleted identity's pages are `404`; every change is audited with
//! the admin as actor. `passgate bootstrap` makes the first admin and its link.

use serde_json::{json, Value};

use crate::support::admin::realm_path;
use crate::support::authenticator::Authenticator;
use crate::support::binding::{begin as bind_begin, finish as bind_finish, token_of};
use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::{send, Reply};
use crate::support::sessions::{token_in_set_cookie, SessionEnv};

const XSS: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";

/// A browser of one user: its session token and the console's CSRF cookie once seen.
struct Browser<'a> {
    env: &'a SessionEnv,
    session: Option<String>,
    csrf: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(env: &'a SessionEnv, session: Option<String>) -> Self {
        Browser {
            env,
            session,
            csrf: None,
        }
    }

    fn cookies(&self) -> String {
        let mut c = Vec::new();
        if let Some(s) = &self.session {
            c.push(format!("passgate_session={s}"));
        }
        if let Some(t) = &self.csrf {
            c.push(format!("passgate_console_csrf={t}"));
        }
        c.join("; ")
    }

    async fn get(&mut self, path: &str) -> Reply {
        let reply = send(
            client()
                .get(self.env.gw().url(&format!("/.passgate/console{path}")))
                .header("cookie", self.cookies()),
        )
        .await;
        for v in reply.headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            if let Some(rest) = v.strip_prefix("passgate_console_csrf=") {
                self.csrf = Some(rest.split(';').next().unwrap().to_string());
            }
        }
        reply
    }

    /// Posts `fields` (URL-encoded) as the console's forms do, from the same origin.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_with(path, fields, &[("sec-fetch-site", "same-origin")])
            .await
    }

    async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut req = client()
            .post(self.env.gw().url(&format!("/.passgate/console{path}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", self.cookies())
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        send(req).await
    }

    fn token(&self) -> &str {
        self.csrf.as_deref().expect("a CSRF cookie")
    }
}

/// An environment with `alice` in `passgate-admins` and `bob` in no group.
async fn env_with_admin() -> (SessionEnv, String, String, String, String) {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let (alice, alice_token) = env.sign_in("alice").await;
    let (bob, bob_token) = env.sign_in("bob").await;
    let (s, v) = env
        .api
        .post(
            &realm_path("/groups"),
            json!({"group": {"display_name": "passgate-admins"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let gid = v["id"].as_str().unwrap();
    let (s, v) = env
        .api
        .post(
            &realm_path(&format!("/groups/{gid}:addMembers")),
            json!({"identity_ids": [alice]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    (env, alice, alice_token, bob, bob_token)
}

async fn find(env: &SessionEnv, username: &str) -> Value {
    let filter = format!("traits.username eq \"{username}\"");
    let q: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    let (s, v) = env
        .api
        .get(&realm_path(&format!("/identities?filter={q}")))
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn events(env: &SessionEnv) -> Vec<Value> {
    let (s, v) = env.api.get(&realm_path("/events?page_size=200")).await;
    assert_eq!(s, 200, "{v}");
    v["events"].as_array().cloned().unwrap_or_default()
}

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

#[tokio::test]
async fn edits_deletes_and_stale_forms() {
    let (env, alice, alice_token, _bob, _) = env_with_admin().await;
    let mut admin = Browser::new(&env, Some(alice_token));
    admin.get("/").await;
    let csrf = admin.token().to_string();
    let r = admin
        .post("/identities", &[("csrf", &csrf), ("username", "dave")])
        .await;
    let path = r
        .header("location")
        .trim_start_matches("/.passgate/console")
        .split('?')
        .next()
        .unwrap()
        .to_string();

    // Edit at version 1; the same form again (stale) is refused and changes nothing.
    let edit = [
        ("csrf", csrf.as_str()),
        ("version", "1"),
        ("username", "dave"),
        ("display_name", "Dave Bowman"),
        ("email", "dave@example.com"),
    ];
    assert_eq!(admin.post(&format!("{path}/edit"), &edit).await.status, 303);
    let mut stale = edit;
    stale[3] = ("display_name", "HAL");
    let r = admin.post(&format!("{path}/edit"), &stale).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let dave = &find(&env, "dave").await["identities"][0];
    assert_eq!(dave["display_name"], "Dave Bowman");
    assert_eq!(dave["traits"]["primary_email_address"], "dave@example.com");

    // Invalid input: named, nothing written.
    let r = admin
        .post(
            &format!("{path}/edit"),
            &[("csrf", &csrf), ("version", "2"), ("username", " ")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("traits.username"), "{}", r.body);
    let dave = &find(&env, "dave").await["identities"][0];
    assert_eq!(dave["traits"]["username"], "dave");
    assert_eq!(dave["display_name"], "Dave Bowman");

    // Suspend and reactivate.
    let r = admin
        .post(
            &format!("{path}/status"),
            &[("csrf", &csrf), ("version", "2"), ("status", "suspended")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        find(&env, "dave").await["identities"][0]["status"],
        "suspended"
    );
    let r = admin
        .post(
            &format!("{path}/status"),
            &[("csrf", &csrf), ("version", "3"), ("status", "active")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // Delete: a confirmation first, then the post; afterwards its pages are 404.
    let confirm = admin.get(&format!("{path}/delete")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("cannot be undone"));
    assert_eq!(
        find(&env, "dave").await["total_size"],
        1,
        "asking deletes nothing"
    );
    let r = admin
        .post(&format!("{path}/delete?version=4"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(find(&env, "dave").await["total_size"], 0);
    for page in [path.clone(), format!("{path}/delete")] {
        assert_eq!(admin.get(&page).await.status, 404, "{page}");
    }
    let r = admin.post(&format!("{path}/edit"), &edit).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(find(&env, "dave").await["total_size"], 0, "not recreated");
    let r = admin
        .post(
            &format!("{path}/links"),
            &[("csrf", &csrf), ("method", "RETURN")],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Every change above is the admin's in the audit log.
    let mine: Vec<String> = events(&env)
        .await
        .into_iter()
        .filter(|e| e["actor"] == format!("console:identity:{alice}"))
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for action in ["identity.create", "identity.update", "identity.delete"] {
        assert!(mine.iter().any(|a| a == action), "{action} in {mine:?}");
    }
}

#[tokio::test]
async fn bootstrap_makes_an_admin_whose_link_opens_the_console() {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let out = env.cli(&[
        "bootstrap",
        "--username",
        "root",
        "--email",
        "root@example.com",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stderr.contains("created the group \"passgate-admins\""),
        "{stderr}"
    );
    assert!(link.contains("/.passgate/bind?token="), "{link}");

    // Again: the same identity, no second group, a new link; the first still works.
    let again = env.cli(&["bootstrap", "--username", "root"]);
    assert!(again.status.success());
    let again_err = String::from_utf8_lossy(&again.stderr).to_string();
    assert!(!again_err.contains("created"), "{again_err}");
    assert_eq!(find(&env, "root").await["total_size"], 1);
    let groups = env.api.get(&realm_path("/groups")).await.1;
    assert_eq!(groups["total_size"], 1, "{groups}");

    let mut device = Authenticator::new();
    let (s, options) = bind_begin(&env.api, &token_of(&link)).await;
    assert_eq!(s, 200, "{options}");
    let origin = format!("http://localhost:{}", env.api.port);
    let credential = device.register(&origin, &options).unwrap();
    let done = bind_finish(&env.api, options["ceremony"].as_str().unwrap(), &credential).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.to_string().contains("/.passgate/console/"),
        "back to the console: {}",
        done.body
    );
    let token = token_in_set_cookie(&done.set_cookie.expect("cookie"));
    let mut root = Browser::new(&env, Some(token));
    let r = root.get("/identities").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("root"));

    // A suspended admin is refused, and nothing is created.
    let id = find(&env, "root").await["identities"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = env
        .api
        .patch(
            &realm_path(&format!("/identities/{id}")),
            json!({"identity": {"status": "suspended"}}),
        )
        .await;
    assert_eq!(s, 200);
    let refused = env.cli(&["bootstrap", "--username", "root"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("suspended"));
}

#[tokio::test]
async fn hosted_pages_and_the_console_wear_the_realms_branding() {
    use crate::support::gateway::{base_config, Gateway};
    let dir = tempfile::tempdir().unwrap();
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
    std::fs::write(dir.path().join("logo.svg"), svg).unwrap();
    let port = crate::support::free_port();
    let config = format!(
        "{}\n[[realms]]\nid = \"default\"\ndisplay_name = \"Acme <Widgets>\"\nlogo = \"logo.svg\"\naccent_color = \"#AbC\"\n",
        base_config(port)
    );
    let gw = Gateway::start_in(dir, port, &config).await;
    for page in ["/.passgate/login", "/.passgate/recover"] {
        let r = send(client().get(gw.url(page))).await;
        assert_eq!(r.status, 200, "{page}");
        assert!(
            r.body.contains("Acme &lt;Widgets&gt;"),
            "{page}: {}",
            r.body
        );
        assert!(
            r.body.contains("/.passgate/assets/brand-default.css"),
            "{page}"
        );
        assert!(r.body.contains("/.passgate/assets/logo-default"), "{page}");
    }
    let css = send(client().get(gw.url("/.passgate/assets/brand-default.css"))).await;
    assert_eq!(css.status, 200);
    assert_eq!(css.body.trim(), ":root { --accent: #aabbcc; }");
    assert!(css.header("content-type").starts_with("text/css"));
    let logo = send(client().get(gw.url("/.passgate/assets/logo-default"))).await;
    assert_eq!(logo.status, 200);
    assert_eq!(logo.header("content-type"), "image/svg+xml");
    assert_eq!(logo.body, svg);
    assert!(logo.header("content-security-policy").contains("sandbox"));
    let none = send(client().get(gw.url("/.passgate/assets/logo-elsewhere"))).await;
    assert_eq!(none.status, 404);
}
