//! The OpenAPI document: the gateway serves exactly the committed `docs/openapi.json`, and
//! every operation it documents is routed (not the fallback 404 or a 405).
//!
//! After changing a request or response type: `cargo run -q -- openapi > docs/openapi.json`
//! (or run this test with `PASSGATE_BLESS_OPENAPI=1`).

use reqwest::Method;
use serde_json::Value;

use crate::support::admin::AdminApi;
use crate::support::db::Backend;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_document_is_the_committed_one() {
    let api = AdminApi::start(Backend::Sqlite).await.unwrap();
    let resp = reqwest::get(api.url("/.passgate/v1/openapi.json"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let served = resp.text().await.unwrap();
    if std::env::var_os("PASSGATE_BLESS_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &served).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        served == committed,
        "docs/openapi.json differs from the served document; regenerate it with \
         `cargo run -q -- openapi > docs/openapi.json`"
    );
    let doc: Value = serde_json::from_str(&served).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    // The CLI prints the same bytes.
    let out = std::process::Command::new(crate::support::gateway::BIN)
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap() == served);
}

/// Each documented path and method, with every parameter `x`, reaches a handler: the
/// answer is the handler's (a 4xx naming what is missing or wrong), never the router's
/// "no such passgate endpoint" nor `405`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_routed() {
    let api = AdminApi::start(Backend::Sqlite).await.unwrap();
    let doc: Value = serde_json::from_str(passgate::control::openapi::json()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = fill(path);
        for method in item.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let body = matches!(m, Method::POST | Method::PATCH).then(|| serde_json::json!({}));
            let (status, answer) = api.call(m, &concrete, body).await;
            assert_ne!(status, 405, "{method} {path}: {answer}");
            assert!(
                !(status == 404 && answer["message"] == "no such passgate endpoint"),
                "{method} {path} is documented but not routed: {answer}"
            );
            assert!(status < 500, "{method} {path}: {status} {answer}");
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} operations documented");
}

/// `path` with every `{param}` replaced by `x` (tenant and realm by `default`).
fn fill(path: &str) -> String {
    path.replace("{tenant}", "default")
        .replace("{realm}", "default")
        .split('{')
        .enumerate()
        .map(|(i, part)| match (i, part.split_once('}')) {
            (0, _) | (_, None) => part.to_string(),
            (_, Some((_, rest))) => format!("x{rest}"),
        })
        .collect()
}
