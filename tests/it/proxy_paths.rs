//! Paths a client could use to sidestep a `public` prefix (`/public/../admin` and its
//! encoded forms) are refused with 400 before routing; they never reach the upstream.
//! Sent over a raw socket: HTTP client libraries normalise such paths themselves.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::gateway::Gateway;
use crate::support::upstream;

/// Sends `GET <path>` as written and returns (status, body).
async fn raw_get(port: u16, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: app.test\r\nAccept: application/json\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[tokio::test]
async fn dot_segments_cannot_sidestep_a_public_prefix() {
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "app.test"
path_prefix = "/public"
upstream = "{u}"
policy = "public"

[[routes]]
host = "app.test"
upstream = "{u}"
policy = "authenticated"
"#,
        u = up.url()
    ))
    .await;

    let (status, body) = raw_get(gw.port, "/public/page").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"upstream\":\"app\""), "{body}");
    let (status, _) = raw_get(gw.port, "/admin").await;
    assert_eq!(status, 401);

    for path in [
        "/public/../admin",
        "/public/%2e%2e/admin",
        "/public/%2E%2E/admin",
        "/public/..%2fadmin",
        "/public/.%2e/admin",
        "/public/./../admin",
        "/public%5c..%5cadmin",
    ] {
        let (status, body) = raw_get(gw.port, path).await;
        assert_eq!(status, 400, "{path} must be refused: {body}");
        assert!(body.contains("\"code\":\"bad_path\""), "{path}: {body}");
    }
    // Dots inside names are ordinary.
    let (status, body) = raw_get(gw.port, "/public/v1.2/file..txt").await;
    assert_eq!(status, 200, "{body}");
}
