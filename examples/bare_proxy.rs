//! The baseline for `benches/compare.sh`: the smallest Pingora proxy, default settings
//! (one thread), same Pingora version as passgate. Every request goes to one upstream.
//!
//! `cargo run --release --example bare_proxy -- 127.0.0.1:9190 127.0.0.1:9100`
//!
//! With `BARE_UNBUFFERED_WRITES=1` its listener writes to clients without Pingora's write
//! buffer, as passgate's plain-TCP listeners do: the cost of that choice, measured on
//! the engine alone (docs/performance.md).

use async_trait::async_trait;
use pingora::prelude::*;

struct Bare(std::net::SocketAddr);

#[async_trait]
impl ProxyHttp for Bare {
    type CTX = ();
    fn new_ctx(&self) {}
    async fn upstream_peer(&self, _: &mut Session, _: &mut ()) -> Result<Box<HttpPeer>> {
        Ok(Box::new(HttpPeer::new(self.0, false, String::new())))
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:9190".into());
    let upstream = args.next().unwrap_or_else(|| "127.0.0.1:9100".into());
    let Ok(upstream) = upstream.parse() else {
        eprintln!("usage: bare_proxy LISTEN UPSTREAM (both ip:port)");
        std::process::exit(2);
    };
    let mut server = Server::new(None).expect("default server");
    server.bootstrap();
    let mut proxy = http_proxy_service(&server.configuration, Bare(upstream));
    if std::env::var_os("BARE_UNBUFFERED_WRITES").is_some_and(|v| v == "1") {
        use pingora::listeners::{L4BufferSettings, ListenerConfig, DEFAULT_L4_READ_BUFFER_SIZE};
        let unbuffered = L4BufferSettings::new(DEFAULT_L4_READ_BUFFER_SIZE, 0);
        proxy.add_listener(ListenerConfig::tcp(&listen).l4_buffer(unbuffered));
    } else {
        proxy.add_tcp(&listen);
    }
    server.add_service(proxy);
    server.run_forever();
}
