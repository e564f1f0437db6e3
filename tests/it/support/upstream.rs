//! A real upstream app for the gateway to front (axum on its own socket): echoes what it
//! received, sleeps on demand, counts streamed uploads, streams large downloads, echoes
//! WebSocket messages. A TLS variant serves the same app with a certificate from the test CA.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde_json::{json, Value};

pub struct Upstream {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    /// `/slow` requests received so far (counted on arrival, before the sleep).
    slow_received: Arc<AtomicUsize>,
}

impl Upstream {
    /// Waits until `n` `/slow` requests have reached this upstream (a request is then
    /// in flight), or panics after 10 s: the signal that replaces sleeping "long enough".
    pub async fn wait_for_slow(&self, n: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.slow_received.load(Ordering::SeqCst) < n {
            assert!(
                std::time::Instant::now() < deadline,
                "only {} of {n} /slow requests arrived",
                self.slow_received.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn https_url(&self, host: &str) -> String {
        format!("https://{host}:{}", self.addr.port())
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct AppState {
    name: Arc<str>,
    slow_received: Arc<AtomicUsize>,
}

pub fn app(name: &str) -> Router {
    counting_app(name, Arc::default())
}

fn counting_app(name: &str, slow_received: Arc<AtomicUsize>) -> Router {
    Router::new()
        .route("/slow", get(slow))
        .route("/upload", post(upload))
        .route("/download", get(download))
        .route("/ws", get(ws))
        .route("/status/{code}", any(status))
        .fallback(echo)
        .with_state(AppState {
            name: Arc::from(name),
            slow_received,
        })
}

/// The request as JSON; each `set_cookie=<value>` query parameter becomes a `Set-Cookie`
/// header of the answer.
async fn echo(State(st): State<AppState>, req: Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    let cookies: Vec<String> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k == "set_cookie")
                .map(|(_, v)| v.into_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut resp = echo_json(st, req).await.into_response();
    for c in cookies {
        resp.headers_mut()
            .append("set-cookie", c.parse().expect("a header value"));
    }
    resp
}

async fn echo_json(st: AppState, req: Request) -> Json<Value> {
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in req.headers() {
        headers
            .entry(k.as_str().to_string())
            .or_default()
            .push(v.to_str().unwrap_or("<binary>").to_string());
    }
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let body = axum::body::to_bytes(req.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    Json(json!({
        "upstream": &*st.name,
        "method": method,
        "path": path,
        "query": query,
        "headers": headers,
        "body_len": body.len(),
    }))
}

#[derive(serde::Deserialize)]
struct SlowQuery {
    ms: u64,
}

async fn slow(State(st): State<AppState>, Query(q): Query<SlowQuery>) -> &'static str {
    st.slow_received.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(q.ms)).await;
    "slow done"
}

/// Counts the body as it streams in, never holding it whole.
async fn upload(req: Request) -> Json<Value> {
    let mut stream = req.into_body().into_data_stream();
    let mut total: u64 = 0;
    let mut chunks: u64 = 0;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => {
                total += c.len() as u64;
                chunks += 1;
            }
            Err(_) => break,
        }
    }
    Json(json!({"bytes": total, "chunks": chunks}))
}

#[derive(serde::Deserialize)]
struct DownloadQuery {
    bytes: u64,
}

/// Streams `bytes` bytes of `x` in 64 KiB chunks, never holding them whole.
async fn download(Query(q): Query<DownloadQuery>) -> Response {
    const CHUNK: u64 = 64 * 1024;
    let chunk = bytes::Bytes::from(vec![b'x'; CHUNK as usize]);
    let chunks = q.bytes.div_ceil(CHUNK);
    let stream = futures_util::stream::iter((0..chunks).map(move |i| {
        let len = CHUNK.min(q.bytes - i * CHUNK) as usize;
        Ok::<_, std::io::Error>(chunk.slice(..len))
    }));
    Body::from_stream(stream).into_response()
}

async fn ws(up: WebSocketUpgrade) -> Response {
    up.on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            let reply = match msg {
                Message::Text(t) => Message::Text(format!("echo: {}", t.as_str()).into()),
                Message::Binary(b) => Message::Binary(b),
                // The next recv flushes the automatic close reply, then ends the loop.
                Message::Close(_) => continue,
                _ => continue,
            };
            if socket.send(reply).await.is_err() {
                break;
            }
        }
    })
}

async fn status(Path(code): Path<u16>) -> Response {
    let status =
        axum::http::StatusCode::from_u16(code).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    (status, Body::from(format!("status {code}"))).into_response()
}

/// Plain-HTTP upstream on an ephemeral port.
pub async fn start(name: &str) -> Upstream {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("addr");
    let slow_received = Arc::new(AtomicUsize::new(0));
    let router = counting_app(name, slow_received.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Upstream {
        addr,
        task,
        slow_received,
    }
}

/// HTTPS upstream on an ephemeral port with the given certificate chain and key (PEM).
pub async fn start_tls(name: &str, cert_pem: &str, key_pem: &str) -> Upstream {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::service::TowerToHyperService;

    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = rustls_pemfile::private_key(&mut key_pem.as_bytes())
        .expect("key")
        .expect("a key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("addr");
    let slow_received = Arc::new(AtomicUsize::new(0));
    let router = counting_app(name, slow_received.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                break;
            };
            let acceptor = acceptor.clone();
            let router = router.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = TowerToHyperService::new(router);
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection_with_upgrades(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        task,
        slow_received,
    }
}
