//! Who may use the console and how its forms are protected. [`ConsoleAdmin`]: the auth
//! host only; a passkey session (else the sign-in page with `rd` back); an active identity
//! that is, in the store now, a member of its realm's `admin_group` (else `403`). [`Form`]:
//! a URL-encoded body whose `csrf` field equals the console's double-submit cookie
//! (`HttpOnly`, `SameSite=Strict`, path `/.passgate/console`); the router's `cross_site`
//! layer has already refused posts a browser marks as cross-site. Either refusal happens
//! before any handler runs, so nothing is written.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};
use maud::{html, Markup};

use crate::control::state::ControlState;
use crate::control::ui::{self, Header, Look};
use crate::control::{pages, web};
use crate::idm::{ids, Actor, Context, IdmError};
use crate::session::{cookie, Principal};

/// The console's CSRF cookie.
pub const CSRF_COOKIE: &str = "passgate_console_csrf";
/// Largest form body the console reads.
const FORM_LIMIT: usize = 64 * 1024;
/// Where the console lives.
pub const BASE: &str = "/.passgate/console";

/// A refusal or failure, as a page.
#[derive(Debug)]
pub enum ConsoleError {
    /// Not signed in: to the sign-in page, then back to this path.
    SignIn(String),
    Forbidden(String),
    NotFound(String),
    /// Input that cannot be used (says which field and why).
    Invalid(String),
    Conflict(String),
    /// The store is out: `503` with `Retry-After`, never a sign-in or a `500`.
    Unavailable,
    Internal,
}

impl From<IdmError> for ConsoleError {
    fn from(e: IdmError) -> Self {
        match e {
            IdmError::Invalid { .. } | IdmError::Unprocessable { .. } => {
                ConsoleError::Invalid(e.to_string())
            }
            IdmError::NotFound { .. } | IdmError::NotFoundMany { .. } => {
                ConsoleError::NotFound(e.to_string())
            }
            IdmError::Conflict { .. } | IdmError::PreconditionFailed { .. } | IdmError::Gone(_) => {
                ConsoleError::Conflict(e.to_string())
            }
            IdmError::Forbidden(m) => ConsoleError::Forbidden(m),
            IdmError::Unavailable(m) => {
                tracing::error!(error = %m, "console: the store is unavailable");
                ConsoleError::Unavailable
            }
            other => {
                tracing::error!(error = %other, "console operation failed");
                ConsoleError::Internal
            }
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title, text) = match self {
            ConsoleError::SignIn(rd) => {
                let to = format!(
                    "/.passgate/login?rd={}",
                    url::form_urlencoded::byte_serialize(rd.as_bytes()).collect::<String>()
                );
                return see_other(&to, &[]);
            }
            ConsoleError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m),
            ConsoleError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m),
            ConsoleError::Invalid(m) => (StatusCode::BAD_REQUEST, "That did not work", m),
            ConsoleError::Conflict(m) => (StatusCode::CONFLICT, "That did not work", m),
            ConsoleError::Unavailable => {
                let body = html! {
                    h1 { "Temporarily unavailable" }
                    p.problem { "The directory cannot be reached; try again shortly." }
                };
                let mut resp = pages::markup(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ui::page(
                        &Look::plain(),
                        "Temporarily unavailable",
                        &[],
                        &Header::default(),
                        body,
                    ),
                );
                resp.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(crate::control::error::UNAVAILABLE_RETRY_AFTER_SECS),
                );
                return resp;
            }
            ConsoleError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The change could not be made; the server log says why.".to_string(),
            ),
        };
        let body = html! {
            h1 { (title) }
            p.problem { (text) }
            p { a href={ (BASE) "/" } { "Back to the console" } }
        };
        pages::markup(
            status,
            ui::page(&Look::plain(), title, &[], &Header::default(), body),
        )
    }
}

pub type Page = Result<Response, ConsoleError>;

/// `303 See Other` to `to`, with cookies.
pub fn see_other(to: &str, cookies: &[String]) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// A signed-in member of the realm's admin group.
pub struct ConsoleAdmin {
    pub state: Arc<ControlState>,
    pub principal: Arc<Principal>,
    pub actor: Actor,
    /// The realm administered: the admin's own.
    pub realm: String,
    /// The CSRF token forms must carry (the cookie's value).
    pub csrf: String,
    /// Cookies to set on the answer (a re-issued session, a new CSRF cookie).
    cookies: Vec<String>,
}

impl ConsoleAdmin {
    /// The domain context of the admin's changes: tenant, realm, the admin as actor.
    pub fn ctx(&self) -> Context<'_> {
        Context::new(&self.state.config.tenant_id, &self.realm, &self.actor)
    }

    /// A console page: the shared layout with who is signed in, the navigation (`section`
    /// marked current) and `body`.
    pub fn page(&self, section: &str, title: &str, body: Markup) -> Response {
        let look = Look::of(&self.state.config, &self.realm, "");
        let header = Header {
            signed_in: Some((
                self.principal.username().to_string(),
                "/.passgate/logout".into(),
            )),
            nav: super::NAV
                .iter()
                .map(|(label, path)| (*label, format!("{BASE}{path}"), *path == section))
                .collect(),
            wide: true,
        };
        let mut resp = pages::markup(
            StatusCode::OK,
            ui::page(&look, title, &["console.js"], &header, body),
        );
        for c in &self.cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        resp
    }

    /// After a change: to `path` under the console (Post/Redirect/Get).
    pub fn done(&self, path: &str) -> Response {
        see_other(&format!("{BASE}{path}"), &self.cookies)
    }

    /// The hidden CSRF field of every form.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }
}

