//! The demo "legacy app" that `passgate demo` puts behind the gateway: a plain web app
//! that knows nothing about passkeys and shows what passgate tells it about the user.

use std::net::SocketAddr;

use axum::extract::Request;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};

/// The embedded configuration `passgate demo` runs with.
pub const DEMO_CONFIG: &str = include_str!("../config/demo.toml");
/// Where the demo app listens (the demo config's upstream).
pub const DEMO_APP_ADDR: &str = "127.0.0.1:8081";

/// The demo configuration with passgate on `port`, the demo app on `app_port` and the
/// SQLite store in `data_dir`.
pub fn config_for(port: u16, app_port: u16, data_dir: &std::path::Path) -> String {
    let db = data_dir.join("passgate-demo.db");
    DEMO_CONFIG
        .replace("localhost:8080", &format!("localhost:{port}"))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{app_port}"))
        .replace(
            "sqlite://passgate-demo.db",
            &format!("sqlite://{}", db.display()),
        )
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/public", get(public))
        .route("/api/whoami", get(whoami))
}

fn identity_headers(req: &Request) -> Vec<(String, String)> {
    req.headers()
        .iter()
        .filter(|(k, _)| {
            let k = k.as_str();
            k.starts_with("x-passgate-") || k.starts_with("x-forwarded-")
        })
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect()
}

async fn home(req: Request) -> impl IntoResponse {
    let rows: String = identity_headers(&req)
        .iter()
        .map(|(k, v)| {
            format!(
                "<tr><th>{}</th><td>{}</td></tr>",
                crate::dataplane::respond::escape(k),
                crate::dataplane::respond::escape(v)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Legacy app</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}\
th{{text-align:left;padding-right:1rem}}</style></head><body><h1>Legacy app</h1>\
<p>This app has no sign-in code. passgate stands in front of it; these are the headers it forwarded:</p>\
<table>{rows}</table><p><a href=\"/public\">A public page</a> · \
<a href=\"/.passgate/passkeys\">Your passkeys</a> · \
<a href=\"/.passgate/console/\">Admin console</a> (for members of passgate-admins) · \
<a href=\"/.passgate/logout\">Sign out</a></p></body></html>"
    ))
}

async fn public() -> Html<&'static str> {
    Html("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Public</title></head>\
<body><h1>Public page</h1><p>Anyone can read this page; no sign-in needed.</p><p><a href=\"/\">Home</a></p></body></html>")
}

async fn whoami(req: Request) -> Json<serde_json::Value> {
    let headers: serde_json::Map<String, serde_json::Value> = identity_headers(&req)
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    Json(serde_json::Value::Object(headers))
}

/// Serves the demo app until the process ends.
pub async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app()).await
}

/// The demo's first user: `admin` in the demo realm and its admin group (so it may use the
/// console), created on first start. Returns a fresh one-time binding link that creates a
/// passkey for it (and signs it in).
pub async fn first_admin_link(
    directory: &crate::idm::Directory,
    config: &crate::config::Config,
) -> Result<String, crate::idm::IdmError> {
    use crate::idm::bootstrap::AdminRequest;
    use crate::idm::{Actor, Context};

    let realm = crate::control::web::realm_for(config, &config.auth_host);
    let actor = Actor::Cli;
    let at = Context::new(&config.tenant_id, &realm, &actor);
    let req = AdminRequest {
        username: "admin",
        email: Some("admin@localhost"),
        display_name: Some("Demo admin"),
        redirect: Some(config.public_url.to_string()),
    };
    Ok(directory.bootstrap_admin(&at, config, req).await?.link)
}
