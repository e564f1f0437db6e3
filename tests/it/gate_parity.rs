//! One gate, two ways in: the same table of requests (public, optional, signed in, signed in
//! with an assertion, an expired token that needs re-issuing, a session of another realm, a
//! user the route does not allow, a sign-in too old for the route, nobody signed in from a
//! browser and from a script) sent through the proxy and through `/.passgate/verify`, asserting the
//! same outcome (status, error code, who the 403 names, where the browser is sent, the
//! re-issued cookie) and the same identity headers. The gateway runs on a test clock: the
//! real session's token is expired by moving that clock, not by sleeping.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::policy_rules::token;
use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::{send, Reply};
use crate::support::sessions::{claims, SessionEnv};

const ROUTES: &str = r#"
[[routes]]
host = "*"
path_prefix = "/pub"
upstream = "{u}"
policy = "public"

[[routes]]
host = "*"
path_prefix = "/admin"
upstream = "{u}"
allow_users = ["bob"]

[[routes]]
host = "*"
path_prefix = "/recent"
upstream = "{u}"
max_auth_age = "1m"

[[routes]]
host = "*"
path_prefix = "/wiki"
upstream = "{u}"
policy = "optional"

[[routes]]
host = "*"
path_prefix = "/asserted"
upstream = "{u}"
assertion = true

[[routes]]
host = "*"
upstream = "{u}"
"#;

const SESSION: &str = "[session]\ntoken_ttl = \"1m\"\nidle_timeout = \"1h\"\n";
const HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";
const JSON: &str = "application/json";

/// What one plane answered, in terms both planes share.
#[derive(Debug, PartialEq)]
struct Outcome {
    status: u16,
    /// The JSON error's `code` (none for 200 and 302).
    code: Option<String>,
    /// `identity.username` of a 403.
    named: Option<String>,
    /// The sign-in page a browser is sent to, relative to the site.
    login: Option<String>,
    /// The token of a re-issued session cookie.
    reissued: Option<String>,
    /// `X-Passgate-*` headers the app gets (proxy: as the upstream saw them; verify: as
    /// answered for the fronting proxy to copy).
    identity: BTreeMap<String, String>,
}

fn reissued(r: &Reply) -> Option<String> {
    let c = r.header("set-cookie");
    c.strip_prefix("passgate_session=")
        .map(|rest| rest.split(';').next().unwrap_or("").to_string())
}

fn error_fields(r: &Reply) -> (Option<String>, Option<String>) {
    if r.status == 200 || r.status == 302 {
        return (None, None);
    }
    let v: Value = r.json();
    (
        v["code"].as_str().map(str::to_string),
        v["identity"]["username"].as_str().map(str::to_string),
    )
}

fn passgate_headers<'a>(
    pairs: impl Iterator<Item = (&'a str, String)>,
) -> BTreeMap<String, String> {
    pairs
        .filter(|(n, _)| n.starts_with("x-passgate-"))
        .map(|(n, v)| (n.to_string(), v))
        .collect()
}

async fn through_proxy(env: &SessionEnv, path: &str, tok: Option<&str>, accept: &str) -> Outcome {
    let mut req = client()
        .get(env.gw().url(path))
        .header("accept", accept)
        .header("x-passgate-user", "spoofed");
    if let Some(t) = tok {
        req = req.header("cookie", format!("passgate_session={t}"));
    }
    let r = send(req).await;
    let identity = if r.status == 200 {
        let echo = r.echo();
        let headers = echo["headers"].as_object().cloned().unwrap_or_default();
        passgate_headers(headers.iter().map(|(n, v)| {
            let all: Vec<&str> = v
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            (n.as_str(), all.join(" | "))
        }))
    } else {
        BTreeMap::new()
    };
    let (code, named) = error_fields(&r);
    Outcome {
        status: r.status,
        code,
        named,
        login: (r.status == 302).then(|| r.header("location").to_string()),
        reissued: reissued(&r),
        identity,
    }
}