fn refused(p: &Principal, group: &str) -> ConsoleError {
    ConsoleError::Forbidden(format!(
        "You are signed in as {}, who is not a member of the group \"{group}\" that may use \
         the admin console. Sign out at /.passgate/logout to sign in as someone else.",
        p.username()
    ))
}

/// Whether `identity` is, now, an active member of `group` (by name) in `realm`.
async fn is_admin(state: &ControlState, p: &Principal, group: &str) -> Result<bool, ConsoleError> {
    let actor = Actor::Identity(p.identity_id().to_string());
    let at = Context::new(&state.config.tenant_id, p.realm(), &actor);
    let dir = &state.directory;
    let identity = match dir.identity(&at, p.identity_id()).await {
        Ok(i) => i,
        Err(IdmError::NotFound { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    if !identity.status.is_active() {
        return Ok(false);
    }
    let mut token: Option<String> = None;
    loop {
        let page = dir
            .list_identity_groups(&at, &identity.id, Some("200"), token.as_deref())
            .await?;
        if page.items.iter().any(|g| g.display_name == group) {
            return Ok(true);
        }
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => return Ok(false),
        }
    }
}

impl FromRequestParts<Arc<ControlState>> for ConsoleAdmin {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ControlState>,
    ) -> Result<Self, ConsoleError> {
        if web::host(parts) != state.config.auth_host {
            return Err(ConsoleError::NotFound("There is no such page.".into()));
        }
        // Nested under `/.passgate`: the URI here lacks that prefix.
        let here = parts.uri.path_and_query().map_or_else(
            || format!("{BASE}/"),
            |p| format!("/.passgate{}", p.as_str()),
        );
        let back = if parts.method == http::Method::GET {
            here
        } else {
            format!("{BASE}/")
        };
        let token = state
            .sessions
            .token_in(&parts.headers)
            .ok_or_else(|| ConsoleError::SignIn(back.clone()))?;
        let (principal, reissued) = state.sessions.current(token).await.map_err(|e| match e {
            IdmError::Unavailable(_) => ConsoleError::from(e),
            _ => ConsoleError::SignIn(back),
        })?;
        let secure = web::secure(parts);
        let mut cookies: Vec<String> = reissued
            .map(|i| state.sessions.set_cookie(&i, secure))
            .into_iter()
            .collect();
        let group = state
            .config
            .realm(principal.realm())
            .map(|r| r.admin_group.clone())
            .unwrap_or_else(|| crate::config::branding::DEFAULT_ADMIN_GROUP.into());
        if !is_admin(state, &principal, &group).await? {
            tracing::warn!(identity = %principal.identity_id(), "refused the admin console");
            return Err(refused(&principal, &group));
        }
        let csrf = match cookie::find(&parts.headers, CSRF_COOKIE) {
            Some(v)
                if v.len() >= 32
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                v.to_string()
            }
            _ => {
                let fresh = ids::new_secret().map_err(|_| ConsoleError::Internal)?;
                cookies.push(format!(
                    "{CSRF_COOKIE}={fresh}; Path={BASE}; HttpOnly; SameSite=Strict{}",
                    if secure { "; Secure" } else { "" }
                ));
                fresh
            }
        };
        Ok(ConsoleAdmin {
            state: state.clone(),
            actor: Actor::Console(principal.identity_id().to_string()),
            realm: principal.realm().to_string(),
            principal,
            csrf,
            cookies,
        })
    }
}

/// A console form post whose CSRF token checked out; its fields.
pub struct Form(Vec<(String, String)>);

impl Form {
    /// The field's value, trimmed (empty when absent).
    pub fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.trim())
    }

    /// Every value of a repeated field.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// The field's value untrimmed (whether it was sent at all).
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl FromRequest<Arc<ControlState>> for Form {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &Arc<ControlState>) -> Result<Self, ConsoleError> {
        let expected = cookie::find(req.headers(), CSRF_COOKIE).map(str::to_string);
        let form_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form_type {
            return Err(ConsoleError::Invalid(
                "The console takes HTML form posts only.".into(),
            ));
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|_| ConsoleError::Invalid("The form could not be read.".into()))?;
        if body.len() > FORM_LIMIT {
            return Err(ConsoleError::Invalid("The form is too large.".into()));
        }
        let fields: Vec<(String, String)> =
            url::form_urlencoded::parse(&body).into_owned().collect();
        let sent = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str());
        let ok = match (expected.as_deref(), sent) {
            (Some(e), Some(s)) => !e.is_empty() && ids::constant_time_eq(e, s),
            _ => false,
        };
        if !ok {
            tracing::warn!("refused a console form without a valid CSRF token");
            return Err(ConsoleError::Forbidden(
                "This form has expired or did not come from the console. Reload the page and \
                 try again."
                    .into(),
            ));
        }
        Ok(Form(fields))
    }
}
