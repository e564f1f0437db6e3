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
pub mod cluster;
pub mod conn;
pub mod console;
pub mod db;
/// The embedded-app example's web app, run in process (the example's own file).
#[path = "../../../examples/embedded-app/app.rs"]
pub mod embedded_app;
pub mod gateway;
pub mod http;
pub mod private_pg;
pub mod raw;
pub mod raw_upstream;
pub mod relay;
pub mod sessions;
pub mod smtp;
pub mod soft_passkey;
pub mod tls;
pub mod upstream;

use std::net::TcpListener;

/// First and last port `free_port` hands out: below Linux's ephemeral range (32768 and
/// up), so an outgoing connection of this or another process never takes a port between
/// the moment it is chosen and the moment the gateway binds it.
const PORTS: std::ops::RangeInclusive<u16> = 20_000..=32_000;

/// A port that is free now and that this test process has not handed out before. Ports
/// are taken in turn from a start that depends on the process id (two test processes at
/// once begin far apart), and each is checked by binding it on 127.0.0.1.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let span = u32::from(PORTS.end() - PORTS.start()) + 1;
    let _ = NEXT.compare_exchange(
        u32::MAX,
        (std::process::id().wrapping_mul(7919)) % span,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..span {
        let offset = NEXT.fetch_add(1, Ordering::SeqCst) % span;
        let port = PORTS.start() + offset as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {PORTS:?}")
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
