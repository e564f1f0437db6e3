//! HTTP helpers: requests with a chosen `Host` and `Accept`, and readers for the echo
//! upstream's JSON answer.

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::client;
use super::gateway::Gateway;

/// A response read whole: status, headers and body text.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The echo upstream's answer; panics unless the status is 200.
    pub fn echo(&self) -> Value {
        assert_eq!(
            self.status, 200,
            "expected the upstream's echo: {}",
            self.body
        );
        let v = self.json();
        assert!(v.get("upstream").is_some(), "not an echo: {}", self.body);
        v
    }

    /// Asserts a passgate JSON error with this status and code.
    pub fn assert_json_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            self.header("content-type").starts_with("application/json"),
            "{:?}",
            self.headers
        );
        let v = self.json();
        assert_eq!(v["code"], code, "{}", self.body);
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    /// Asserts passgate's small HTML page with this status.
    pub fn assert_html_page(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            self.header("content-type").starts_with("text/html"),
            "{:?}",
            self.headers
        );
        assert!(self.body.starts_with("<!doctype html>"), "{}", self.body);
        assert!(self.body.len() < 4096, "the page should be small");
    }
}

/// Sends `req` and reads the whole answer.
pub async fn send(req: reqwest::RequestBuilder) -> Reply {
    let resp = req.send().await.expect("request failed");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

/// A request to the gateway's plain listener with `Host: host`.
pub fn request(
    gw: &Gateway,
    method: reqwest::Method,
    host: &str,
    path: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(method, format!("http://127.0.0.1:{}{path}", gw.port))
        .header("host", host)
}

/// `GET path` with `Host: host` and, if given, `Accept`.
pub async fn get(gw: &Gateway, host: &str, path: &str, accept: Option<&str>) -> Reply {
    let mut req = request(gw, reqwest::Method::GET, host, path);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    send(req).await
}

/// The values the echo upstream saw for header `name` (lower case).
pub fn echoed(echo: &Value, name: &str) -> Vec<String> {
    echo["headers"][name]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The one value the echo upstream saw for header `name`; panics unless exactly one.
pub fn echoed_one(echo: &Value, name: &str) -> String {
    let v = echoed(echo, name);
    assert_eq!(v.len(), 1, "{name}: {v:?} in {echo}");
    v.into_iter().next().unwrap()
}

/// Which upstream answered, by the name it was started with.
pub fn upstream_name(echo: &Value) -> &str {
    echo["upstream"].as_str().unwrap_or("")
}

pub const HTML: Option<&str> = Some("text/html,application/xhtml+xml,*/*;q=0.8");
pub const JSON: Option<&str> = Some("application/json");

/// Starts `GET url` in the background (e.g. a slow request to keep in flight) and gives
/// its status and body when awaited.
pub fn spawn_get(url: String) -> tokio::task::JoinHandle<(u16, String)> {
    tokio::spawn(async move {
        let r = reqwest::get(url).await.expect("in-flight request");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    })
}
