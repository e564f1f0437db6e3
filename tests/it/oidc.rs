//! The OpenID Connect provider over real HTTP, on both stores: discovery and JWKS on the
//! auth host only; the code flow with PKCE (ID token checked against the published key);
//! refresh rotation; userinfo; revocation and introspection; RP-initiated logout; and every
//! kind of bad input refused with the OAuth error the RFCs name and nothing issued: wrong
//! or unregistered redirect URIs, missing or wrong PKCE verifiers, reused and expired codes
//! (the test clock), another client's secret, `alg: none` and HS256 tokens sent back, open
//! redirects after logout; tokens end with the session they came from (sign-out,
//! suspension, passkey revocation, SCIM deactivation).

use std::collections::HashMap;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::{send, Reply};
use crate::support::sessions::SessionEnv;

pub(crate) const SECRET: &str = "app-secret-0123456789-0123456789-0123456789";
const OTHER_SECRET: &str = "other-secret-0123456789-0123456789-012345678";
pub(crate) const VERIFIER: &str = "verifier-0123456789-0123456789-0123456789-0123456789";

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn s256(v: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()))
}

pub(crate) fn clients() -> String {
    format!(
        r#"
[oidc]
access_token_ttl = "5m"

[[oidc.clients]]
id = "app"
name = "The app"
secret_hash = "sha256:{app}"
redirect_uris = ["http://localhost:9/cb"]
post_logout_redirect_uris = ["http://localhost:9/bye"]

[[oidc.clients]]
id = "other"
secret_hash = "sha256:{other}"
token_endpoint_auth_method = "client_secret_post"
redirect_uris = ["http://localhost:9/other"]

[[oidc.clients]]
id = "spa"
token_endpoint_auth_method = "none"
id_token_signed_response_alg = "EdDSA"
redirect_uris = ["http://localhost:9/spa"]

[[oidc.clients]]
id = "es"
secret_hash = "sha256:{app}"
id_token_signed_response_alg = "ES256"
redirect_uris = ["http://localhost:9/es"]

[[oidc.clients]]
id = "ops-only"
secret_hash = "sha256:{app}"
allow_groups = ["ops"]
redirect_uris = ["http://localhost:9/ops"]
"#,
        app = sha256_hex(SECRET),
        other = sha256_hex(OTHER_SECRET),
    )
}

async fn env(backend: Backend) -> Option<SessionEnv> {
    SessionEnv::start_on_clock(backend, &clients(), "").await
}

fn query_of(location: &str) -> HashMap<String, String> {
    let url = url::Url::parse(location).unwrap_or_else(|e| panic!("{location}: {e}"));
    url.query_pairs().into_owned().collect()
}

/// `GET /oidc/authorize?params` with the session cookie (if any).
async fn authorize(env: &SessionEnv, cookie: Option<&str>, params: &[(&str, &str)]) -> Reply {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let mut req = client().get(env.gw().url(&format!("/.passgate/oidc/authorize?{q}")));
    if let Some(c) = cookie {
        req = req.header("cookie", format!("passgate_session={c}"));
    }
    send(req).await
}

fn app_request<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("client_id", "app"),
        ("redirect_uri", "http://localhost:9/cb"),
        ("response_type", "code"),
        ("scope", "openid profile email groups"),
        ("state", "st-1"),
        ("nonce", "n-1"),
    ];
    p.extend_from_slice(extra);
    p
}

/// A code for `app` (PKCE with [`VERIFIER`]).
async fn code_for(env: &SessionEnv, cookie: &str) -> String {
    let challenge = s256(VERIFIER);
    let r = authorize(
        env,
        Some(cookie),
        &app_request(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]),
    )
    .await;
    assert_eq!(r.status, 302, "{}", r.body);
    let q = query_of(r.header("location"));
    assert_eq!(q["state"], "st-1");
    assert_eq!(
        q["iss"],
        format!("http://localhost:{}/.passgate", env.api.port)
    );
    q["code"].clone()
}

/// `POST /oidc/<path>` with a form, with HTTP Basic when `basic` is given.
async fn post_form(
    env: &SessionEnv,
    path: &str,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> Reply {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut req = client()
        .post(env.gw().url(&format!("/.passgate/oidc/{path}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some((id, secret)) = basic {
        req = req.header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))),
        );
    }
    send(req).await
}

async fn exchange(env: &SessionEnv, code: &str, verifier: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", "http://localhost:9/cb"),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    post_form(env, "token", Some(("app", SECRET)), &form).await
}

async fn refresh(env: &SessionEnv, token: &str) -> Reply {
    post_form(
        env,
        "token",
        Some(("app", SECRET)),
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

async fn userinfo(env: &SessionEnv, access: &str) -> Reply {
    send(
        client()
            .get(env.gw().url("/.passgate/oidc/userinfo"))
            .bearer_auth(access),
    )
    .await
}

fn assert_oauth_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.json()["error"], error, "{}", r.body);
    assert!(r.json().get("access_token").is_none());
}

