//! The embedded-app example's web app: its own sign-in page (`/signin`), enrolment page
//! (`/passkeys/bind?token=…`) and passkey management (`/passkeys`), all drawn by the app
//! and driven by passgate's embedded SDK (`/.passgate/sdk.js`, same origin). passgate fronts
//! it: `/signin`, `/passkeys/bind` and `/static` are public paths of its route, the rest
//! needs sign-in, and the home page greets the user passgate names in `X-Passgate-User`.
//!
//! Run on its own origin instead ([`app_for`] with passgate's origin), the pages load the
//! SDK from passgate and call it cross-origin: passgate must list the app's origin in an
//! embedded authenticator configuration's `trusted_origins`.
//!
//! Shared by `main.rs` (the runnable example) and the integration tests.

use std::sync::Arc;

use axum::extract::{Path, State};
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

/// Where passgate is: `None` in front of the app (same origin), else its origin.
#[derive(Clone, Default)]
struct Site {
    passgate: Option<String>,
    csp: String,
}

type Shared = State<Arc<Site>>;

/// The app behind passgate (same origin).
pub fn app() -> Router {
    app_for(None)
}

/// The app on its own origin, with passgate at `passgate` (e.g. `http://localhost:8080`):
/// its scripts import the SDK from there and its CSP allows scripts and fetches to it.
pub fn app_for(passgate: Option<&str>) -> Router {
    let passgate = passgate.map(|p| p.trim_end_matches('/').to_string());
    let csp = match &passgate {
        None => CSP.to_string(),
        Some(p) => format!("{CSP}; script-src 'self' {p}; connect-src 'self' {p}"),
    };
    let site = Arc::new(Site { passgate, csp });
    Router::new()
        .route("/", get(home))
        .route(
            "/signin",
            get(|State(s): Shared| async move { page(&s, SIGNIN.to_string()) }),
        )
        .route(
            "/passkeys",
            get(|State(s): Shared| async move { page(&s, PASSKEYS.to_string()) }),
        )
        .route(
            "/passkeys/bind",
            get(|State(s): Shared| async move { page(&s, BIND.to_string()) }),
        )
        .route("/static/{name}", get(asset))
        .with_state(site)
}

fn page(site: &Site, body: String) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(csp) = HeaderValue::from_str(&site.csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
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
async fn home(State(site): Shared, headers: HeaderMap) -> Response {
    let user = headers
        .get("x-passgate-user")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("(not behind passgate)");
    page(&site, HOME.replace("{{user}}", &escape(user)))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn asset(State(site): Shared, Path(name): Path<String>) -> Response {
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
    let body = match &site.passgate {
        None => body.to_string(),
        Some(p) => body.replace("'/.passgate/sdk.js'", &format!("'{p}/.passgate/sdk.js'")),
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// Serves the app on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, app()).await
}

/// [`serve`] on its own origin, with passgate at `passgate` (see [`app_for`]).
pub async fn serve_for(listener: tokio::net::TcpListener, passgate: &str) -> std::io::Result<()> {
    axum::serve(listener, app_for(Some(passgate))).await
}
