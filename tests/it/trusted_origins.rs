//! An embedded configuration's `trusted_origins` over real HTTP: CORS preflights and
//! credentialed requests on `/.passgate/api/v1/*` (trusted origin: allowed with
//! credentials; any other: no CORS header, preflight and cross-site writes refused; other
//! paths untouched), passkey ceremonies whose client data names a trusted origin accepted
//! and an untrusted one refused with nothing written, and a route's `login_url` taking
//! unauthenticated browsers to the app's own page (proxy and forward-auth); both follow a
//! SIGHUP reload.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::admin::realm_path;
use crate::support::authenticator::Authenticator;
use crate::support::binding::{begin, create_job, finish, get_job, token_of};
use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::{send, Reply};
use crate::support::sessions::SessionEnv;

const TRUSTED: &str = "http://localhost:3999";
const UNTRUSTED: [&str; 3] = [
    "http://localhost:3998",
    "https://localhost:3999",
    "http://evil.localhost:3999",
];

const ROUTES: &str = r#"
[[routes]]
host = "*"
upstream = "{u}"
public_paths = ["/signin"]
login_url = "/signin?app=1"
"#;

async fn start(backend: Backend) -> Option<SessionEnv> {
    let realm = crate::authenticator_configs::embedded_realm(3999, 1);
    SessionEnv::start_routes(backend, &realm, ROUTES).await
}

fn api_call(env: &SessionEnv, method: Method, path: &str, origin: &str) -> reqwest::RequestBuilder {
    client()
        .request(method, env.gw().url(path))
        .header("origin", origin)
        .header("sec-fetch-site", "same-site")
        .header("sec-fetch-mode", "cors")
}

