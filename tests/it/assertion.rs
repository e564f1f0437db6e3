//! `assertion = true`: the upstream receives `X-Passgate-Jwt-Assertion`, verified here
//! against `/.passgate/jwks.json` with ed25519-dalek directly (not passgate's verifier):
//! `alg`, `kid`, signature, `iss`, `aud` (the route host), `sub`, `email`, `groups`, a short
//! `exp`; reused across requests; a spoofed one from the client never passes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::Value;

use crate::policy_rules::token;
use crate::support::client;
use crate::support::db::Backend;
use crate::support::http::{echoed, echoed_one, send};
use crate::support::sessions::{now, SessionEnv};

const ROUTES: &str = r#"
[[routes]]
host = "app.test"
upstream = "{u}"
assertion = true

[[routes]]
host = "*"
upstream = "{u}"
"#;

fn b64json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Verifies `jwt` with the JWKS key named by its `kid`; returns the claims.
fn verify(jwt: &str, jwks: &Value) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let header = b64json(parts[0]);
    assert_eq!(header["alg"], "EdDSA");
    let kid = header["kid"].as_str().unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} not in {jwks}"));
    assert_eq!(jwk["crv"], "Ed25519");
    let x: [u8; 32] = URL_SAFE_NO_PAD
        .decode(jwk["x"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let key = VerifyingKey::from_bytes(&x).unwrap();
    let sig: [u8; 64] = URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap()
        .try_into()
        .unwrap();
    key.verify(
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &Signature::from_bytes(&sig),
    )
    .expect("the assertion's signature verifies with the published key");
    b64json(parts[1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assertion_verifies_against_the_jwks() {
    let Some(env) = SessionEnv::start_routes(Backend::Sqlite, "", ROUTES).await else {
        return;
    };
    let ring = env.ring().await;
    let zoe = token(&env, &ring, "zoe", "zoe@example.com", &["staff", "ops"], 0);
    let jwks: Value = send(client().get(env.gw().url("/.passgate/jwks.json")))
        .await
        .json();
    let get = |host: &str| {
        client()
            .get(env.gw().url("/x"))
            .header("host", host)
            .header("cookie", format!("passgate_session={zoe}"))
            .header("X-Passgate-Jwt-Assertion", "forged.by.client")
    };

    let echo = send(get("app.test")).await.echo();
    let jwt = echoed_one(&echo, "x-passgate-jwt-assertion");
    let c = verify(&jwt, &jwks);
    assert_eq!(c["iss"], format!("http://localhost:{}", env.api.port));
    assert_eq!(c["aud"], "app.test");
    assert_eq!(c["sub"], "id_zoe");
    assert_eq!(c["email"], "zoe@example.com");
    assert_eq!(c["groups"], serde_json::json!(["staff", "ops"]));
    let (iat, exp) = (c["iat"].as_u64().unwrap(), c["exp"].as_u64().unwrap());
    assert!(iat <= now() + 1 && iat + 5 >= now(), "{c}");
    assert!(exp > now() && exp - iat <= 300, "short-lived: {c}");

    // Cached: the next request gets the same assertion, not a new signature.
    let again = echoed_one(
        &send(get("app.test")).await.echo(),
        "x-passgate-jwt-assertion",
    );
    assert_eq!(again, jwt);

    // A route without `assertion` forwards none, and never the client's.
    let echo = send(get("other.test")).await.echo();
    assert!(
        echoed(&echo, "x-passgate-jwt-assertion").is_empty(),
        "{echo}"
    );
}
