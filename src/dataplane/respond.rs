//! Responses the data plane writes itself: sign-in redirects, 401/403/404/413/502/504, as a
//! small HTML page for browsers and `{"code","message","details"}` JSON otherwise. Every
//! JSON body is written by [`crate::error_code`] (the one writer both planes share); the
//! codes are [`ErrorCode`]s.

use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora::proxy::Session;
use pingora::Result;

use super::request;
use crate::error_code::{self, ErrorCode, Who};

/// Writes a complete response.
pub async fn write(
    session: &mut Session,
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
    body: Bytes,
) -> Result<()> {
    let mut resp = ResponseHeader::build(status, Some(4 + extra.len()))?;
    resp.insert_header(http::header::CONTENT_TYPE, content_type)?;
    resp.insert_header(http::header::CONTENT_LENGTH, body.len().to_string())?;
    resp.insert_header(http::header::CACHE_CONTROL, "no-store")?;
    for (k, v) in extra {
        resp.append_header(k.to_string(), *v)?;
    }
    let head_only = session.req_header().method == http::Method::HEAD;
    super::draining::close_if_draining(session);
    session
        .write_response_header(Box::new(resp), head_only)
        .await?;
    if !head_only {
        session.write_response_body(Some(body), true).await?;
    }
    Ok(())
}

/// `Retry-After` (seconds) on a `503` because the store is out, in both planes.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 2;

/// What a `503` because the store is out says.
pub const UNAVAILABLE_MESSAGE: &str =
    "Your session needs renewing and the session store is unavailable; try again shortly.";

/// A JSON error in the shape every passgate API uses (the one writer both planes share).
pub fn json_error_body(code: ErrorCode, message: &str) -> Bytes {
    error_code::json_body(code, message, &[])
}

/// An error: HTML page for a browser, JSON for anything else.
pub async fn error(
    session: &mut Session,
    status: u16,
    code: ErrorCode,
    title: &str,
    message: &str,
) -> Result<()> {
    error_with(session, status, code, title, message, &[]).await
}

/// [`error`] with `extra` headers (e.g. `Retry-After`).
pub async fn error_with(
    session: &mut Session,
    status: u16,
    code: ErrorCode,
    title: &str,
    message: &str,
    extra: &[(&str, &str)],
) -> Result<()> {
    if request::accepts_html(session.req_header()) {
        write(
            session,
            status,
            "text/html; charset=utf-8",
            extra,
            page(title, message),
        )
        .await
    } else {
        write(
            session,
            status,
            "application/json",
            extra,
            json_error_body(code, message),
        )
        .await
    }
}

/// The 401 code and message: `reauthentication_required` when the sign-in is too old for
/// the route (`max_auth_age`), else `unauthorized`.
pub fn challenge_code(step_up: bool) -> (ErrorCode, &'static str) {
    if step_up {
        (
            ErrorCode::ReauthenticationRequired,
            "This page needs a recent sign-in: sign in again.",
        )
    } else {
        (ErrorCode::Unauthenticated, "Sign-in required.")
    }
}

/// The 401 JSON body of a challenge (shared with `/.passgate/verify`).
pub fn challenge_body(step_up: bool) -> Bytes {
    let (code, msg) = challenge_code(step_up);
    json_error_body(code, msg)
}

/// `403` for a signed-in user the route does not allow: a page saying who they are, with
/// sign-out and switch-account links, for browsers; JSON otherwise.
pub async fn forbidden(
    session: &mut Session,
    p: &crate::session::Principal,
    switch_account: &str,
    extra: &[(&str, &str)],
) -> Result<()> {
    let html = request::accepts_html(session.req_header());
    let (status, ctype, body) = forbidden_body(html, p, switch_account);
    write(session, status, ctype, extra, body).await
}

/// Status, content type and body of the 403 answer (shared with `/.passgate/verify`);
/// `switch_account`: where the page's "Switch account" link goes
/// ([`super::gate::switch_account_location`]).
pub fn forbidden_body(
    html: bool,
    p: &crate::session::Principal,
    switch_account: &str,
) -> (u16, &'static str, Bytes) {
    const MSG: &str = "You are signed in but not allowed to open this page.";
    if !html {
        let who = Who {
            username: p.username(),
            realm_id: p.realm(),
        };
        let body = error_code::json_body_naming(ErrorCode::Forbidden, MSG, who);
        return (ErrorCode::Forbidden.status(), "application/json", body);
    }
    let who = match p.email() {
        Some(e) => format!("{} ({})", escape(p.username()), escape(e)),
        None => escape(p.username()),
    };
    let switch = escape(switch_account);
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Access denied</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2328}}\
h1{{font-size:1.4rem}}p{{line-height:1.5}}small{{color:#59636e}}</style></head>\
<body><main><h1>Access denied</h1><p>{MSG}</p><p>Signed in as <strong>{who}</strong>.</p>\
<p><a href=\"/.passgate/logout\">Sign out</a> · <a href=\"{switch}\">Switch account</a></p>\
<p><small>passgate</small></p></main></body></html>"
    );
    (403, "text/html; charset=utf-8", Bytes::from(body))
}

/// `302` to `location` (the sign-in page: [`super::gate::login_location`]), with `extra`
/// headers.
pub async fn redirect_to_login(
    session: &mut Session,
    location: &str,
    extra: &[(&str, &str)],
) -> Result<()> {
    let mut headers = Vec::with_capacity(1 + extra.len());
    headers.push(("Location", location));
    headers.extend_from_slice(extra);
    write(
        session,
        302,
        "text/html; charset=utf-8",
        &headers,
        page("Sign in required", "Redirecting to sign-in…"),
    )
    .await
}

/// The small self-contained page used for every error passgate answers itself.
pub fn page(title: &str, message: &str) -> Bytes {
    let (t, m) = (escape(title), escape(message));
    Bytes::from(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2328}}\
h1{{font-size:1.4rem}}p{{line-height:1.5}}small{{color:#59636e}}</style></head>\
<body><main><h1>{t}</h1><p>{m}</p><p><small>passgate</small></p></main></body></html>"
    ))
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