fn preflight(env: &SessionEnv, path: &str, origin: &str) -> reqwest::RequestBuilder {
    client()
        .request(Method::OPTIONS, env.gw().url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
}

fn assert_no_cors(r: &Reply, what: &str) {
    for h in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
    ] {
        assert_eq!(r.header(h), "", "{what}: {h}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_for_exactly_the_trusted_origins() {
    let env = start(Backend::Sqlite).await.expect("sqlite");
    let (_, token) = env.sign_in("carol").await;
    let cookie = format!("passgate_session={token}");

    // Preflight: trusted → 204 with credentials; others → 403 without any CORS header.
    for path in [
        "/.passgate/api/v1/authenticate/begin",
        "/.passgate/api/v1/bind/finish",
        "/.passgate/api/v1/passkeys/abc",
    ] {
        let r = send(preflight(&env, path, TRUSTED)).await;
        assert_eq!(r.status, 204, "{path}: {}", r.body);
        assert_eq!(r.header("access-control-allow-origin"), TRUSTED);
        assert_eq!(r.header("access-control-allow-credentials"), "true");
        for m in ["GET", "POST", "PATCH", "DELETE"] {
            assert!(r.header("access-control-allow-methods").contains(m), "{m}");
        }
        assert!(r
            .header("access-control-allow-headers")
            .contains("Content-Type"));
        assert!(r.header("vary").contains("Origin"));
        for origin in UNTRUSTED {
            let r = send(preflight(&env, path, origin)).await;
            r.assert_json_error(403, "forbidden");
            assert_no_cors(&r, origin);
        }
    }

    // A credentialed read: the trusted origin may read the session; others get the answer
    // without CORS headers (the browser hides it from their page).
    let r = send(
        api_call(&env, Method::GET, "/.passgate/api/v1/session", TRUSTED).header("cookie", &cookie),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["identity"]["username"], "carol", "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), TRUSTED);
    assert_eq!(r.header("access-control-allow-credentials"), "true");
    for origin in UNTRUSTED {
        let r = send(
            api_call(&env, Method::GET, "/.passgate/api/v1/session", origin)
                .header("cookie", &cookie),
        )
        .await;
        assert_no_cors(&r, origin);
    }

    // Writes: the cross-site wall lets exactly the trusted origin through.
    let r = send(
        api_call(
            &env,
            Method::POST,
            "/.passgate/api/v1/authenticate/begin",
            TRUSTED,
        )
        .json(&json!({})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), TRUSTED);
    for origin in UNTRUSTED {
        let r = send(
            api_call(
                &env,
                Method::POST,
                "/.passgate/api/v1/authenticate/begin",
                origin,
            )
            .json(&json!({})),
        )
        .await;
        r.assert_json_error(403, "forbidden");
        assert_no_cors(&r, origin);
        let r = send(
            api_call(&env, Method::DELETE, "/.passgate/api/v1/session", origin)
                .header("cookie", &cookie),
        )
        .await;
        r.assert_json_error(403, "forbidden");
    }
    // Errors reach the trusted page too (the SDK reads their code).
    let r = send(api_call(
        &env,
        Method::GET,
        "/.passgate/api/v1/passkeys",
        TRUSTED,
    ))
    .await;
    r.assert_json_error(401, "unauthorized");
    assert_eq!(r.header("access-control-allow-origin"), TRUSTED);
    // Signing out from the trusted origin works and ends the session.
    let r = send(
        api_call(&env, Method::DELETE, "/.passgate/api/v1/session", TRUSTED)
            .header("cookie", &cookie),
    )
    .await;
    assert!(
        r.status == 200 || r.status == 204,
        "{}: {}",
        r.status,
        r.body
    );
    assert_eq!(r.header("access-control-allow-origin"), TRUSTED);
    let (s, _) = crate::support::sessions::whoami(env.gw(), &token).await;
    assert_eq!(s, 401, "signed out");

    // Outside /api/v1/ a trusted origin is nobody special: no CORS, forms still refused.
    let r = send(preflight(&env, "/.passgate/recover", TRUSTED)).await;
    assert_no_cors(&r, "recover preflight");
    let r = send(
        api_call(&env, Method::POST, "/.passgate/recover", TRUSTED)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=x%40example.com"),
    )
    .await;
    r.assert_json_error(403, "forbidden");
    let r = send(api_call(
        &env,
        Method::GET,
        "/.passgate/v1/tenants/default/realms/default/identities",
        TRUSTED,
    ))
    .await;
    assert_no_cors(&r, "admin API");
}

async fn auth_begin(env: &SessionEnv) -> Value {
    let r = send(
        client()
            .post(env.gw().url("/.passgate/api/v1/authenticate/begin"))
            .json(&json!({"username": "erin"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn auth_finish(env: &SessionEnv, ceremony: &Value, credential: &Value) -> Reply {
    send(
        client()
            .post(env.gw().url("/.passgate/api/v1/authenticate/finish"))
            .json(&json!({"ceremony": ceremony, "credential": credential})),
    )
    .await
}

on_both_backends!(ceremonies_from_trusted_origins_only);

async fn ceremonies_from_trusted_origins_only(backend: Backend) {
    let Some(env) = start(backend).await else {
        return;
    };
    let api = &env.api;
    let id = api.create_identity("erin").await;
    let job = json!({"delivery_method": "RETURN", "authenticator_config_id": "shop-app"});

    // Binding from an untrusted origin: refused, the job stays open, no passkey.
    for origin in UNTRUSTED {
        let (_, v) = create_job(api, &id, job.clone()).await;
        let link = v["credential_binding_link"].as_str().unwrap().to_string();
        let (s, options) = begin(api, &token_of(&link)).await;
        assert_eq!(s, 200, "{options}");
        let cred = Authenticator::new().register(origin, &options).unwrap();
        let done = finish(api, options["ceremony"].as_str().unwrap(), &cred).await;
        assert_eq!(done.status, 400, "{origin}: {}", done.body);
        assert!(done.set_cookie.is_none(), "{origin}: no session");
        let j = get_job(
            api,
            &id,
            v["credential_binding_job"]["id"].as_str().unwrap(),
        )
        .await;
        assert_ne!(j["state"], "COMPLETE", "{origin}: {j}");
    }
    let (_, creds) = api
        .get(&realm_path(&format!("/identities/{id}/credentials")))
        .await;
    assert_eq!(creds["credentials"].as_array().unwrap().len(), 0, "{creds}");

    // From the trusted origin: bound.
    let mut device = Authenticator::new();
    let (_, v) = create_job(api, &id, job).await;
    let link = v["credential_binding_link"].as_str().unwrap().to_string();
    let (_, options) = begin(api, &token_of(&link)).await;
    let cred = device.register(TRUSTED, &options).unwrap();
    let done = finish(api, options["ceremony"].as_str().unwrap(), &cred).await;
    assert_eq!(done.status, 200, "{}", done.body);

    // Sign-in: an assertion made on an untrusted origin is refused, on the trusted one
    // (and on passgate's own) accepted.
    for origin in UNTRUSTED {
        let b = auth_begin(&env).await;
        let cred = device.authenticate(origin, &b).unwrap();
        let r = auth_finish(&env, &b["ceremony"], &cred).await;
        assert_eq!(r.status, 400, "{origin}: {}", r.body);
        assert!(r.header("set-cookie").is_empty(), "{origin}");
    }
    for origin in [
        TRUSTED.to_string(),
        format!("http://localhost:{}", api.port),
    ] {
        let b = auth_begin(&env).await;
        let cred = device.authenticate(&origin, &b).unwrap();
        let r = auth_finish(&env, &b["ceremony"], &cred).await;
        assert_eq!(r.status, 200, "{origin}: {}", r.body);
        assert!(r.header("set-cookie").starts_with("passgate_session="));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_url_takes_browsers_to_the_apps_page() {
    let env = start(Backend::Sqlite).await.expect("sqlite");
    let html = "text/html,application/xhtml+xml";
    let r = send(
        client()
            .get(env.gw().url("/orders?id=7"))
            .header("accept", html),
    )
    .await;
    assert_eq!(r.status, 302, "{}", r.body);
    let rd = format!("http://localhost:{}/orders?id=7", env.api.port);
    let encoded: String = url::form_urlencoded::byte_serialize(rd.as_bytes()).collect();
    assert_eq!(r.header("location"), format!("/signin?app=1&rd={encoded}"));
    // Non-browser requests still get 401; the login page itself is public.
    let r = send(
        client()
            .get(env.gw().url("/orders"))
            .header("accept", "application/json"),
    )
    .await;
    r.assert_json_error(401, "unauthorized");
    let r = send(
        client()
            .get(env.gw().url("/signin?app=1&rd=%2F"))
            .header("accept", html),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.echo()["path"], "/signin", "{}", r.body);
    assert_eq!(r.echo()["query"], "app=1&rd=%2F", "{}", r.body);
    // Forward-auth answers with the same page, absolute on the original host.
    let r = send(
        client()
            .get(env.gw().url("/.passgate/verify?rd=1"))
            .header("X-Forwarded-Method", "GET")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "app.test")
            .header("X-Forwarded-Uri", "/x?y=1")
            .header("accept", html),
    )
    .await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(
        r.header("location"),
        "https://app.test/signin?app=1&rd=https%3A%2F%2Fapp.test%2Fx%3Fy%3D1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_origins_and_login_url_follow_a_reload() {
    let env = start(Backend::Sqlite).await.expect("sqlite");
    let newcomer = "http://localhost:3997";
    let path = "/.passgate/api/v1/authenticate/begin";
    send(preflight(&env, path, newcomer))
        .await
        .assert_json_error(403, "forbidden");
    let config = env
        .config_text
        .replace(
            "trusted_origins = [\"http://localhost:3999\"]",
            &format!("trusted_origins = [\"{newcomer}\"]"),
        )
        .replace("login_url = \"/signin?app=1\"", "login_url = \"/signin\"");
    assert_ne!(config, env.config_text);
    env.gw().write_config(&config);
    env.gw().signal(nix::sys::signal::Signal::SIGHUP);
    env.gw().wait_for_log("configuration reloaded", 10).await;
    let r = send(preflight(&env, path, newcomer)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), newcomer);
    let r = send(preflight(&env, path, TRUSTED)).await;
    r.assert_json_error(403, "forbidden");
    assert_no_cors(&r, "no longer trusted");
    let r = send(
        client()
            .get(env.gw().url("/x"))
            .header("accept", "text/html"),
    )
    .await;
    assert_eq!(r.status, 302);
    assert!(
        r.header("location").starts_with("/signin?rd="),
        "{}",
        r.header("location")
    );
}
