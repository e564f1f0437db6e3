//! The admin console's changes over real HTTP: edits at the version shown (stale forms
//! refused), suspend and reactivate, delete after confirmation (then `404`), each audited
//! with the admin as actor; `passgate bootstrap`; the realm's branding on every page.

use serde_json::json;

use crate::support::admin::realm_path;
use crate::support::authenticator::Authenticator;
use crate::support::binding::{begin as bind_begin, finish as bind_finish, token_of};
use crate::support::client;
use crate::support::console::{env_with_admin, events, find, Browser};
use crate::support::db::Backend;
use crate::support::http::send;
use crate::support::sessions::{token_in_set_cookie, SessionEnv};

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

    // Not oneself: that would lock the admin out.
    let me = format!("/identities/{alice}");
    let r = admin
        .post(
            &format!("{me}/status"),
            &[("csrf", &csrf), ("version", "1"), ("status", "suspended")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = admin
        .post(&format!("{me}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        find(&env, "alice").await["identities"][0]["status"],
        "active"
    );

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
