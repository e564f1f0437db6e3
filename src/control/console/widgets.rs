//! Pieces the console's pages share: times, paging links, confirmation pages, the notice
//! a change leaves (`?done=`, from a fixed list: no text from the URL is shown).

use maud::{html, Markup};
use serde::Deserialize;

use super::access::{ConsoleAdmin, BASE};
use crate::idm::clock::rfc3339;

/// A list page's query: search text, page token, notice.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page_token: String,
    #[serde(default)]
    pub done: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub target: String,
}

impl ListQuery {
    pub fn token(&self) -> Option<&str> {
        Some(self.page_token.as_str()).filter(|t| !t.is_empty())
    }
}

/// A time to the second, UTC (`2026-12-06 14:51:17Z`), or a dash.
pub fn when(us: Option<i64>) -> String {
    us.map_or_else(
        || "–".into(),
        |us| {
            let full = rfc3339(us);
            let seconds = full
                .split('.')
                .next()
                .unwrap_or(&full)
                .replacen('T', " ", 1);
            if seconds.ends_with('Z') {
                seconds
            } else {
                format!("{seconds}Z")
            }
        },
    )
}

/// The notice of a change that just happened.
pub fn notice(done: &str) -> Markup {
    let text = match done {
        "created" => "Created.",
        "saved" => "Saved.",
        "deleted" => "Deleted.",
        "revoked" => "Revoked.",
        "suspended" => "Suspended: the identity's sessions have ended.",
        "reactivated" => "Reactivated.",
        "emailed" => "The link is on its way by email.",
        "added" => "Added.",
        "removed" => "Removed.",
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}

/// "First page" / "Next page" links of a list at `path` (query `extra` kept).
pub fn pager(path: &str, extra: &[(&str, &str)], next: Option<&str>, first: bool) -> Markup {
    let href = |token: Option<&str>| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in extra {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        if let Some(t) = token {
            q.append_pair("page_token", t);
        }
        let q = q.finish();
        if q.is_empty() {
            format!("{BASE}{path}")
        } else {
            format!("{BASE}{path}?{q}")
        }
    };
    html! {
        @if !first || next.is_some() {
            nav.pager aria-label="Pages" {
                @if !first { a href=(href(None)) { "First page" } }
                @if let Some(t) = next { a href=(href(Some(t))) { "Next page" } }
            }
        }
    }
}

/// A page asking to confirm a destructive action: a form posting to `action`.
pub fn confirm(
    admin: &ConsoleAdmin,
    section: &str,
    title: &str,
    question: Markup,
    action: &str,
    button: &str,
    back: &str,
) -> axum::response::Response {
    let body = html! {
        h1 { (title) }
        (question)
        form method="post" action={ (BASE) (action) } {
            (admin.csrf_field())
            div.actions {
                button.danger type="submit" { (button) }
                a.button.secondary href={ (BASE) (back) } { "Cancel" }
            }
        }
    };
    admin.page(section, title, body)
}
