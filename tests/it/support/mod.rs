//! Test support: free ports, the gateway as a child process, real upstream apps, a test CA,
//! software authenticators and the browser-test runner.

#![allow(dead_code)]

/// One test per backend for each scenario: `<scenario>::sqlite`, `<scenario>::postgres`
/// (the PostgreSQL one passes without running when the backend is not configured).
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use crate::support::db::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario(Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$scenario(Backend::Postgres).await
            }
        }
    )*};
}

pub mod admin;
pub mod authenticator;
pub mod binding;
pub mod browser;
pub mod cbor;
pub mod db;
pub mod gateway;
pub mod http;
pub mod relay;
pub mod sessions;
pub mod smtp;
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

/// A local address that refuses connections and stays reserved while the guard lives
/// (a socket bound but not listening), so no other test can start listening there.
pub struct DeadPeer {
    pub url: String,
    _socket: socket2::Socket,
}

impl std::fmt::Display for DeadPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

pub fn dead_url() -> DeadPeer {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    let addr: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&addr.into()).expect("bind");
    let port = socket
        .local_addr()
        .expect("addr")
        .as_socket()
        .expect("inet")
        .port();
    DeadPeer {
        url: format!("http://127.0.0.1:{port}"),
        _socket: socket,
    }
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
