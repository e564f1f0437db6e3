//! `/.passgate/verify` asked directly with both header sets: a client's copies of the set
//! its proxy does not send (nginx sets `X-Original-*`, Caddy and Traefik `X-Forwarded-*`)
//! must describe the same request or the answer is `400`; dot segments in
//! `X-Original-URL` are refused as sent; the original path is matched in canonical form.

use crate::forward_auth::ROUTES;
use crate::policy_rules::token;
use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::send;
use crate::support::sessions::SessionEnv;

/// Each proxy sets its own set of headers (nginx `X-Original-*`, Caddy and Traefik
/// `X-Forwarded-*`) and passes the client's copies of the other set through: when both
/// sets name different requests, one is forged, and `verify` refuses with 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_refuses_conflicting_or_dotted_originals() {
    let Some(env) = SessionEnv::start_routes(Backend::Sqlite, "", ROUTES).await else {
        return;
    };
    let ring = env.ring().await;
    let zoe = token(&env, &ring, "zoe", "zoe@example.com", &["staff"], 0);
    let ask = |pairs: &[(&str, &str)]| {
        let mut r = client()
            .get(env.gw().url("/.passgate/verify"))
            .header("cookie", format!("passgate_session={zoe}"))
            .header("accept", "application/json");
        for (n, v) in pairs {
            r = r.header(*n, *v);
        }
        send(r)
    };
    let caddy = [
        ("X-Forwarded-Method", "GET"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "app.test"),
        ("X-Forwarded-Uri", "/admin/x"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut all = caddy.to_vec();
        all.extend_from_slice(extra);
        all
    };
    // The proxy's set alone: the route's answer.
    ask(&caddy).await.assert_json_error(403, "forbidden");
    // A client's X-Original-* naming another request: refused, whichever field differs.
    for forged in [
        ("X-Original-URL", "https://app.test/pub/x"),
        ("X-Original-URL", "https://app.test/admin/x?y"),
        ("X-Original-URL", "https://other.test/admin/x"),
        ("X-Original-Method", "POST"),
    ] {
        let r = ask(&with(&[forged])).await;
        r.assert_json_error(400, "bad_request");
        assert!(r.body.contains("X-Original-"), "{}", r.body);
    }
    // …and a client's X-Forwarded-* next to nginx's X-Original-*.
    let nginx = [
        ("X-Original-URL", "https://app.test/admin/x"),
        ("X-Original-Method", "GET"),
    ];
    ask(&nginx).await.assert_json_error(403, "forbidden");
    for forged in [
        ("X-Forwarded-Uri", "/pub/x"),
        ("X-Forwarded-Host", "other.test"),
        ("X-Forwarded-Method", "HEAD"),
    ] {
        let mut all = nginx.to_vec();
        all.push(forged);
        ask(&all).await.assert_json_error(400, "bad_request");
    }
    // Both sets naming the same request: the normal answer.
    let mut same = caddy.to_vec();
    same.extend_from_slice(&[
        ("X-Original-URL", "https://App.test:443/admin/x"),
        ("X-Original-Method", "GET"),
    ]);
    ask(&same).await.assert_json_error(403, "forbidden");
    let r = ask(&[
        ("X-Original-URL", "https://app.test/x?q=1"),
        ("X-Forwarded-Uri", "/x?q=1"),
        ("X-Forwarded-Host", "app.test"),
    ])
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-passgate-user"), "zoe");
    // Dot segments in X-Original-URL are refused as sent (a URL parser would have
    // resolved them into /admin/x first).
    for url in [
        "https://app.test/pub/../admin/x",
        "https://app.test/pub/%2e%2e/admin/x",
        "https://app.test/pub/%2E%2E/admin/x",
        "https://app.test/pub/..;/admin/x",
    ] {
        ask(&[("X-Original-URL", url)])
            .await
            .assert_json_error(400, "bad_request");
    }
    // The original path is matched in canonical form, as the data plane does.
    ask(&[("X-Original-URL", "https://app.test/%61dmin;x//y")])
        .await
        .assert_json_error(403, "forbidden");
}
