//! Hosted-page plumbing: the embedded assets under `/.passgate/assets/`, HTML pages built
//! from the templates in `assets/` (values HTML-escaped), and the headers every page gets
//! (strict CSP allowing only passgate's own assets, no referrer, no caching). The pages'
//! scripts drive the ceremonies through the embedded SDK (`/.passgate/sdk.js`, see `sdk`).

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

const CSS: &str = include_str!("../../assets/passgate.css");
const BIND_JS: &str = include_str!("../../assets/bind.js");
const LOGIN_JS: &str = include_str!("../../assets/login.js");
pub const LOGIN_HTML: &str = include_str!("../../assets/login.html");
pub const RECOVER_HTML: &str = include_str!("../../assets/recover.html");
pub const PASSKEYS_HTML: &str = include_str!("../../assets/passkeys.html");
const PASSKEYS_JS: &str = include_str!("../../assets/passkeys.js");
pub const BIND_HTML: &str = include_str!("../../assets/bind.html");
const MESSAGE_HTML: &str = include_str!("../../assets/message.html");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
     img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `template` with each `{{key}}` replaced by the escaped value.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_string(), |page, (k, v)| {
        page.replace(&format!("{{{{{k}}}}}"), &escape(v))
    })
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
    html(
        status,
        render(MESSAGE_HTML, &[("title", title), ("message", text)]),
    )
}

/// `GET /.passgate/assets/{name}`.
pub async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "passgate.css" => (CSS, "text/css; charset=utf-8"),
        "bind.js" => (BIND_JS, "text/javascript; charset=utf-8"),
        "login.js" => (LOGIN_JS, "text/javascript; charset=utf-8"),
        "passkeys.js" => (PASSKEYS_JS, "text/javascript; charset=utf-8"),
        _ => return message(StatusCode::NOT_FOUND, "Not found", "There is no such page."),
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_values() {
        assert_eq!(
            render("<p>{{a}}</p>{{a}}", &[("a", "<b>&'\"")]),
            "<p>&lt;b&gt;&amp;&#39;&quot;</p>&lt;b&gt;&amp;&#39;&quot;"
        );
    }
}
