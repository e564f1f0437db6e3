//! Identity headers upstream: every preset (`passgate`, `oauth2-proxy`, `authelia`), extra
//! claims under custom names, spoofed copies stripped (mixed case, duplicates, raw bytes
//! on the wire) on protected and public routes, and the session cookie removed unless the
//! route keeps it.

use crate::policy_rules::token;
use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::{echoed, echoed_one, send};
use crate::support::raw::exchange;
use crate::support::sessions::SessionEnv;

const ROUTES: &str = r#"
[[routes]]
host = "*"
path_prefix = "/o2p"
upstream = "{u}"
headers = { preset = "oauth2-proxy" }

[[routes]]
host = "*"
path_prefix = "/authelia"
upstream = "{u}"
headers = { preset = "authelia" }

[[routes]]
host = "*"
path_prefix = "/custom"
upstream = "{u}"
forward_session_cookie = true
headers = { preset = [], extra = { "X-User-Login" = "username", "X-Realm" = "realm", "X-Id" = "sub" } }

[[routes]]
host = "*"
path_prefix = "/pub"
upstream = "{u}"
policy = "public"
headers = { preset = ["passgate", "authelia"] }

[[routes]]
host = "*"
upstream = "{u}"
headers = { extra = { "X-Mail" = "traits.primary_email_address" } }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presets_extras_stripping_and_the_session_cookie() {
    let Some(env) = SessionEnv::start_routes(Backend::Sqlite, "", ROUTES).await else {
        return;
    };
    let ring = env.ring().await;
    let zoe = token(&env, &ring, "zoe", "zoe@example.com", &["staff", "ops"], 0);
    let get = |path: &str| {
        client()
            .get(env.gw().url(path))
            .header("cookie", format!("a=1; passgate_session={zoe}"))
    };

    // The default preset, plus an extra claim under a custom name.
    let echo = send(get("/x").header("X-Mail", "spoof@evil.test"))
        .await
        .echo();
    assert_eq!(echoed_one(&echo, "x-passgate-user"), "zoe");
    assert_eq!(echoed_one(&echo, "x-passgate-email"), "zoe@example.com");
    assert_eq!(echoed_one(&echo, "x-passgate-groups"), "staff,ops");
    assert_eq!(echoed_one(&echo, "x-passgate-identity"), "id_zoe");
    assert_eq!(echoed_one(&echo, "x-mail"), "zoe@example.com");
    assert_eq!(echoed(&echo, "cookie"), vec!["a=1".to_string()]);

    // oauth2-proxy
    let echo = send(get("/o2p").header("X-Forwarded-User", "mallory"))
        .await
        .echo();
    assert_eq!(echoed_one(&echo, "x-forwarded-user"), "zoe");
    assert_eq!(echoed_one(&echo, "x-forwarded-email"), "zoe@example.com");
    assert_eq!(echoed_one(&echo, "x-forwarded-groups"), "staff,ops");
    assert_eq!(echoed_one(&echo, "x-forwarded-preferred-username"), "zoe");
    assert!(echo["headers"]["x-passgate-user"].is_null(), "{echo}");

    // authelia
    let echo = send(get("/authelia")).await.echo();
    assert_eq!(echoed_one(&echo, "remote-user"), "zoe");
    assert_eq!(echoed_one(&echo, "remote-email"), "zoe@example.com");
    assert_eq!(echoed_one(&echo, "remote-groups"), "staff,ops");
    assert_eq!(echoed_one(&echo, "remote-name"), "zoe");

    // Custom names only; this route keeps the session cookie.
    let echo = send(get("/custom").header("X-Passgate-User", "mallory"))
        .await
        .echo();
    assert_eq!(echoed_one(&echo, "x-user-login"), "zoe");
    assert_eq!(echoed_one(&echo, "x-realm"), "default");
    assert_eq!(echoed_one(&echo, "x-id"), "id_zoe");
    assert!(echo["headers"]["x-passgate-user"].is_null(), "{echo}");
    let cookies = echoed(&echo, "cookie").join("; ");
    assert!(cookies.contains("passgate_session="), "{cookies}");

    // Spoofed copies in any letter case, repeated, are all removed: protected route…
    let port = env.api.port;
    let echo = exchange(
        port,
        &format!(
            "GET /authelia HTTP/1.1\r\nHost: localhost\r\nCookie: passgate_session={zoe}\r\n\
remote-user: m1\r\nREMOTE-USER: m2\r\nRemote-Groups: admins\r\nX-PassGate-Groups: admins\r\n\
x-passgate-jwt-assertion: forged"
        ),
    )
    .await
    .echo();
    assert_eq!(echoed(&echo, "remote-user"), vec!["zoe".to_string()]);
    assert_eq!(
        echoed(&echo, "remote-groups"),
        vec!["staff,ops".to_string()]
    );
    assert!(echo["headers"]["x-passgate-groups"].is_null(), "{echo}");
    assert!(
        echo["headers"]["x-passgate-jwt-assertion"].is_null(),
        "{echo}"
    );

    // …and public route (no identity at all reaches the upstream there).
    let echo = exchange(
        port,
        "GET /pub HTTP/1.1\r\nHost: localhost\r\nRemote-User: m1\r\nremote-user: m2\r\n\
REMOTE-EMAIL: x@evil.test\r\nX-Passgate-User: m3\r\nx-PASSGATE-identity: i",
    )
    .await
    .echo();
    for h in [
        "remote-user",
        "remote-email",
        "x-passgate-user",
        "x-passgate-identity",
    ] {
        assert!(echo["headers"][h].is_null(), "{h} reached upstream: {echo}");
    }

    // Underscore spellings (one variable to Rack, uWSGI and CGI-style servers) are removed
    // as well, on both kinds of route; an unrelated underscore header passes.
    for path in ["/pub", "/authelia"] {
        let echo = exchange(
            port,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: passgate_session={zoe}\r\n\
X_Passgate_User: m1\r\nremote_user: m2\r\nRemote_Groups: admins\r\nX_Custom_Thing: kept"
            ),
        )
        .await
        .echo();
        let names: Vec<&String> = echo["headers"].as_object().unwrap().keys().collect();
        for h in ["x_passgate_user", "remote_user", "remote_groups"] {
            assert!(
                echo["headers"][h].is_null(),
                "{path}: {h} reached upstream: {names:?}"
            );
        }
        assert_eq!(echoed_one(&echo, "x_custom_thing"), "kept", "{path}");
    }

    // An upstream cannot set passgate's session cookie (it could plant a session); its
    // other cookies pass.
    for path in ["/pub", "/x"] {
        let r = send(get(&format!(
            "{path}?set_cookie=app%3D1%3B%20Path%3D%2F&set_cookie=passgate_session%3Dplanted%3B%20Path%3D%2F"
        )))
        .await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let set: Vec<&str> = r
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(set, ["app=1; Path=/"], "{path}");
    }

    // A cookie with non-ASCII bytes next to the session cookie: the session is still read
    // on a protected route, and the token never reaches the upstream on either route.
    for path in ["/pub", "/authelia"] {
        // "é" is written as its UTF-8 bytes, which Pingora keeps as an opaque header value.
        let r = exchange(
            port,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: zz=é; passgate_session={zoe}; b=2"
            ),
        )
        .await;
        let text = format!("{r:?}");
        assert_eq!(r.status, 200, "{path}: {text}");
        assert!(
            !text.contains(&zoe),
            "{path}: the token reached the upstream: {text}"
        );
        if path == "/authelia" {
            assert!(r.body.contains("\"zoe\""), "signed in as zoe: {text}");
        }
    }
}
