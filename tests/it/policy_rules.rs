//! Per-route access rules through the real gateway: allow lists (groups, users, email
//! domains), per-method rules, public paths (prefix and glob) inside a protected route,
//! `max_auth_age` step-up, the 403 page and JSON, and `passgate check` rejecting unknown
//! and contradictory rule fields with their key paths.

use reqwest::Method;

use passgate::session::keys::KeyRing;
use passgate::session::token::sign;

use crate::support::db::Backend;
use crate::support::gateway::{check, problem_lines};
use crate::support::http::{echoed_one, send, HTML, JSON};
use crate::support::sessions::{claims, now, SessionEnv};
use crate::support::{client, free_port};

pub const ROUTES: &str = r#"
[[routes]]
host = "*"
path_prefix = "/groups"
upstream = "{u}"
allow_groups = ["staff"]

[[routes]]
host = "*"
path_prefix = "/users"
upstream = "{u}"
allow_users = ["Bob"]

[[routes]]
host = "*"
path_prefix = "/domains"
upstream = "{u}"
allow_email_domains = ["example.org"]

[[routes]]
host = "*"
path_prefix = "/app"
upstream = "{u}"
public_paths = ["/app/static", "/app/*/health"]

[[routes.rules]]
methods = ["POST", "put"]
allow_groups = ["editors"]

[[routes.rules]]
methods = ["DELETE"]
allow_users = ["bob"]
max_auth_age = "1m"

[[routes]]
host = "*"
path_prefix = "/fresh"
upstream = "{u}"
max_auth_age = "5m"

[[routes]]
host = "*"
path_prefix = "/portal"
upstream = "{u}"
allow_groups = ["staff"]
login_url = "/app/static/signin?app=portal"
"#;

/// A token the gateway accepts for `username` with `email`, `groups`, signed in `age` seconds
/// ago.
pub fn token(
    env: &SessionEnv,
    ring: &KeyRing,
    username: &str,
    email: &str,
    groups: &[&str],
    age: u64,
) -> String {
    let mut c = claims(
        env.api.port,
        &format!("id_{username}"),
        &format!("s_{username}"),
    );
    c.username = username.into();
    c.email = Some(email.into());
    c.groups = groups.iter().map(|g| g.to_string()).collect();
    c.auth_time = now() - age;
    sign(ring, &c).unwrap()
}