async fn through_verify(env: &SessionEnv, path: &str, tok: Option<&str>, accept: &str) -> Outcome {
    let site = format!("localhost:{}", env.api.port);
    let mut req = client()
        .get(env.gw().url("/.passgate/verify?rd=1"))
        .header("x-forwarded-method", "GET")
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-host", &site)
        .header("x-forwarded-uri", path)
        .header("accept", accept);
    if let Some(t) = tok {
        req = req.header("cookie", format!("passgate_session={t}"));
    }
    let r = send(req).await;
    let (code, named) = error_fields(&r);
    let origin = format!("http://{site}");
    Outcome {
        status: r.status,
        code,
        named,
        login: (r.status == 302).then(|| {
            let l = r.header("location");
            l.strip_prefix(&origin)
                .unwrap_or_else(|| panic!("verify's redirect leaves the site: {l}"))
                .to_string()
        }),
        reissued: reissued(&r),
        identity: passgate_headers(
            r.headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.to_str().unwrap_or("").to_string())),
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_and_verify_decide_alike() {
    let Some(env) = SessionEnv::start_on_clock(Backend::Sqlite, SESSION, ROUTES).await else {
        return;
    };
    // A real session (the only kind that can be re-issued), expired by the gateway's clock.
    let (_, expired) = env.sign_in("carol").await;
    env.clock().advance_secs(61);

    let ring = env.ring().await;
    let alice = token(&env, &ring, "alice", "alice@example.com", &["staff"], 0);
    let old_sign_in = token(&env, &ring, "alice", "alice@example.com", &["staff"], 3600);
    let elsewhere = {
        let mut c = claims(env.api.port, "id_eve", "s_eve");
        c.username = "eve".into();
        c.realm = "other".into();
        passgate::session::token::sign(&ring, &c).unwrap()
    };

    let port = env.api.port;
    let rd = |path: &str| {
        let url = format!("http://localhost:{port}{path}");
        let enc: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
        format!("/.passgate/login?rd={enc}")
    };
    let user = |name: &str, email: &str, groups: &str, id: &str| {
        BTreeMap::from([
            ("x-passgate-user".to_string(), name.to_string()),
            ("x-passgate-email".to_string(), email.to_string()),
            ("x-passgate-groups".to_string(), groups.to_string()),
            ("x-passgate-identity".to_string(), id.to_string()),
        ])
    };
    let alice_headers = user("alice", "alice@example.com", "staff", "id_alice");

    struct Case<'a> {
        what: &'a str,
        path: &'a str,
        token: Option<&'a str>,
        accept: &'a str,
        status: u16,
        code: Option<&'a str>,
    }
    let case = |what, path, token, accept, status, code| Case {
        what,
        path,
        token,
        accept,
        status,
        code,
    };
    let table = [
        case("public", "/pub/a", None, JSON, 200, None),
        case("public, signed in", "/pub/a", Some(&alice), JSON, 200, None),
        case("optional, nobody", "/wiki/p", None, HTML, 200, None),
        case(
            "optional, another realm's session",
            "/wiki/p",
            Some(&elsewhere),
            HTML,
            200,
            None,
        ),
        case(
            "optional, signed in",
            "/wiki/p",
            Some(&alice),
            HTML,
            200,
            None,
        ),
        case("signed in", "/x", Some(&alice), JSON, 200, None),
        case(
            "signed in, assertion",
            "/asserted",
            Some(&alice),
            JSON,
            200,
            None,
        ),
        case(
            "expired token: re-issued",
            "/x",
            Some(&expired),
            JSON,
            200,
            None,
        ),
        case(
            "another realm's session",
            "/x",
            Some(&elsewhere),
            JSON,
            401,
            Some("unauthorized"),
        ),
        case(
            "another realm's session, browser",
            "/x",
            Some(&elsewhere),
            HTML,
            302,
            None,
        ),
        case(
            "forbidden",
            "/admin",
            Some(&alice),
            JSON,
            403,
            Some("forbidden"),
        ),
        case(
            "step-up",
            "/recent",
            Some(&old_sign_in),
            JSON,
            401,
            Some("reauthentication_required"),
        ),
        case(
            "step-up, browser",
            "/recent",
            Some(&old_sign_in),
            HTML,
            302,
            None,
        ),
        case(
            "nobody, script",
            "/x?y=1",
            None,
            JSON,
            401,
            Some("unauthorized"),
        ),
        case("nobody, browser", "/x?y=1", None, HTML, 302, None),
    ];
    let mut reissued_tokens = Vec::new();
    for c in &table {
        let proxied = through_proxy(&env, c.path, c.token, c.accept).await;
        let verified = through_verify(&env, c.path, c.token, c.accept).await;
        assert_eq!(proxied, verified, "{}: the two planes differ", c.what);
        assert_eq!(proxied.status, c.status, "{}: {proxied:?}", c.what);
        assert_eq!(proxied.code.as_deref(), c.code, "{}", c.what);
        if c.status == 302 {
            assert_eq!(
                proxied.login.as_deref(),
                Some(rd(c.path).as_str()),
                "{}",
                c.what
            );
        }
        assert!(
            !proxied.identity.values().any(|v| v.contains("spoofed")),
            "{}: a client's X-Passgate-User reached the app: {proxied:?}",
            c.what
        );
        match c.what {
            "signed in" | "optional, signed in" => assert_eq!(proxied.identity, alice_headers),
            "signed in, assertion" => {
                let mut without = proxied.identity.clone();
                let jwt = without
                    .remove("x-passgate-jwt-assertion")
                    .expect("assertion");
                assert_eq!(without, alice_headers);
                assert_eq!(jwt.split('.').count(), 3, "{jwt}");
            }
            "expired token: re-issued" => {
                let fresh = proxied.reissued.clone().expect("a re-issued cookie");
                assert_ne!(fresh, expired);
                reissued_tokens.push(fresh);
                assert_eq!(proxied.identity["x-passgate-user"], "carol");
            }
            "forbidden" => assert_eq!(proxied.named.as_deref(), Some("alice")),
            _ => {
                assert!(proxied.identity.is_empty(), "{}: {proxied:?}", c.what);
                assert!(proxied.reissued.is_none(), "{}", c.what);
            }
        }
    }
    assert_eq!(reissued_tokens.len(), 1);
}
