//! `policy = "optional"` (gradual rollout): every request reaches the app; a session of
//! the route's realm adds the identity headers, no session (or a bad one) leaves the
//! request anonymous, spoofed identity headers are stripped either way, an expired token
//! is re-issued, forward-auth answers the same, and the metrics count signed-in and
//! anonymous requests per route.

use std::time::Duration;

use crate::support::client;
use crate::support::db::Backend;
use crate::support::free_port;
use crate::support::http::{echoed_one, send};
use crate::support::sessions::{token_in_set_cookie, SessionEnv, SHORT_TOKENS};

const ROUTES: &str = r#"
[[routes]]
id = "members"
host = "*"
path_prefix = "/members"
upstream = "{u}"

[[routes]]
id = "wiki"
host = "*"
upstream = "{u}"
policy = "optional"
public_paths = ["/static"]
"#;

fn count(text: &str, route: &str, session: &str) -> u64 {
    let needle =
        format!("passgate_requests_by_session_total{{route=\"{route}\",session=\"{session}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&needle))
        .map_or(0, |v| v.trim().parse().unwrap_or(0))
}

async fn scrape(port: u16) -> String {
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await {
            return r.text().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("metrics listener never answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_routes_let_everyone_through_and_name_only_signed_in_users() {
    let metrics_port = free_port();
    let extra = format!("{SHORT_TOKENS}\n[metrics]\naddress = \"127.0.0.1:{metrics_port}\"\n");
    let env = SessionEnv::start_on_clock(Backend::Sqlite, &extra, ROUTES)
        .await
        .unwrap();
    let (_, token) = env.sign_in("alice").await;
    let nav = |path: &str, cookie: Option<&str>| {
        let mut r = client()
            .get(env.gw().url(path))
            .header("accept", "text/html")
            .header("X-Passgate-User", "mallory")
            .header("x-passgate-groups", "admins");
        if let Some(c) = cookie {
            r = r.header("cookie", format!("passgate_session={c}"));
        }
        r
    };

    // Anonymous: proxied (not redirected, not 401), the spoofed headers removed.
    let r = send(nav("/page", None)).await;
    let echo = r.echo();
    assert!(echo["headers"]["x-passgate-user"].is_null(), "{echo}");
    assert!(echo["headers"]["x-passgate-groups"].is_null(), "{echo}");
    // A bad cookie is no session, never an error.
    for bad in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        let echo = send(nav("/page", Some(bad))).await.echo();
        assert!(
            echo["headers"]["x-passgate-user"].is_null(),
            "{bad}: {echo}"
        );
    }
    // An API client without a session is let through too.
    let r = send(client().post(env.gw().url("/api")).body("x=1")).await;
    assert_eq!(r.echo()["method"], "POST");

    // Signed in: the identity headers are passgate's, not the client's.
    let echo = send(nav("/page", Some(&token))).await.echo();
    assert_eq!(echoed_one(&echo, "x-passgate-user"), "alice");

    // The authenticated route beside it still challenges.
    let r = send(nav("/members/x", None)).await;
    assert_eq!(r.status, 302, "{}", r.body);

    // An expired token is re-issued on an optional route as on an authenticated one.
    env.clock().advance_secs(3);
    let r = send(nav("/page", Some(&token))).await;
    let set = r.header("set-cookie").to_string();
    let echo = r.echo();
    assert_eq!(echoed_one(&echo, "x-passgate-user"), "alice");
    let fresh = token_in_set_cookie(&set);
    assert_ne!(fresh, token);

    // A public path of the optional route is not counted; the rest is, per route.
    send(nav("/static/app.css", Some(&fresh))).await.echo();
    let text = scrape(metrics_port).await;
    assert_eq!(count(&text, "wiki", "signed_in"), 2, "{text}");
    assert_eq!(count(&text, "wiki", "anonymous"), 5, "{text}");
    assert_eq!(count(&text, "members", "anonymous"), 1, "{text}");

    // Forward-auth answers the same: 200 without identity for anonymous, with it for alice.
    let ask = |tok: Option<&str>| {
        let mut r = client()
            .get(env.gw().url("/.passgate/verify?rd=1"))
            .header("X-Forwarded-Method", "GET")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "app.test")
            .header("X-Forwarded-Uri", "/page")
            .header("accept", "text/html");
        if let Some(t) = tok {
            r = r.header("cookie", format!("passgate_session={t}"));
        }
        r
    };
    let r = send(ask(None)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-passgate-user"), "");
    let r = send(ask(Some(&fresh))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-passgate-user"), "alice");
}

#[test]
fn check_refuses_access_rules_on_an_optional_route_and_explains_policies() {
    let base = "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n[[routes]]\nhost = \"*\"\nupstream = \"http://127.0.0.1:2\"\n";
    let problems = |extra: &str| {
        passgate::config::from_str(&format!("{base}{extra}"), std::path::Path::new("."))
            .err()
            .map(|p| format!("{p:?}"))
            .unwrap_or_default()
    };
    let p = problems("policy = \"optional\"\nallow_groups = [\"staff\"]\nmax_auth_age = \"1h\"\n");
    assert!(p.contains("routes[0].allow_groups"), "{p}");
    assert!(p.contains("routes[0].max_auth_age"), "{p}");
    assert!(p.contains("contradicts policy = \\\"optional\\\""), "{p}");
    let p = problems("policy = \"opt\"\n");
    for word in [
        "\\\"authenticated\\\"",
        "\\\"optional\\\"",
        "\\\"public\\\"",
        "gradual rollout",
    ] {
        assert!(p.contains(word), "{word} in {p}");
    }
    assert_eq!(
        problems("policy = \"optional\"\npublic_paths = [\"/static\"]\n"),
        ""
    );
}
