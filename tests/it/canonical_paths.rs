//! Routes, `public_paths` and method rules match the canonical path (unreserved `%XX`
//! decoded, `;params` dropped, `//` merged), so the spellings upstreams normalise
//! (`/%61dmin`, `/admin;x`, `//admin`, `/export;.css`) cannot reach a stricter route's
//! pages under a laxer rule; the upstream still gets the path exactly as sent. Sent on raw
//! sockets: HTTP client libraries rewrite such paths.

use crate::policy_rules::{check_routes, has, token};
use crate::support::db::Backend;
use crate::support::raw::{exchange, RawReply};
use crate::support::sessions::SessionEnv;

const ROUTES: &str = r#"
[[routes]]
host = "*"
path_prefix = "/admin"
upstream = "{u}"
allow_users = ["bob"]

[[routes]]
host = "*"
upstream = "{u}"
public_paths = ["/**.css", "/static"]
"#;

async fn get(env: &SessionEnv, path: &str, token: Option<&str>) -> RawReply {
    let cookie = token.map_or(String::new(), |t| {
        format!("\r\nCookie: passgate_session={t}")
    });
    exchange(
        env.gw().port,
        &format!("GET {path} HTTP/1.1\r\nHost: app.test\r\nAccept: application/json{cookie}"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spellings_upstreams_normalise_meet_the_stricter_route() {
    let Some(env) = SessionEnv::start_routes(Backend::Sqlite, "", ROUTES).await else {
        return;
    };
    let ring = env.ring().await;
    let zoe = token(&env, &ring, "zoe", "zoe@example.com", &[], 0);
    let bob = token(&env, &ring, "bob", "bob@example.com", &[], 0);

    // zoe may use the catch-all route, not /admin, in any spelling.
    get(&env, "/admin/users", Some(&zoe))
        .await
        .assert_json_error(403, "forbidden");
    for path in [
        "/%61dmin/users",
        "/%61%64%6D%69%6E",
        "/admin;x/users",
        "/admin;jsessionid=1",
        "//admin/users",
        "/admin//users",
        "/admin/;x/users",
    ] {
        get(&env, path, Some(&zoe))
            .await
            .assert_json_error(403, "forbidden");
    }
    get(&env, "/elsewhere", Some(&zoe)).await.echo();

    // bob passes, and the upstream gets the path byte for byte as sent.
    for path in ["/%61dmin/users;p=1", "//admin/a%2Cb%20c"] {
        let echo = get(&env, path, Some(&bob)).await.echo();
        assert_eq!(echo["path"], path, "{path}");
    }

    // A public_paths glob or prefix does not cover a path that only looks like it.
    get(&env, "/x/a.css", None).await.echo();
    get(&env, "/static/app.js", None).await.echo();
    for path in [
        "/admin/export;.css",
        "/export;.css",
        "/export;x.css",
        "/%73tatic/app.js",
        "/static;x",
    ] {
        get(&env, path, None)
            .await
            .assert_json_error(401, "unauthorized");
    }

    // Dot segments hidden behind ;params are refused like plain ones.
    for path in [
        "/x/..;/y",
        "/static/..;/admin",
        "/static/.;/x",
        "/x/%2e%2e;/y",
    ] {
        get(&env, path, Some(&bob))
            .await
            .assert_json_error(400, "bad_path");
    }

    // Ordinary paths are untouched: encoded reserved characters and the query as sent.
    let echo = get(&env, "/docs/a%2Cb%20c%2fd.txt?q=%2e1&r=;x", Some(&zoe))
        .await
        .echo();
    assert_eq!(echo["path"], "/docs/a%2Cb%20c%2fd.txt");
    assert_eq!(echo["query"], "q=%2e1&r=;x");

    // passgate's own paths in another spelling are never proxied.
    for path in [
        "//.passgate/healthz",
        "/.passgate;x/healthz",
        "/%2Epassgate/healthz",
    ] {
        let r = get(&env, path, None).await;
        assert!(!r.body.contains("\"upstream\""), "{path}: {r:?}");
    }
}

#[test]
fn check_rejects_paths_no_request_could_match() {
    let lines = check_routes(
        r#"
[[routes]]
host = "*"
path_prefix = "/%61pp"
upstream = "{u}"
public_paths = ["/app//static", "/app/x;v=1", "/app/../y", "/app/**.css"]

[[routes]]
host = "*"
path_prefix = "/a//b"
upstream = "{u}"
"#,
    );
    has(
        &lines,
        "routes[0].path_prefix: \"/%61pp\" is not in canonical form",
    );
    has(&lines, "write \"/app\"");
    has(&lines, "routes[0].public_paths[0]: \"/app//static\"");
    has(&lines, "routes[0].public_paths[1]: \"/app/x;v=1\"");
    has(
        &lines,
        "routes[0].public_paths[2]: \"/app/../y\" has a . or .. segment",
    );
    has(&lines, "routes[1].path_prefix");
    assert!(
        !lines.iter().any(|l| l.contains("public_paths[3]")),
        "{lines:#?}"
    );
}
