//! Test support: free ports, the gateway as a child process, real upstream apps, a test CA,
//! software authenticators and the browser-test runner.

#![allow(dead_code)]

pub mod authenticator;
pub mod browser;
pub mod cbor;
pub mod gateway;
pub mod http;
pub mod soft_passkey;
pub mod tls;
pub mod upstream;

use std::net::TcpListener;

/// A port that was free a moment ago (bind to 0, read it, release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// An HTTP client that never follows redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

/// An `http://` URL on a local port nobody listens on (connections are refused).
pub fn dead_url() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// A local address whose accept queue is full, so new connections hang in the handshake
/// (for connect timeouts). Keep it alive for as long as it is needed.
pub struct Blackhole {
    pub url: String,
    _listener: tokio::net::TcpListener,
    _filler: std::net::TcpStream,
}

pub fn blackhole() -> Blackhole {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().unwrap())
        .expect("bind blackhole");
    let listener = socket.listen(0).expect("listen");
    let addr = listener.local_addr().expect("addr");
    // With a backlog of 0 the first connection fills the queue; later ones get no SYN-ACK.
    let filler = std::net::TcpStream::connect(addr).expect("fill the accept queue");
    Blackhole {
        url: format!("http://{addr}"),
        _listener: listener,
        _filler: filler,
    }
}
