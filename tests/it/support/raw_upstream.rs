//! An upstream on raw sockets, for what a well-behaved HTTP server library will not do. It
//! parses each request strictly (one `Content-Length` or `Transfer-Encoding: chunked`),
//! records it with every byte received, and misbehaves on demand, by path:
//!
//! | path | answer |
//! |---|---|
//! | `/close-early` | closes the connection without answering |
//! | `/close-mid` | `Content-Length: 100`, 10 bytes, then closes the connection |
//! | `/stall-half` | `Content-Length: 20`, 10 bytes, then stays silent (holds the connection) |
//! | `/never` | nothing: reads the request and holds the connection |
//! | `/late?ms=N` | its answer after N ms, on the same connection (which then serves on) |
//! | `/slow-stream?n=N&ms=M` | chunked, N chunks `chunk i\n`, one every M ms |
//! | `/slow-length?n=N&ms=M` | the same N pieces with a `Content-Length` |
//! | anything else | `200`, body `<name> <method> <path> <body length>` |
//!
//! Every answer but the `/close-*` ones keeps the connection for the next request.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which accepted connection (0, 1, …) carried it.
    pub connection: usize,
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    raw: Mutex<Vec<u8>>,
    connections: AtomicUsize,
}

pub struct RawUpstream {
    pub port: u16,
    name: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RawUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawUpstream {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request parsed so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Every byte received so far, on every connection, in arrival order per read.
    pub fn raw(&self) -> Vec<u8> {
        self.shared.raw.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

pub async fn start(name: &str) -> RawUpstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().unwrap().port();
    let shared = Arc::new(Shared::default());
    let s = shared.clone();
    let n: Arc<str> = Arc::from(name);
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let id = s.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(sock, id, s.clone(), n.clone()));
        }
    });
    RawUpstream {
        port,
        name: name.to_string(),
        shared,
        task,
    }
}

/// Reads more bytes into `buf` (recording them); false at EOF or error.
async fn fill(sock: &mut TcpStream, buf: &mut Vec<u8>, shared: &Shared) -> bool {
    let mut chunk = [0u8; 16 * 1024];
    match sock.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            shared.raw.lock().unwrap().extend_from_slice(&chunk[..n]);
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses one request off the front of `buf`, reading more as needed; `None` when the
/// connection ends or the request is not strictly valid.
async fn next_request(
    sock: &mut TcpStream,
    buf: &mut Vec<u8>,
    shared: &Shared,
    connection: usize,
) -> Option<Recorded> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        if !fill(sock, buf, shared).await {
            return None;
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect::<Option<_>>()?;
    let values = |name: &str| -> Vec<&str> {
        headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let te = values("transfer-encoding");
    let cl = values("content-length");
    let body = if !te.is_empty() {
        if !cl.is_empty() || te != ["chunked"] {
            return None;
        }
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(buf, b"\r\n") {
                    break i;
                }
                if !fill(sock, buf, shared).await {
                    return None;
                }
            };
            let size = std::str::from_utf8(&buf[..line_end]).ok()?;
            let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
            buf.drain(..line_end + 2);
            while buf.len() < size + 2 {
                if !fill(sock, buf, shared).await {
                    return None;
                }
            }
            body.extend_from_slice(&buf[..size]);
            buf.drain(..size + 2);
            if size == 0 {
                break body;
            }
        }
    } else if let [len] = cl.as_slice() {
        let len: usize = len.parse().ok()?;
        while buf.len() < len {
            if !fill(sock, buf, shared).await {
                return None;
            }
        }
        buf.drain(..len).collect()
    } else if cl.is_empty() {
        Vec::new()
    } else {
        return None;
    };
    Some(Recorded {
        method,
        target,
        headers,
        body,
        connection,
    })
}

fn query(target: &str, key: &str, default: u64) -> u64 {
    target
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn serve(mut sock: TcpStream, connection: usize, shared: Arc<Shared>, name: Arc<str>) {
    let mut buf = Vec::new();
    while let Some(req) = next_request(&mut sock, &mut buf, &shared, connection).await {
        shared.requests.lock().unwrap().push(req.clone());
        let path = req.target.split('?').next().unwrap_or("");
        let ok = match path {
            "/close-early" => return,
            "/close-mid" => {
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
                    .await;
                return;
            }
            "/stall-half" => {
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nhalf-body.")
                    .await;
                hold(&mut sock).await;
                return;
            }
            "/never" => {
                hold(&mut sock).await;
                return;
            }
            "/slow-stream" | "/slow-length" => {
                let n = query(&req.target, "n", 5);
                let ms = query(&req.target, "ms", 200);
                slow(&mut sock, n, ms, path == "/slow-stream").await
            }
            _ => {
                if path == "/late" {
                    tokio::time::sleep(Duration::from_millis(query(&req.target, "ms", 1000))).await;
                }
                let body = format!("{name} {} {} {}", req.method, req.target, req.body.len());
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                sock.write_all(format!("{head}{body}").as_bytes())
                    .await
                    .is_ok()
            }
        };
        if !ok {
            return;
        }
    }
}

/// Keeps the connection open and silent until the peer closes it.
async fn hold(sock: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(sock.read(&mut sink).await, Ok(n) if n > 0) {}
}

async fn slow(sock: &mut TcpStream, n: u64, ms: u64, chunked: bool) -> bool {
    let pieces: Vec<String> = (0..n).map(|i| format!("chunk {i}\n")).collect();
    let head = if chunked {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_string()
    } else {
        let len: usize = pieces.iter().map(String::len).sum();
        format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n")
    };
    if sock.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    for p in pieces {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        let out = if chunked {
            format!("{:x}\r\n{p}\r\n", p.len())
        } else {
            p
        };
        if sock.write_all(out.as_bytes()).await.is_err() {
            return false;
        }
    }
    !chunked || sock.write_all(b"0\r\n\r\n").await.is_ok()
}
