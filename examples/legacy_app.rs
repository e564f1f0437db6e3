//! The demo "legacy app" on its own: a web app with no sign-in code that shows the identity
//! headers passgate forwards. `passgate demo` runs the same app in process.
//!
//! `cargo run --example legacy_app -- 127.0.0.1:8081`

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| passgate::demo::DEMO_APP_ADDR.into())
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    println!("legacy app on http://{addr}");
    passgate::demo::serve(addr).await
}
