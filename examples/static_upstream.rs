//! A minimal static upstream for load tests: answers every request with a fixed small
//! page, as fast as it can, so the measurement is of passgate and not of the app.
//!
//! `cargo run --release --example static_upstream -- 127.0.0.1:9100`

use std::net::SocketAddr;

use axum::response::Html;
use axum::Router;

const PAGE: &str = "<!doctype html><html><head><title>static</title></head><body><h1>Hello from the upstream</h1><p>A fixed page of about two hundred bytes, served for load tests.</p></body></html>";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9100".into())
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let app = Router::new().fallback(|| async { Html(PAGE) });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
