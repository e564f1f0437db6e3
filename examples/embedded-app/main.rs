//! An app with its own passkey sign-in and enrolment pages, built on passgate's embedded
//! SDK and fronted by passgate on the same host. See `README.md` in this folder.
//!
//! `cargo run --example embedded-app -- 127.0.0.1:8082` (behind passgate), or
//! `cargo run --example embedded-app -- 127.0.0.1:3000 http://localhost:8080` (on its own
//! origin, calling passgate at that URL cross-origin).

mod app;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8082".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    match std::env::args().nth(2) {
        Some(passgate) => {
            println!("embedded app on http://{addr}, calling passgate at {passgate}");
            app::serve_for(listener, &passgate).await
        }
        None => {
            println!("embedded app on http://{addr} (open it through passgate)");
            app::serve(listener).await
        }
    }
}