async fn call(
    env: &SessionEnv,
    method: Method,
    path: &str,
    token: Option<&str>,
    accept: Option<&str>,
) -> crate::support::http::Reply {
    let mut req = client().request(method, env.gw().url(path));
    if let Some(t) = token {
        req = req.header("cookie", format!("passgate_session={t}"));
    }
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    send(req).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_lists_method_rules_public_paths_and_step_up() {
    let Some(env) = SessionEnv::start_routes(Backend::Sqlite, "", ROUTES).await else {
        return;
    };
    let ring = env.ring().await;
    let alice = token(&env, &ring, "alice", "alice@example.com", &["staff"], 0);
    let bob = token(&env, &ring, "bob", "bob@example.org", &["editors"], 0);
    let carol = token(&env, &ring, "carol", "carol@example.com", &[], 0);
    let old_bob = token(&env, &ring, "bob", "bob@example.org", &["editors"], 600);

    // allow_groups
    let echo = call(&env, Method::GET, "/groups/x", Some(&alice), JSON)
        .await
        .echo();
    assert_eq!(echoed_one(&echo, "x-passgate-user"), "alice");
    call(&env, Method::GET, "/groups/x", Some(&bob), JSON)
        .await
        .assert_json_error(403, "forbidden");
    // allow_users (case-insensitive)
    call(&env, Method::GET, "/users", Some(&bob), JSON)
        .await
        .echo();
    call(&env, Method::GET, "/users", Some(&alice), JSON)
        .await
        .assert_json_error(403, "forbidden");
    // allow_email_domains (the domain exactly, not a suffix of it)
    call(&env, Method::GET, "/domains", Some(&bob), JSON)
        .await
        .echo();
    call(&env, Method::GET, "/domains", Some(&carol), JSON)
        .await
        .assert_json_error(403, "forbidden");

    // Per-method rules: GET is open to every signed-in user, POST/PUT to editors only,
    // DELETE to bob with a sign-in younger than a minute.
    call(&env, Method::GET, "/app/x", Some(&carol), JSON)
        .await
        .echo();
    call(&env, Method::POST, "/app/x", Some(&carol), JSON)
        .await
        .assert_json_error(403, "forbidden");
    call(&env, Method::PUT, "/app/x", Some(&bob), JSON)
        .await
        .echo();
    call(&env, Method::POST, "/app/x", Some(&bob), JSON)
        .await
        .echo();
    call(&env, Method::DELETE, "/app/x", Some(&alice), JSON)
        .await
        .assert_json_error(403, "forbidden");
    call(&env, Method::DELETE, "/app/x", Some(&bob), JSON)
        .await
        .echo();
    call(&env, Method::DELETE, "/app/x", Some(&old_bob), JSON)
        .await
        .assert_json_error(401, "reauthentication_required");
    // No session: challenged.
    call(&env, Method::GET, "/app/x", None, JSON)
        .await
        .assert_json_error(401, "unauthorized");

    // Public paths: prefix (segment-aware) and glob, no sign-in and no identity.
    let echo = call(&env, Method::GET, "/app/static/a.css", None, JSON)
        .await
        .echo();
    assert!(echo["headers"]["x-passgate-user"].is_null(), "{echo}");
    call(&env, Method::GET, "/app/v2/health", None, JSON)
        .await
        .echo();
    call(&env, Method::GET, "/app/staticx", None, JSON)
        .await
        .assert_json_error(401, "unauthorized");
    call(&env, Method::GET, "/app/v2/x/health", None, JSON)
        .await
        .assert_json_error(401, "unauthorized");
    // A client cannot claim an identity on a public path.
    let r = send(
        client()
            .get(env.gw().url("/app/static/x"))
            .header("X-Passgate-User", "mallory"),
    )
    .await;
    assert!(r.echo()["headers"]["x-passgate-user"].is_null());

    // Step-up: too old a sign-in is a 401 with its own code, or a 302 to sign-in.
    call(&env, Method::GET, "/fresh", Some(&old_bob), JSON)
        .await
        .assert_json_error(401, "reauthentication_required");
    let r = call(&env, Method::GET, "/fresh/p?q=1", Some(&old_bob), HTML).await;
    assert_eq!(r.status, 302, "{}", r.body);
    let loc = r.header("location");
    assert!(loc.starts_with("/.passgate/login?rd="), "{loc}");
    assert!(loc.contains("%2Ffresh%2Fp%3Fq%3D1"), "{loc}");
    call(&env, Method::GET, "/fresh", Some(&bob), JSON)
        .await
        .echo();

    // The 403 page for browsers: who you are, sign out, switch account.
    let r = call(&env, Method::GET, "/groups", Some(&carol), HTML).await;
    r.assert_html_page(403);
    assert!(r.body.contains("carol"), "{}", r.body);
    assert!(r.body.contains("/.passgate/logout"), "{}", r.body);
    // "Switch account" signs in again and comes back to the page that was refused.
    let back = "%2Fgroups";
    assert!(
        r.body.contains("href=\"/.passgate/login?rd=http%3A%2F%2F")
            && r.body.contains(&format!("{back}\">Switch account")),
        "{}",
        r.body
    );
    // On a route with its own sign-in page, "Switch account" goes there (escaped for
    // the attribute), not to passgate's.
    let r = call(&env, Method::GET, "/portal/x?y=1", Some(&carol), HTML).await;
    r.assert_html_page(403);
    assert!(
        r.body
            .contains("href=\"/app/static/signin?app=portal&amp;rd=http%3A%2F%2F")
            && r.body.contains("%2Fportal%2Fx%3Fy%3D1\">Switch account"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("/.passgate/login"), "{}", r.body);
}

pub fn check_routes(routes: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("passgate.toml");
    let text = format!(
        "public_url = \"http://localhost:{p}\"\n[[listeners]]\naddress = \"127.0.0.1:{p}\"\n{}",
        routes.replace("{u}", "http://127.0.0.1:9"),
        p = free_port()
    );
    std::fs::write(&path, text).unwrap();
    let (ok, out, err) = check(&path);
    assert!(!ok, "check should fail: {out}{err}");
    problem_lines(&format!("{out}{err}"))
}

/// Whether a problem line, without its `(line n)`, contains `needle`.
pub fn has(lines: &[String], needle: &str) {
    let strip = |l: &str| match (l.find(" (line "), l.find("): ")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &l[..a], &l[b + 1..]),
        _ => l.to_string(),
    };
    assert!(
        lines.iter().any(|l| strip(l).contains(needle)),
        "no problem mentioning {needle:?} in {lines:#?}"
    );
}

#[test]
fn check_rejects_unknown_and_contradictory_rule_fields() {
    let lines = check_routes(
        r#"
[[routes]]
host = "*"
upstream = "{u}"
allow_groupz = ["x"]

[[routes.rules]]
methods = ["POST"]
who = "x"

[[routes]]
host = "b.test"
upstream = "{u}"

[[routes.rules]]
methods = ["GET"]
allow_any = true
allow_users = ["bob"]

[[routes.rules]]
methods = ["get", "FETCH THIS"]
allow_groups = []

[[routes]]
host = "public.test"
upstream = "{u}"
policy = "public"
allow_users = ["bob"]
max_auth_age = "0s"
"#,
    );
    has(
        &lines,
        "routes[0].allow_groupz: unknown field `allow_groupz`",
    );
    has(&lines, "routes[0].rules[0].who: unknown field `who`");
    has(&lines, "routes[1].rules[0].allow_any: contradicts");
    has(
        &lines,
        "routes[1].rules[1].methods[0]: GET is already decided by routes[1].rules[0]",
    );
    has(
        &lines,
        "routes[1].rules[1].methods[1]: \"FETCH THIS\" is not an HTTP method",
    );
    has(&lines, "routes[1].rules[1].allow_groups: an empty list");
    has(
        &lines,
        "routes[2].allow_users: contradicts policy = \"public\"",
    );
    has(&lines, "routes[2].max_auth_age");

    let lines = check_routes(
        r#"
[[routes]]
host = "*"
upstream = "{u}"
public_paths = ["static"]
headers = { preset = ["authelia", "nope"], extra = { "X-Department" = "traits.department", "Host" = "username", "Remote-User" = "email" } }
"#,
    );
    has(&lines, "routes[0].public_paths[0]");
    has(
        &lines,
        "routes[0].headers.preset[1]: \"nope\" is not a preset",
    );
    has(
        &lines,
        "routes[0].headers.extra.\"X-Department\": \"traits.department\" is not a claim",
    );
    has(&lines, "routes[0].headers.extra.\"Host\"");
    has(
        &lines,
        "routes[0].headers.extra.\"Remote-User\": this header is already set",
    );
}

/// Pingora accepts `post`, and Django or Werkzeug serve it as `POST`: the `POST` rule must
/// govern it. Written on a raw socket (clients upper-case the standard methods).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_rules_ignore_letter_case() {
    let Some(env) = SessionEnv::start_routes(Backend::Sqlite, "", ROUTES).await else {
        return;
    };
    let ring = env.ring().await;
    let carol = token(&env, &ring, "carol", "carol@example.com", &[], 0);
    let bob = token(&env, &ring, "bob", "bob@example.org", &["editors"], 0);
    let send = |method: &'static str, tok: String| {
        let port = env.gw().port;
        async move {
            crate::support::raw::exchange(
                port,
                &format!(
                    "{method} /app/x HTTP/1.1\r\nHost: app.test\r\nAccept: application/json\r\nContent-Length: 0\r\nCookie: passgate_session={tok}"
                ),
            )
            .await
        }
    };
    for method in ["post", "Post", "pUT", "delete"] {
        send(method, carol.clone())
            .await
            .assert_json_error(403, "forbidden");
    }
    let echo = send("post", bob.clone()).await.echo();
    assert_eq!(echo["method"], "post");
    send("get", carol.clone()).await.echo();
}
