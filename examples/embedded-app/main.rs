//! An app with its own passkey sign-in and enrolment pages, built on passgate's embedded
//! SDK and fronted by passgate on the same host. See `README.md` in this folder.
//!
//! `cargo run --example embedded-app -- 127.0.0.1:8082`

mod app;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8082".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("embedded app on http://{addr} (open it through passgate)");
    app::serve(listener).await
}
