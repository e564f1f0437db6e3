//! Hosted-page plumbing: the embedded assets under `/.passgate/assets/` (and each realm's
//! branding), HTML responses of the pages `ui` renders, and the headers every page gets
//! (strict CSP allowing only passgate's own assets, no referrer, no caching). The pages'
//! scripts drive the ceremonies through the embedded SDK (`/.passgate/sdk.js`, see `sdk`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};

use super::error::ApiError;
use super::state::ControlState;
use crate::idm::IdmError;
use crate::store::RealmRecord;

const CSS: &str = include_str!("../../assets/passgate.css");
const BIND_JS: &str = include_str!("../../assets/bind.js");
const LOGIN_JS: &str = include_str!("../../assets/login.js");
const PASSKEYS_JS: &str = include_str!("../../assets/passkeys.js");
const CONSOLE_JS: &str = include_str!("../../assets/console.js");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
     img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A maud page as an HTML response with passgate's page headers.
pub fn markup(status: StatusCode, page: maud::Markup) -> Response {
    html(status, page.into_string())
}

/// An HTML page with passgate's page headers.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

/// A page that only says something (errors, outcomes).
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    markup(
        status,
        super::ui::hosted::message(&super::ui::Look::plain(), title, text),
    )
}

/// The page for a failure the visitor cannot fix (the store unreachable, an internal
/// error): the error's status, `Retry-After` when the store is unavailable, and words to
/// try again in a moment. Logged with `what`.
pub fn failure(e: IdmError, what: &'static str) -> Response {
    let api = ApiError::from(e);
    tracing::warn!(error = %api, "{what}");
    let mut page = message(
        api.status(),
        "Something went wrong",
        "The page could not be prepared. Please try again in a moment.",
    );
    if matches!(api, ApiError::Unavailable(_)) {
        page.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(super::error::UNAVAILABLE_RETRY_AFTER_SECS),
        );
    }
    page
}

/// A realm's display name for a hosted page: blank for a realm the store does not have
/// (the page still works, unbranded); any other failure is the page's ([`failure`]).
pub fn realm_name(found: Result<RealmRecord, IdmError>) -> Result<String, IdmError> {
    match found {
        Ok(r) => Ok(r.display_name),
        Err(IdmError::NotFound { .. }) => Ok(String::new()),
        Err(e) => Err(e),
    }
}

/// `GET /.passgate/assets/{name}`: the fixed assets, and each realm's `brand-{realm}.css`
/// and `logo-{realm}`.
pub async fn asset(State(state): State<Arc<ControlState>>, Path(name): Path<String>) -> Response {
    if let Some(resp) = branding_asset(&state, &name) {
        return resp;
    }
    let (body, kind) = match name.as_str() {
        "passgate.css" => (CSS, "text/css; charset=utf-8"),
        "bind.js" => (BIND_JS, "text/javascript; charset=utf-8"),
        "login.js" => (LOGIN_JS, "text/javascript; charset=utf-8"),
        "passkeys.js" => (PASSKEYS_JS, "text/javascript; charset=utf-8"),
        "console.js" => (CONSOLE_JS, "text/javascript; charset=utf-8"),
        _ => return message(StatusCode::NOT_FOUND, "Not found", "There is no such page."),
    };
    served(body.into(), kind)
}

fn branding_asset(state: &ControlState, name: &str) -> Option<Response> {
    if let Some(realm) = name
        .strip_prefix("brand-")
        .and_then(|n| n.strip_suffix(".css"))
    {
        let css = super::ui::brand_css(&state.config, realm)?;
        return Some(served(css.into(), "text/css; charset=utf-8"));
    }
    let realm = name.strip_prefix("logo-")?;
    let logo = state.config.realm(realm)?.branding.logo.as_ref()?;
    let mut resp = served(logo.bytes.clone().into(), logo.content_type);
    // An SVG opened on its own must not run script on the auth host.
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    Some(resp)
}

fn served(body: Bytes, kind: &'static str) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}
