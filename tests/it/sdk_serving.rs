//! The embedded SDK over real HTTP: `/.passgate/sdk.js` and `sdk.d.ts` with an `ETag`
//! (conditional GET → `304`) and short caching, the same bytes at
//! `/.passgate/sdk/v{crate version}/` cached as immutable, other versions `404`, on every
//! host (also one whose route needs sign-in), loadable from any origin.

use reqwest::Method;

use crate::support::gateway::Gateway;
use crate::support::http::{get, request, send, Reply};
use crate::support::upstream;

const JS: &str = include_str!("../../sdk/sdk.js");
const DTS: &str = include_str!("../../sdk/sdk.d.ts");
const VERSION: &str = env!("CARGO_PKG_VERSION");

async fn gateway() -> (Gateway, upstream::Upstream) {
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&format!(
        "[[routes]]\nhost = \"*\"\nupstream = \"{}\"\npolicy = \"authenticated\"\n",
        up.url()
    ))
    .await;
    (gw, up)
}

async fn conditional(gw: &Gateway, path: &str, if_none_match: &str) -> Reply {
    send(request(gw, Method::GET, "app.test", path).header("if-none-match", if_none_match)).await
}

fn assert_served(r: &Reply, body: &str, kind: &str, cache: &str) {
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, body, "the file as written");
    assert_eq!(r.header("content-type"), kind);
    assert_eq!(r.header("cache-control"), cache);
    assert_eq!(r.header("access-control-allow-origin"), "*");
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    let etag = r.header("etag");
    assert!(
        etag.len() == 34 && etag.starts_with('"') && etag.ends_with('"'),
        "a strong ETag: {etag}"
    );
}

#[tokio::test]
async fn latest_sdk_has_an_etag_and_answers_conditional_gets_with_304() {
    let (gw, _up) = gateway().await;
    let js_kind = "text/javascript; charset=utf-8";
    let dts_kind = "application/typescript; charset=utf-8";
    let short = "public, max-age=300";
    for host in ["app.test", "other.example", "APP.test:8080"] {
        // Served by passgate on a host whose route needs sign-in: no session needed.
        let r = get(&gw, host, "/.passgate/sdk.js", None).await;
        assert_served(&r, JS, js_kind, short);
        assert_eq!(
            r.header("x-typescript-types"),
            format!("/.passgate/sdk/v{VERSION}/sdk.d.ts")
        );
    }
    let js = get(&gw, "app.test", "/.passgate/sdk.js", None).await;
    let tag = js.header("etag").to_string();
    let dts = get(&gw, "app.test", "/.passgate/sdk.d.ts", None).await;
    assert_served(&dts, DTS, dts_kind, short);
    assert_ne!(dts.header("etag"), tag, "each file has its own tag");

    for matching in [
        tag.clone(),
        format!("W/{tag}"),
        format!("\"other\", {tag}"),
        "*".to_string(),
    ] {
        let r = conditional(&gw, "/.passgate/sdk.js", &matching).await;
        assert_eq!(r.status, 304, "If-None-Match: {matching}");
        assert_eq!(r.body, "", "no body with 304");
        assert_eq!(r.header("etag"), tag);
        assert_eq!(r.header("cache-control"), short);
    }
    for stale in ["\"0123\"", &tag[1..tag.len() - 1], dts.header("etag")] {
        let r = conditional(&gw, "/.passgate/sdk.js", stale).await;
        assert_served(&r, JS, js_kind, short);
    }

    // HEAD: the headers without the body.
    let r = send(request(&gw, Method::HEAD, "app.test", "/.passgate/sdk.js")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "");
    assert_eq!(r.header("etag"), tag);
    // Read-only.
    let r = send(request(&gw, Method::POST, "app.test", "/.passgate/sdk.js")).await;
    r.assert_json_error(405, "method_not_allowed");
}

#[tokio::test]
async fn versioned_sdk_is_immutable_and_other_versions_are_not_found() {
    let (gw, _up) = gateway().await;
    let immutable = "public, max-age=31536000, immutable";
    let latest = get(&gw, "app.test", "/.passgate/sdk.js", None).await;
    let js = get(
        &gw,
        "app.test",
        &format!("/.passgate/sdk/v{VERSION}/sdk.js"),
        None,
    )
    .await;
    assert_served(&js, JS, "text/javascript; charset=utf-8", immutable);
    assert_eq!(js.header("etag"), latest.header("etag"), "the same bytes");
    let dts = get(
        &gw,
        "app.test",
        &format!("/.passgate/sdk/v{VERSION}/sdk.d.ts"),
        None,
    )
    .await;
    assert_served(
        &dts,
        DTS,
        "application/typescript; charset=utf-8",
        immutable,
    );
    let r = conditional(
        &gw,
        &format!("/.passgate/sdk/v{VERSION}/sdk.js"),
        js.header("etag"),
    )
    .await;
    assert_eq!(r.status, 304);
    assert_eq!(r.header("cache-control"), immutable);

    for path in [
        "/.passgate/sdk/v0.0.0/sdk.js".to_string(),
        format!("/.passgate/sdk/{VERSION}/sdk.js"),
        format!("/.passgate/sdk/v{VERSION}/login.js"),
        format!("/.passgate/sdk/v{VERSION}/"),
        format!("/.passgate/sdk/v{VERSION}x/sdk.js"),
        "/.passgate/sdk/latest/sdk.js".to_string(),
        "/.passgate/sdk".to_string(),
    ] {
        let r = get(&gw, "app.test", &path, None).await;
        r.assert_json_error(404, "not_found");
        if path.ends_with("sdk.js") {
            assert!(
                r.json()["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("/.passgate/sdk/v{VERSION}/sdk.js")),
                "{path}: names the version served: {}",
                r.body
            );
        }
    }
}

#[tokio::test]
async fn hosted_pages_load_the_sdk_and_the_old_helper_is_gone() {
    let (gw, _up) = gateway().await;
    for page in ["login.js", "bind.js", "passkeys.js"] {
        let r = get(&gw, "app.test", &format!("/.passgate/assets/{page}"), None).await;
        assert_eq!(r.status, 200, "{page}");
        assert!(
            r.body.contains("from '../sdk.js'"),
            "{page} imports /.passgate/sdk.js"
        );
        assert!(
            !r.body.contains("navigator.credentials") && !r.body.contains("fetch("),
            "{page}: the browser side is the SDK's"
        );
    }
    let r = get(&gw, "app.test", "/.passgate/assets/webauthn.js", None).await;
    assert_eq!(r.status, 404);
}
