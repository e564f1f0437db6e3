//! Bad input gets a SCIM error with the right status and writes nothing, and the gateway
//! keeps serving: malformed JSON, bodies that are not objects, unknown or missing schemas,
//! wrong types, a 10 MiB body, an unknown extension.

use reqwest::Method;
use serde_json::json;

use super::{Scim, GROUP, USER};
use crate::support::admin::AdminApi;
use crate::support::db::Backend;
use crate::support::raw::{exchange, RawReply};

on_both_backends!(bad_input_is_refused);

async fn bad_input_is_refused(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let raw = |method: Method, path: &str, body: Vec<u8>| {
        scim.request(method, path)
            .header("content-type", "application/scim+json")
            .body(body)
    };
    for body in [
        &b"{\"schemas\": ["[..],
        b"",
        b"not json",
        b"[1, 2]",
        b"\"x\"",
        b"{\"a\":1}}",
    ] {
        let r = scim.send(raw(Method::POST, "/Users", body.to_vec())).await;
        r.assert_error(400, Some("invalidSyntax"));
    }
    for (body, scim_type) in [
        (json!({"userName": "x"}), "invalidSyntax"),
        (json!({"schemas": "x", "userName": "x"}), "invalidSyntax"),
        (
            json!({"schemas": ["urn:unknown:User"], "userName": "x"}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER, "urn:unknown:ext"], "userName": "x"}),
            "invalidValue",
        ),
        (json!({"schemas": [GROUP], "userName": "x"}), "invalidValue"),
        (
            json!({"schemas": [USER], "userName": "x", "urn:unknown:ext": {"a": 1}}),
            "invalidValue",
        ),
        (json!({"schemas": [USER], "userName": 5}), "invalidValue"),
        (json!({"schemas": [USER]}), "invalidValue"),
        (
            json!({"schemas": [USER], "userName": "bad\u{7}name"}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "x", "active": "sometimes"}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "x", "emails": {"value": "a@b.c"}}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "x", "phoneNumbers": [{"value": "1", "type": "satellite"}]}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "x", "name": {"givenName": ["a"]}}),
            "invalidValue",
        ),
    ] {
        scim.post("/Users", body.clone())
            .await
            .assert_error(400, Some(scim_type));
    }
    scim.post("/Groups", json!({"schemas": [USER], "displayName": "x"}))
        .await
        .assert_error(400, Some("invalidValue"));
    scim.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "x", "members": [{"value": 7}]}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    assert_eq!(
        scim.get("/Users").await.body["totalResults"],
        0,
        "nothing was written"
    );
    assert_eq!(scim.get("/Groups").await.body["totalResults"], 0);

    // A 10 MiB body: 413 in SCIM's shape from its declared length, before it is read.
    let head = |method: &str, path: &str, extra: &str| {
        format!(
            "{method} {} HTTP/1.1\r\nHost: localhost:{}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/scim+json\r\n{extra}",
            super::scim_path(path),
            api.port,
            scim.token
        )
    };
    let ten_mib = 10 * 1024 * 1024;
    let r = exchange(
        api.port,
        &head("POST", "/Users", &format!("Content-Length: {ten_mib}")),
    )
    .await;
    assert_scim_413(&r);
    let id = scim.user("after-big", json!({})).await.id();
    let r = exchange(
        api.port,
        &head(
            "PATCH",
            &format!("/Users/{id}"),
            &format!("Content-Length: {ten_mib}"),
        ),
    )
    .await;
    assert_scim_413(&r);
    // Streamed without a length (chunked): read up to the limit (16 KiB in these tests),
    // then refused the same way.
    let r = streamed(
        api.port,
        &head("POST", "/Users", "Transfer-Encoding: chunked"),
        ten_mib,
    )
    .await;
    assert_scim_413(&r);
    assert_eq!(scim.get("/Users").await.body["totalResults"], 1);
    assert_eq!(scim.get(&format!("/Users/{id}")).await.status, 200);
}

#[track_caller]
fn assert_scim_413(r: &RawReply) {
    assert_eq!(r.status, 413, "{r:?}");
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("application/scim+json"),
        "{r:?}"
    );
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
    assert_eq!(v["schemas"][0], super::ERROR);
    assert_eq!(v["status"], "413");
}

/// Sends `head` and then `len` bytes in 64 KiB chunks (stopping when the gateway closes),
/// and reads the answer.
async fn streamed(port: u16, head: &str, len: usize) -> RawReply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    while sent < len {
        let frame = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.clone(),
            b"\r\n".to_vec(),
        ]
        .concat();
        if s.write_all(&frame).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (h, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer: {text:?}"));
    let mut lines = h.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    RawReply {
        status,
        headers,
        body: body.to_string(),
    }
}
