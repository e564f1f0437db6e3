//! Cross-site request refusal on `/.passgate/*` (CSRF), and rate limits keyed on the
//! load balancer's `X-Forwarded-For` entry when forwarded headers are trusted.

use reqwest::Method;
use serde_json::json;

use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::{send, Reply};
use crate::support::sessions::{whoami, SessionEnv};

/// `method path` with the session cookie and extra `headers` (a form body for POST).
async fn call(
    env: &SessionEnv,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = client()
        .request(method.clone(), env.gw().url(path))
        .header("cookie", format!("passgate_session={token}"));
    if method == Method::POST {
        req = req
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=someone%40example.com");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(req).await
}

#[tokio::test]
async fn cross_site_state_changes_are_refused_and_change_nothing() {
    let env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let (_, token) = env.sign_in("carol").await;
    let same_origin = env.gw().url("");
    let forged: [&[(&str, &str)]; 5] = [
        &[("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site")],
        &[("origin", "https://evil.test")],
        &[("origin", "null")],
        // Fetch metadata wins over an Origin that looks right.
        &[("sec-fetch-site", "cross-site"), ("origin", &same_origin)],
    ];
    for headers in forged {
        for (method, path) in [
            (Method::POST, "/.passgate/logout"),
            (Method::POST, "/.passgate/recover"),
            (Method::DELETE, "/.passgate/api/v1/session"),
        ] {
            let r = call(&env, method.clone(), path, &token, headers).await;
            r.assert_json_error(403, "forbidden");
            assert!(r.body.contains("Cross-site"), "{}", r.body);
            assert!(
                r.header("set-cookie").is_empty(),
                "{method} {path} {headers:?}: no cookie cleared"
            );
        }
        // Nothing happened: the session is still good.
        let (status, me) = whoami(env.gw(), &token).await;
        assert_eq!(status, 200, "{headers:?}: {me}");
    }

    // Reads are never refused, whatever the headers say.
    let r = call(
        &env,
        Method::GET,
        "/.passgate/api/v1/session",
        &token,
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // The same origin (by fetch metadata, or by Origin alone) goes through: sign-out works.
    let r = call(
        &env,
        Method::DELETE,
        "/.passgate/api/v1/session",
        &token,
        &[("origin", &same_origin)],
    )
    .await;
    assert!(r.status < 300, "{} {}", r.status, r.body);
    assert_eq!(whoami(env.gw(), &token).await.0, 401);
    let (_, token) = env.sign_in("dave").await;
    let r = call(
        &env,
        Method::POST,
        "/.passgate/logout",
        &token,
        &[("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.header("set-cookie").contains("Max-Age=0"),
        "{:?}",
        r.headers
    );
    assert_eq!(whoami(env.gw(), &token).await.0, 401);

    // Clients that are not browsers send neither header and pass.
    let r = send(
        client()
            .post(env.gw().url("/.passgate/api/v1/recover"))
            .json(&json!({"email": "someone@example.com"})),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
}

#[tokio::test]
async fn rate_limits_key_on_the_balancers_forwarded_address_when_trusted() {
    let mut env = SessionEnv::start(Backend::Sqlite, "").await.unwrap();
    let config = env.config_text.replacen(
        "[server]\n",
        "[server]\ntrust_forwarded_headers = true\n",
        1,
    );
    assert_ne!(config, env.config_text);
    env.api.config = config.clone();
    env.config_text = config;
    env.api.restart().await;

    let begin = |xff: &'static str| {
        let env = &env;
        async move {
            send(
                client()
                    .post(env.gw().url("/.passgate/api/v1/authenticate/begin"))
                    .header("x-forwarded-for", xff)
                    .json(&json!({})),
            )
            .await
        }
    };
    let mut limited = false;
    for _ in 0..70 {
        let r = begin("203.0.113.1").await;
        if r.status == 429 {
            limited = true;
            break;
        }
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert!(limited, "203.0.113.1 is limited within 70 requests");
    // Another user behind the same balancer (same peer address) is not.
    assert_eq!(begin("203.0.113.2").await.status, 200);
    // Only the entry the balancer appended counts, not what the client put before it.
    assert_eq!(begin("203.0.113.2, 203.0.113.1").await.status, 429);
    assert_eq!(begin("203.0.113.1, 203.0.113.3").await.status, 200);
}
