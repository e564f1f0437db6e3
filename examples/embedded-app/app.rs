//! The embedded-app example's web app: its own sign-in page (`/signin`), enrolment page
//! (`/passkeys/bind?token=…`) and passkey management (`/passkeys`), all drawn by the app
//! and driven by passgate's embedded SDK (`/.passgate/sdk.js`, same origin). passgate fronts
//! it: `/signin`, `/passkeys/bind` and `/static` are public paths of its route, the rest
//! needs sign-in, and the home page greets the user passgate names in `X-Passgate-User`.
//!
//! Shared by `main.rs` (the runnable example) and the integration tests.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const HOME: &str = include_str!("pages/home.html");
const SIGNIN: &str = include_str!("pages/signin.html");
const BIND: &str = include_str!("pages/bind.html");
const PASSKEYS: &str = include_str!("pages/passkeys.html");

// Scripts from this origin only (the app's and passgate's SDK), fetches to it only.
const CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/signin", get(|| async { page(SIGNIN.to_string()) }))
        .route("/passkeys", get(|| async { page(PASSKEYS.to_string()) }))
        .route("/passkeys/bind", get(|| async { page(BIND.to_string()) }))
        .route("/static/{name}", get(asset))
}

fn page(body: String) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    // Binding links carry a token in the URL: never send it on as a referrer.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `/`: passgate lets only signed-in users through and names them in `X-Passgate-User`
/// (a client cannot send that header: passgate removes it from every request).
async fn home(headers: HeaderMap) -> Response {
    let user = headers
        .get("x-passgate-user")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("(not behind passgate)");
    page(HOME.replace("{{user}}", &escape(user)))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "app.css" => (include_str!("static/app.css"), "text/css; charset=utf-8"),
        "ui.js" => (
            include_str!("static/ui.js"),
            "text/javascript; charset=utf-8",
        ),
        "home.js" => (
            include_str!("static/home.js"),
            "text/javascript; charset=utf-8",
        ),
        "signin.js" => (
            include_str!("static/signin.js"),
            "text/javascript; charset=utf-8",
        ),
        "bind.js" => (
            include_str!("static/bind.js"),
            "text/javascript; charset=utf-8",
        ),
        "passkeys.js" => (
            include_str!("static/passkeys.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// Serves the app on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, app()).await
}