/// The ID token's claims, checked with the key the JWKS publishes for its `kid`.
async fn verified_claims(env: &SessionEnv, id_token: &str, aud: &str) -> Value {
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let jwks = send(client().get(env.gw().url("/.passgate/jwks.json")))
        .await
        .json();
    let kid = header.kid.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("kid {kid} not in {jwks}"))
        .clone();
    let (alg, key) = match jwk["kty"].as_str().unwrap() {
        "EC" => (
            Algorithm::ES256,
            DecodingKey::from_ec_components(jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap())
                .unwrap(),
        ),
        "RSA" => (
            Algorithm::RS256,
            DecodingKey::from_rsa_components(
                jwk["n"].as_str().unwrap(),
                jwk["e"].as_str().unwrap(),
            )
            .unwrap(),
        ),
        _ => (
            Algorithm::EdDSA,
            DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap(),
        ),
    };
    assert_eq!(header.alg, alg);
    let mut v = Validation::new(alg);
    v.set_audience(&[aud]);
    v.set_issuer(&[format!("http://localhost:{}/.passgate", env.api.port)]);
    jsonwebtoken::decode::<Value>(id_token, &key, &v)
        .unwrap()
        .claims
}

async fn discovery_and_keys_on_the_auth_host(backend: Backend) {
    let Some(env) = env(backend).await else {
        return;
    };
    let r = send(client().get(env.gw().url("/.passgate/.well-known/openid-configuration"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = r.json();
    let iss = format!("http://localhost:{}/.passgate", env.api.port);
    assert_eq!(d["issuer"], iss.as_str());
    assert_eq!(d["jwks_uri"], format!("{iss}/jwks.json"));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert!(d["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("RS256")));
    let jwks = send(client().get(env.gw().url("/.passgate/jwks.json")))
        .await
        .json();
    let ktys: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert!(
        ktys.contains(&"RS256") && ktys.contains(&"ES256") && ktys.contains(&"EdDSA"),
        "{jwks}"
    );
    // `passgate keys list` shows them; `keys rotate` adds a pending successor of each.
    let ours = |out: std::process::Output| -> Vec<(String, String)> {
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["use"] == "id_token")
            .map(|v| {
                (
                    v["alg"].as_str().unwrap().to_string(),
                    v["state"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let mut listed = ours(env.cli(&["keys", "list"]));
    listed.sort();
    assert_eq!(
        listed,
        [
            ("ES256", "signing"),
            ("EdDSA", "signing"),
            ("RS256", "signing")
        ]
        .map(|(a, s)| (a.to_string(), s.to_string()))
    );
    let out = env.cli(&["keys", "rotate", "--activate-in", "1h"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = ours(env.cli(&["keys", "list"]));
    assert_eq!(listed.len(), 6, "{listed:?}");
    assert_eq!(listed.iter().filter(|(_, s)| s == "pending").count(), 3);
    // Another host passgate answers on: no provider there.
    let other = send(
        client()
            .get(format!(
                "http://127.0.0.1:{}/.passgate/.well-known/openid-configuration",
                env.api.port
            ))
            .header("host", format!("app.localhost:{}", env.api.port)),
    )
    .await;
    assert_eq!(other.status, 404, "{}", other.body);
}

async fn code_flow_refresh_userinfo_revoke_and_logout(backend: Backend) {
    let Some(env) = env(backend).await else {
        return;
    };
    let (id, cookie) = env.sign_in("alice").await;
    let code = code_for(&env, &cookie).await;
    let r = exchange(&env, &code, Some(VERIFIER)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), "no-store");
    let t = r.json();
    assert_eq!(t["token_type"], "Bearer");
    let claims = verified_claims(&env, t["id_token"].as_str().unwrap(), "app").await;
    assert_eq!(claims["sub"], id.as_str());
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["amr"], json!(["hwk", "user"]));
    assert!(claims["auth_time"].as_u64().is_some());

    // A client that asked for ES256 ID tokens gets them, verifiable with the JWKS.
    let challenge = s256(VERIFIER);
    let r = authorize(
        &env,
        Some(&cookie),
        &[
            ("client_id", "es"),
            ("redirect_uri", "http://localhost:9/es"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let es_code = query_of(r.header("location"))["code"].clone();
    let es = post_form(
        &env,
        "token",
        Some(("es", SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &es_code),
            ("redirect_uri", "http://localhost:9/es"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(es.status, 200, "{}", es.body);
    let es_id = es.json()["id_token"].as_str().unwrap().to_string();
    assert_eq!(
        jsonwebtoken::decode_header(&es_id).unwrap().alg,
        Algorithm::ES256
    );
    assert_eq!(
        verified_claims(&env, &es_id, "es").await["sub"],
        id.as_str()
    );

    let access = t["access_token"].as_str().unwrap().to_string();
    let u = userinfo(&env, &access).await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert_eq!(u.json()["sub"], id.as_str());
    assert_eq!(u.json()["groups"], json!([]));

    // Introspection: the confidential client sees its token; another client does not.
    let i = post_form(
        &env,
        "introspect",
        Some(("app", SECRET)),
        &[("token", &access)],
    )
    .await;
    assert_eq!(i.json()["active"], true, "{}", i.body);
    assert_eq!(i.json()["username"], "alice");
    let i = post_form(
        &env,
        "introspect",
        None,
        &[
            ("client_id", "other"),
            ("client_secret", OTHER_SECRET),
            ("token", &access),
        ],
    )
    .await;
    assert_eq!(i.json(), json!({"active": false}));
    let i = post_form(
        &env,
        "introspect",
        None,
        &[("client_id", "spa"), ("token", &access)],
    )
    .await;
    assert_oauth_error(&i, 401, "invalid_client");

    // Refresh rotates: the new token works, the old one is refused and ends the grant.
    let first = t["refresh_token"].as_str().unwrap().to_string();
    let r2 = refresh(&env, &first).await;
    assert_eq!(r2.status, 200, "{}", r2.body);
    let second = r2.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let again = refresh(&env, &first).await;
    assert_oauth_error(&again, 400, "invalid_grant");
    assert_oauth_error(&refresh(&env, &second).await, 400, "invalid_grant");
    assert_eq!(
        userinfo(&env, r2.json()["access_token"].as_str().unwrap())
            .await
            .status,
        401
    );

    // Revocation (RFC 7009): the refresh token ends its grant; unknown tokens answer 200.
    let t = exchange(&env, &code_for(&env, &cookie).await, Some(VERIFIER))
        .await
        .json();
    let rv = post_form(
        &env,
        "revoke",
        Some(("app", SECRET)),
        &[("token", t["refresh_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(rv.status, 200, "{}", rv.body);
    assert_eq!(
        userinfo(&env, t["access_token"].as_str().unwrap())
            .await
            .status,
        401
    );
    let rv = post_form(
        &env,
        "revoke",
        Some(("app", SECRET)),
        &[("token", "nonsense")],
    )
    .await;
    assert_eq!(rv.status, 200);

    // Logout: the registered URI gets state back; the session and its tokens end.
    let t = exchange(&env, &code_for(&env, &cookie).await, Some(VERIFIER))
        .await
        .json();
    let hint = t["id_token"].as_str().unwrap();
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", "http://localhost:9/bye"),
            ("state", "bye-1"),
        ])
        .finish();
    let out = send(
        client()
            .get(env.gw().url(&format!("/.passgate/oidc/logout?{q}")))
            .header("cookie", format!("passgate_session={cookie}")),
    )
    .await;
    assert_eq!(out.status, 302, "{}", out.body);
    assert_eq!(out.header("location"), "http://localhost:9/bye?state=bye-1");
    // The same as a form post from the app's page (another site): the session is gone.
    let posted = send(
        client()
            .post(env.gw().url("/.passgate/oidc/logout"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .header("cookie", format!("passgate_session={cookie}"))
            .body(q.clone()),
    )
    .await;
    assert_eq!(posted.status, 302, "{}", posted.body);
    assert_eq!(
        posted.header("location"),
        "http://localhost:9/bye?state=bye-1"
    );
    assert_eq!(
        userinfo(&env, t["access_token"].as_str().unwrap())
            .await
            .status,
        401
    );
    assert_oauth_error(
        &refresh(&env, t["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    );
    let events = crate::support::console::events(&env).await;
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    for a in [
        "oidc.authorize",
        "oidc.token",
        "oidc.refresh",
        "oidc.refresh.replayed",
        "oidc.revoke",
    ] {
        assert!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
}

async fn bad_authorization_requests_are_refused(backend: Backend) {
    let Some(env) = env(backend).await else {
        return;
    };
    let (_, cookie) = env.sign_in("bob").await;
    // Unknown client, unregistered or missing redirect URI: an error here, no redirect.
    for params in [
        vec![
            ("client_id", "nope"),
            ("redirect_uri", "http://localhost:9/cb"),
        ],
        vec![
            ("client_id", "app"),
            ("redirect_uri", "http://localhost:9/cb/extra"),
        ],
        vec![
            ("client_id", "app"),
            ("redirect_uri", "http://evil.example/cb"),
        ],
        vec![
            ("client_id", "app"),
            ("redirect_uri", "http://localhost:9/other"),
        ],
        vec![("client_id", "app")],
    ] {
        let mut p = params.clone();
        p.extend([("response_type", "code"), ("scope", "openid")]);
        let r = authorize(&env, Some(&cookie), &p).await;
        assert_eq!(r.status, 400, "{params:?}: {}", r.body);
        assert_eq!(r.json()["error"], "invalid_request");
        assert_eq!(r.header("location"), "");
    }
    // The redirect URI is trusted: the error goes back there, with state and iss.
    let iss = format!("http://localhost:{}/.passgate", env.api.port);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("scope", "profile")], "invalid_scope"),
        (
            vec![("code_challenge", "x"), ("code_challenge_method", "plain")],
            "invalid_request",
        ),
        (vec![("prompt", "none login")], "invalid_request"),
        (vec![("request", "eyJ")], "request_not_supported"),
    ];
    for (extra, error) in cases {
        let mut p = app_request(&[]);
        p.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        p.extend(extra.iter().copied());
        let r = authorize(&env, Some(&cookie), &p).await;
        assert_eq!(r.status, 302, "{extra:?}: {}", r.body);
        let q = query_of(r.header("location"));
        assert_eq!(q["error"], error, "{extra:?}");
        assert_eq!(q["state"], "st-1");
        assert_eq!(q["iss"], iss);
        assert!(!q.contains_key("code"));
    }
    // A public client must use PKCE.
    let r = authorize(
        &env,
        Some(&cookie),
        &[
            ("client_id", "spa"),
            ("redirect_uri", "http://localhost:9/spa"),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(query_of(r.header("location"))["error"], "invalid_request");
    // Not signed in: prompt=none is an error, otherwise the sign-in page and back.
    let r = authorize(&env, None, &app_request(&[("prompt", "none")])).await;
    assert_eq!(query_of(r.header("location"))["error"], "login_required");
    let r = authorize(&env, None, &app_request(&[])).await;
    assert_eq!(r.status, 302);
    let loc = r.header("location");
    assert!(
        loc.starts_with("/.passgate/login?rd=%2F.passgate%2Foidc%2Fauthorize%3F"),
        "{loc}"
    );
    // prompt=login with a session: a fresh sign-in first, and no loop once it happened.
    let r = authorize(&env, Some(&cookie), &app_request(&[("prompt", "login")])).await;
    assert!(
        r.header("location").starts_with("/.passgate/login?rd="),
        "{}",
        r.header("location")
    );
    // max_age passed: sign in again.
    env.clock().advance_secs(120);
    let (_, cookie) = env.sign_in("bob2").await;
    env.clock().advance_secs(30);
    let r = authorize(&env, Some(&cookie), &app_request(&[("max_age", "10")])).await;
    assert!(
        r.header("location").starts_with("/.passgate/login?rd="),
        "{}",
        r.header("location")
    );
    let r = authorize(&env, Some(&cookie), &app_request(&[("max_age", "3600")])).await;
    assert!(query_of(r.header("location")).contains_key("code"));
    // allow_groups: bob is in no group.
    let r = authorize(
        &env,
        Some(&cookie),
        &[
            ("client_id", "ops-only"),
            ("redirect_uri", "http://localhost:9/ops"),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(query_of(r.header("location"))["error"], "access_denied");
}

async fn bad_token_requests_are_refused(backend: Backend) {
    let Some(env) = env(backend).await else {
        return;
    };
    let (_, cookie) = env.sign_in("carol").await;

    // Missing and wrong verifiers; the code is spent either way.
    let code = code_for(&env, &cookie).await;
    assert_oauth_error(&exchange(&env, &code, None).await, 400, "invalid_grant");
    let code = code_for(&env, &cookie).await;
    let wrong = "wrong-verifier-0123456789-0123456789-0123456789-01234";
    assert_oauth_error(
        &exchange(&env, &code, Some(wrong)).await,
        400,
        "invalid_grant",
    );
    assert_oauth_error(
        &exchange(&env, &code, Some(VERIFIER)).await,
        400,
        "invalid_grant",
    );

    // A different redirect_uri at the token endpoint.
    let code = code_for(&env, &cookie).await;
    let r = post_form(
        &env,
        "token",
        Some(("app", SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:9/cb?x=1"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_oauth_error(&r, 400, "invalid_grant");

    // Another client's secret, a wrong secret, the wrong method, no authentication.
    let code = code_for(&env, &cookie).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://localhost:9/cb"),
        ("code_verifier", VERIFIER),
    ];
    for basic in [("app", OTHER_SECRET), ("other", OTHER_SECRET), ("app", "x")] {
        let r = post_form(&env, "token", Some(basic), &form).await;
        assert_oauth_error(&r, 401, "invalid_client");
        assert!(r.header("www-authenticate").starts_with("Basic"));
    }
    let mut post = form.to_vec();
    post.extend([("client_id", "app"), ("client_secret", SECRET)]);
    assert_oauth_error(
        &post_form(&env, "token", None, &post).await,
        401,
        "invalid_client",
    );
    // The other client, authenticated properly, cannot redeem app's code.
    let mut other = form.to_vec();
    other.extend([("client_id", "other"), ("client_secret", OTHER_SECRET)]);
    assert_oauth_error(
        &post_form(&env, "token", None, &other).await,
        400,
        "invalid_grant",
    );

    // Reuse: the second exchange fails and revokes what the first issued.
    let code = code_for(&env, &cookie).await;
    let first = exchange(&env, &code, Some(VERIFIER)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let access = first.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(userinfo(&env, &access).await.status, 200);
    assert_oauth_error(
        &exchange(&env, &code, Some(VERIFIER)).await,
        400,
        "invalid_grant",
    );
    let u = userinfo(&env, &access).await;
    assert_eq!(u.status, 401);
    assert!(u.header("www-authenticate").contains("invalid_token"));
    assert_oauth_error(
        &refresh(&env, first.json()["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    );

    // Expiry: a code older than 60 s is refused.
    let code = code_for(&env, &cookie).await;
    env.clock().advance_secs(61);
    assert_oauth_error(
        &exchange(&env, &code, Some(VERIFIER)).await,
        400,
        "invalid_grant",
    );

    // Grant types, form encoding, repeated parameters.
    let r = post_form(
        &env,
        "token",
        Some(("app", SECRET)),
        &[("grant_type", "password")],
    )
    .await;
    assert_oauth_error(&r, 400, "unsupported_grant_type");
    let r = send(
        client()
            .post(env.gw().url("/.passgate/oidc/token"))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert_oauth_error(&r, 400, "invalid_request");
    let r = post_form(
        &env,
        "token",
        Some(("app", SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("grant_type", "refresh_token"),
        ],
    )
    .await;
    assert_oauth_error(&r, 400, "invalid_request");

    // The refusals above that name a client are in its realm's audit log, with the OAuth
    // error each answered (they used to be written tenant-wide, where no realm log shows them).
    let events = crate::support::console::events(&env).await;
    let refused: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "oidc.token.refused")
        .collect();
    assert!(refused.len() >= 8, "token refusals audited: {refused:?}");
    let errors = refused
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    for code in ["invalid_grant", "invalid_client", "unsupported_grant_type"] {
        assert!(errors.contains(code), "{code} not in {errors}");
    }
}

async fn tokens_sent_back_and_logout_redirects_are_refused(backend: Backend) {
    let Some(env) = env(backend).await else {
        return;
    };
    let (_, cookie) = env.sign_in("carol").await;
    // Tokens sent back: alg none and an HS256 token keyed with a public key are refused.
    let t = exchange(&env, &code_for(&env, &cookie).await, Some(VERIFIER))
        .await
        .json();
    let real = t["id_token"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(real).unwrap().kid.unwrap();
    let payload = real.split('.').nth(1).unwrap();
    let none_header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{kid}"}}"#));
    let alg_none = format!("{none_header}.{payload}.");
    let jwks = send(client().get(env.gw().url("/.passgate/jwks.json")))
        .await
        .json();
    let n = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap()["n"]
        .as_str()
        .unwrap()
        .to_string();
    let mut h = jsonwebtoken::Header::new(Algorithm::HS256);
    h.kid = Some(kid.clone());
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let hs256 = jsonwebtoken::encode(
        &h,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(n.as_bytes()),
    )
    .unwrap();
    for forged in [alg_none.as_str(), hs256.as_str()] {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("id_token_hint", forged),
                ("post_logout_redirect_uri", "http://localhost:9/bye"),
            ])
            .finish();
        let r = send(
            client()
                .get(env.gw().url(&format!("/.passgate/oidc/logout?{q}")))
                .header("cookie", format!("passgate_session={cookie}")),
        )
        .await;
        assert_oauth_error(&r, 400, "invalid_request");
        assert_eq!(r.header("location"), "");
        let u = userinfo(&env, forged).await;
        assert_eq!(u.status, 401);
    }
    // Open redirects after logout: only the client's registered URIs.
    for (hint_or_client, uri) in [
        (("id_token_hint", real), "http://evil.example/bye"),
        (("id_token_hint", real), "http://localhost:9/bye/../x"),
        (("client_id", "other"), "http://localhost:9/bye"),
        (("client_id", "nope"), "http://localhost:9/bye"),
    ] {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([hint_or_client, ("post_logout_redirect_uri", uri)])
            .finish();
        let r = send(
            client()
                .get(env.gw().url(&format!("/.passgate/oidc/logout?{q}")))
                .header("cookie", format!("passgate_session={cookie}")),
        )
        .await;
        assert_oauth_error(&r, 400, "invalid_request");
        assert_eq!(r.header("location"), "");
    }
    // Nothing above ended the session: a refused logout changes nothing.
    assert_eq!(
        userinfo(&env, t["access_token"].as_str().unwrap())
            .await
            .status,
        200
    );
}

async fn tokens_end_with_the_session(backend: Backend) {
    let Some(env) = env(backend).await else {
        return;
    };
    // Suspension ends the tokens (the session ends with it).
    let (id, cookie) = env.sign_in("dave").await;
    let t = exchange(&env, &code_for(&env, &cookie).await, Some(VERIFIER))
        .await
        .json();
    let (s, v) = env
        .api
        .patch(
            &crate::support::admin::realm_path(&format!("/identities/{id}")),
            json!({"identity": {"status": "suspended"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        userinfo(&env, t["access_token"].as_str().unwrap())
            .await
            .status,
        401
    );
    assert_oauth_error(
        &refresh(&env, t["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    );
    // Sign-out ends them too.
    let (_, cookie) = env.sign_in("erin").await;
    let t = exchange(&env, &code_for(&env, &cookie).await, Some(VERIFIER))
        .await
        .json();
    let r = send(
        client()
            .delete(env.gw().url("/.passgate/api/v1/session"))
            .header("cookie", format!("passgate_session={cookie}")),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_oauth_error(
        &refresh(&env, t["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    );
}

async fn passkey_revocation_and_scim_deactivation_end_tokens(backend: Backend) {
    use crate::support::authenticator::Authenticator;
    use crate::support::binding::{begin, finish, return_link, token_of};
    use crate::support::sessions::token_in_set_cookie;
    let Some(env) = env(backend).await else {
        return;
    };
    // A session started by binding a passkey (the soft authenticator) is tied to it.
    let mut device = Authenticator::new();
    let id = env.api.create_identity("frank").await;
    let (_, link) = return_link(&env.api, &id).await;
    let (s, options) = begin(&env.api, &token_of(&link)).await;
    assert_eq!(s, 200, "{options}");
    let origin = format!("http://localhost:{}", env.api.port);
    let credential = device.register(&origin, &options).unwrap();
    let done = finish(&env.api, options["ceremony"].as_str().unwrap(), &credential).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let cookie = token_in_set_cookie(done.set_cookie.as_deref().unwrap());
    let t = exchange(&env, &code_for(&env, &cookie).await, Some(VERIFIER))
        .await
        .json();
    let access = t["access_token"].as_str().unwrap().to_string();
    assert_eq!(userinfo(&env, &access).await.status, 200);
    let passkey = done.body["passkey"]["id"].as_str().unwrap().to_string();
    let (s, v) = env
        .api
        .post(
            &crate::support::admin::realm_path(&format!("/credentials/{passkey}:revoke")),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(userinfo(&env, &access).await.status, 401);
    assert_oauth_error(
        &refresh(&env, t["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    );

    // SCIM deactivation, then reactivation: the tokens stay ended.
    let (id, cookie) = env.sign_in("grace").await;
    let t = exchange(&env, &code_for(&env, &cookie).await, Some(VERIFIER))
        .await
        .json();
    let scim = crate::scim::Scim::new(&env.api);
    for active in ["False", "True"] {
        let r = scim
            .patch(
                &format!("/Users/{id}"),
                json!([{"op": "Replace", "path": "active", "value": active}]),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(
        userinfo(&env, t["access_token"].as_str().unwrap())
            .await
            .status,
        401
    );
    assert_oauth_error(
        &refresh(&env, t["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    );
}

/// The `rd` of a 302 to the hosted sign-in page: where the browser goes once signed in.
fn sign_in_return(r: &Reply) -> String {
    let loc = r.header("location");
    assert!(
        loc.starts_with("/.passgate/login?rd="),
        "{} {loc}",
        r.status
    );
    let url = url::Url::parse(&format!("http://x{loc}")).unwrap();
    let rd = url.query_pairs().find(|(k, _)| k == "rd").unwrap().1;
    assert!(rd.starts_with("/.passgate/oidc/authorize?"), "{rd}");
    rd.into_owned()
}

/// A way back without its "signed in at or after" stamp.
fn without_stamp(rd: &str) -> &str {
    let stamp = rd.find("&passgate_auth_after=").expect("stamped");
    &rd[..stamp]
}

/// The browser's trip back from the sign-in page: `rd` with the session cookie.
async fn come_back(env: &SessionEnv, rd: &str, cookie: &str) -> Reply {
    let req = client()
        .get(env.gw().url(rd))
        .header("cookie", format!("passgate_session={cookie}"));
    send(req).await
}

/// The ID token's `auth_time` for the code in a redirect to `app`.
async fn auth_time_of(env: &SessionEnv, r: &Reply) -> u64 {
    assert_eq!(r.status, 302, "{}", r.body);
    let q = query_of(r.header("location"));
    assert_eq!(q["state"], "st-1", "{q:?}");
    let t = exchange(env, &q["code"], Some(VERIFIER)).await;
    assert_eq!(t.status, 200, "{}", t.body);
    let claims = verified_claims(env, t.json()["id_token"].as_str().unwrap(), "app").await;
    claims["auth_time"].as_u64().unwrap()
}

/// `prompt=login` and an exceeded `max_age` send a signed-in browser to sign in again and
/// back: the way back carries no `prompt=login` (it would loop) but "signed in at or after
/// now", which the old session does not meet and the fresh one does; the code it then
/// gets is for the fresh sign-in (`auth_time`).
async fn forced_sign_ins_come_back_with_a_code_for_the_fresh_session(backend: Backend) {
    let Some(env) = env(backend).await else {
        return;
    };
    let challenge = s256(VERIFIER);
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (id, _) = env.sign_in("carol").await;
    let old = env.start_session_on_clock(&id).await;
    let plain = authorize(&env, Some(&old), &app_request(&pkce)).await;
    let first = auth_time_of(&env, &plain).await;

    env.clock().advance_secs(60);
    let mut forced = pkce.to_vec();
    forced.push(("prompt", "login"));
    let r = authorize(&env, Some(&old), &app_request(&forced)).await;
    let rd = sign_in_return(&r);
    let back: HashMap<String, String> = url::Url::parse(&format!("http://x{rd}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert!(!back.contains_key("prompt"), "{rd}");
    let after: u64 = back["passgate_auth_after"].parse().unwrap();
    assert!(after >= first + 60, "{after} vs {first}");
    assert_eq!(back["code_challenge"], challenge);

    // The old session coming back is not a fresh sign-in: to the sign-in page again, the
    // same way back (stamped with the time of this refusal).
    let again = come_back(&env, &rd, &old).await;
    assert_eq!(without_stamp(&sign_in_return(&again)), without_stamp(&rd));

    // Signed in again: the code, for the new sign-in.
    env.clock().advance_secs(5);
    let fresh = env.start_session_on_clock(&id).await;
    let code = come_back(&env, &rd, &fresh).await;
    let second = auth_time_of(&env, &code).await;
    assert!(
        second >= after && second >= first + 65,
        "{second} vs {after}"
    );

    // max_age: the fresh session is 120 s old, max_age 60 wants a newer one.
    env.clock().advance_secs(120);
    let mut aged = pkce.to_vec();
    aged.push(("max_age", "60"));
    let r = authorize(&env, Some(&fresh), &app_request(&aged)).await;
    let rd = sign_in_return(&r);
    assert!(rd.contains("max_age=60"), "{rd}");
    let again = come_back(&env, &rd, &fresh).await;
    assert_eq!(without_stamp(&sign_in_return(&again)), without_stamp(&rd));
    let newest = env.start_session_on_clock(&id).await;
    let third = auth_time_of(&env, &come_back(&env, &rd, &newest).await).await;
    assert!(third >= second + 120, "{third} vs {second}");
    // Within max_age now: straight to the client.
    let r = authorize(&env, Some(&newest), &app_request(&aged)).await;
    assert_eq!(auth_time_of(&env, &r).await, third);
}

/// The `kid`s `/.passgate/jwks.json` publishes.
async fn published_kids(env: &SessionEnv) -> Vec<String> {
    let jwks = send(client().get(env.gw().url("/.passgate/jwks.json")))
        .await
        .json();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

/// Polls the JWKS (the gateway's background round runs every second) until `done` holds.
async fn jwks_until(env: &SessionEnv, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let kids = published_kids(env).await;
        if done(&kids) {
            return kids;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: {kids:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The `kid` an ID token for `cookie`'s session is signed with (checked with the JWKS).
async fn id_token_kid(env: &SessionEnv, cookie: &str) -> String {
    let code = code_for(env, cookie).await;
    let t = exchange(env, &code, Some(VERIFIER)).await;
    assert_eq!(t.status, 200, "{}", t.body);
    let id_token = t.json()["id_token"].as_str().unwrap().to_string();
    verified_claims(env, &id_token, "app").await;
    jsonwebtoken::decode_header(&id_token).unwrap().kid.unwrap()
}

/// `session.key_rotation` over time, on the gateway's clock: when a key has signed for the
/// rotation period a successor is published at once and signs a few seconds later; ID
/// tokens are then signed with it and verify with the JWKS; the old key stays published
/// while a token it signed may still be presented (`oidc.access_token_ttl` and the skew),
/// then goes.
async fn id_token_keys_rotate_on_schedule_and_old_ones_are_pruned(backend: Backend) {
    let config = format!("[session]\nkey_rotation = \"1h\"\n{}", clients());
    let Some(env) = SessionEnv::start_on_clock(backend, &config, "").await else {
        return;
    };
    let (id, _) = env.sign_in("dana").await;
    let first = id_token_kid(&env, &env.start_session_on_clock(&id).await).await;
    let before = published_kids(&env).await;
    assert!(before.contains(&first), "{first} in {before:?}");

    // An hour on: a successor of every key is published (at least the three ID-token
    // keys: RS256, ES256, EdDSA; the session key too).
    env.clock().advance_secs(3600 + 60);
    let rotated = jwks_until(&env, "successors published", |kids| {
        kids.len() >= before.len() + 3
    })
    .await;
    assert!(rotated.contains(&first), "the old key stays: {rotated:?}");
    // It signs after the activation delay (from the gateway's next round on).
    env.clock().advance_secs(30);
    let session = env.start_session_on_clock(&id).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let second = loop {
        let kid = id_token_kid(&env, &session).await;
        if kid != first {
            break kid;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still signed by {first}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(
        rotated.contains(&second) && !before.contains(&second),
        "{second} in {rotated:?}"
    );
    // Five minutes of access-token life later (and the skew), the old ID-token key goes.
    env.clock().advance_secs(10 * 60);
    let pruned = jwks_until(&env, "the old ID-token key pruned", |kids| {
        !kids.contains(&first)
    })
    .await;
    assert!(
        !pruned.contains(&first) && pruned.contains(&second),
        "{pruned:?}"
    );
    // The new key keeps signing.
    let session = env.start_session_on_clock(&id).await;
    assert_eq!(id_token_kid(&env, &session).await, second);
}

on_both_backends!(
    id_token_keys_rotate_on_schedule_and_old_ones_are_pruned,
    forced_sign_ins_come_back_with_a_code_for_the_fresh_session,
    passkey_revocation_and_scim_deactivation_end_tokens,
    discovery_and_keys_on_the_auth_host,
    code_flow_refresh_userinfo_revoke_and_logout,
    bad_authorization_requests_are_refused,
    bad_token_requests_are_refused,
    tokens_sent_back_and_logout_redirects_are_refused,
    tokens_end_with_the_session,
);

#[test]
fn check_names_the_key_of_every_client_problem() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("passgate.toml");
    std::fs::write(
        &cfg,
        "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:8080\"\n\
         [[oidc.clients]]\nid = \"grafana\"\nsecret_env = \"PASSGATE_TEST_OIDC_SECRET\"\n\
         redirect_uris = [\"http://grafana.example.com/login/generic_oauth\"]\n",
    )
    .unwrap();
    let run = |secret: Option<&str>| {
        let mut c = std::process::Command::new(crate::support::gateway::BIN);
        c.args(["check", "--config"])
            .arg(&cfg)
            .env_remove("PASSGATE_CONFIG");
        match secret {
            Some(s) => c.env("PASSGATE_TEST_OIDC_SECRET", s),
            None => c.env_remove("PASSGATE_TEST_OIDC_SECRET"),
        };
        let out = c.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, err) = run(None);
    assert!(!ok);
    assert!(err.contains("oidc.clients[0].secret_env (line 6)"), "{err}");
    assert!(err.contains("oidc.clients[0].redirect_uris[0]"), "{err}");
    assert!(err.contains("must use https"), "{err}");
    std::fs::write(
        &cfg,
        "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:8080\"\n\
         [[oidc.clients]]\nid = \"grafana\"\nsecret_env = \"PASSGATE_TEST_OIDC_SECRET\"\n\
         redirect_uris = [\"https://grafana.example.com/login/generic_oauth\"]\n",
    )
    .unwrap();
    let (ok, err) = run(Some("short"));
    assert!(!ok && err.contains("shorter than 32"), "{err}");
    let (ok, err) = run(Some("a-long-enough-secret-0123456789-0123456789"));
    assert!(ok, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_are_rate_limited_per_address() {
    let Some(env) = env(Backend::Sqlite).await else {
        return;
    };
    let form = [("grant_type", "authorization_code"), ("code", "nope")];
    for i in 0..20 {
        let r = post_form(&env, "token", Some(("app", "wrong")), &form).await;
        assert_eq!(r.status, 401, "refusal {i}: {}", r.body);
    }
    // Blocked now, even with the right secret, for the rest of the window.
    let r = post_form(&env, "token", Some(("app", SECRET)), &form).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(!r.header("retry-after").is_empty());
    env.clock().advance_secs(301);
    let r = post_form(&env, "token", Some(("app", SECRET)), &form).await;
    assert_oauth_error(&r, 400, "invalid_grant");
}
