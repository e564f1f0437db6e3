//! Self-service pages and JSON: `/.passgate/recover` (a fresh binding link by email; the
//! same answer whether or not the address is known; rate limited; the work happens in the
//! background so the timing says nothing either) and `/.passgate/passkeys` with
//! `/.passgate/api/v1/passkeys[/{id}]` (list, rename, remove one's own; a link to add one).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::state::ControlState;
use super::{pages, ui, web};
use crate::idm::views;
use crate::session::Principal;

type Shared = State<Arc<ControlState>>;

const EMAIL_MAX: usize = 320;
const SENT: &str = "If this address belongs to an active account, a link to create a new \
     passkey is on its way. It works once and expires; check your spam folder too.";

fn valid_email(e: &str) -> bool {
    e.len() <= EMAIL_MAX
        && !e.chars().any(char::is_whitespace)
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'))
}

/// Checks limits, then mails in the background; answers the same either way.
async fn recover(state: &Arc<ControlState>, parts: &Parts, email: &str) -> Result<(), ApiError> {
    if !valid_email(email) {
        return Err(ApiError::InvalidField {
            field: "email".into(),
            message: "must be an email address".into(),
        });
    }
    state
        .limits
        .check_recovery(
            web::client_ip(&state.config, parts),
            email,
            state.now_secs(),
        )
        .await?;
    let realm = web::realm_for(&state.config, &web::host(parts));
    let state = state.clone();
    let email = email.to_string();
    tokio::spawn(async move {
        let mailer = state.mailer.as_deref();
        let tenant = &state.config.tenant_id;
        match state
            .directory
            .recover(&state.config, mailer, tenant, &realm, &email)
            .await
        {
            Ok(n) => tracing::info!(links = n, "recovery request handled"),
            Err(e) => tracing::warn!(error = %e, "recovery request failed"),
        }
    });
    Ok(())
}

/// `GET /.passgate/recover`.
pub async fn recover_page(State(state): Shared, parts: Parts) -> Response {
    let realm = web::realm_for(&state.config, &web::host(&parts));
    let look = ui::Look::of(&state.config, &realm, "");
    pages::markup(StatusCode::OK, ui::hosted::recover(&look))
}

/// `POST /.passgate/recover` (the page's form, `email=`).
pub async fn recover_form(State(state): Shared, parts: Parts, body: Bytes) -> Response {
    let email = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "email")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    match recover(&state, &parts, &email).await {
        Ok(()) => pages::message(StatusCode::OK, "Check your email", SENT),
        Err(ApiError::TooManyRequests { retry_after_secs }) => {
            let mut resp = pages::message(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                "Please wait a while before asking for another link.",
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(_) => pages::message(
            StatusCode::BAD_REQUEST,
            "That is not an email address",
            "Go back and enter the email address of your account.",
        ),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RecoverRequest)]
pub(crate) struct RecoverBody {
    email: String,
}

/// `POST /.passgate/api/v1/recover {"email"}` → `202 {"status": "accepted"}` whatever the
/// address.
pub async fn recover_api(
    State(state): Shared,
    parts: Parts,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: RecoverBody = web::json_body(&parts.headers, &body)?;
    recover(&state, &parts, body.email.trim()).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"status": "accepted"}))).into_response())
}

/// The signed-in principal (an expired token is re-issued: the new cookie is returned).
async fn me(
    state: &ControlState,
    parts: &Parts,
) -> Result<(Arc<Principal>, Option<String>), ApiError> {
    let token = state
        .sessions
        .token_in(&parts.headers)
        .ok_or(ApiError::Unauthenticated)?;
    let (p, reissued) = state
        .sessions
        .current(token)
        .await
        .map_err(|_| ApiError::Unauthenticated)?;
    let cookie = reissued.map(|i| state.sessions.set_cookie(&i, web::secure(parts)));
    Ok((p, cookie))
}

/// How recent the sign-in must be to add or remove a passkey: a stolen session cookie alone
/// must not be enough to plant a passkey of one's own or to lock the owner out.
pub const RECENT_SIGN_IN_SECS: u64 = 600;

/// `Err(401 reauthentication_required)` when `p` signed in with a passkey longer ago than
/// [`RECENT_SIGN_IN_SECS`] (a re-issued token keeps its sign-in time).
fn recent_sign_in(state: &ControlState, p: &Principal) -> Result<(), ApiError> {
    let age = state.now_secs().saturating_sub(p.auth_time);
    if age > RECENT_SIGN_IN_SECS {
        return Err(ApiError::ReauthenticationRequired);
    }
    Ok(())
}

fn reply(body: Value, cookie: Option<String>) -> Response {
    let mut resp = Json(body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.append(header::SET_COOKIE, v);
    }
    resp
}

/// `GET /.passgate/passkeys`: the page, or sign in first.
pub async fn passkeys_page(State(state): Shared, parts: Parts) -> Response {
    match me(&state, &parts).await {
        Ok((p, cookie)) => {
            let look = ui::Look::of(&state.config, p.realm(), "");
            let mut resp = pages::markup(StatusCode::OK, ui::hosted::passkeys(&look, p.username()));
            if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(_) => (
            StatusCode::FOUND,
            [(
                header::LOCATION,
                HeaderValue::from_static("/.passgate/login?rd=%2F.passgate%2Fpasskeys"),
            )],
        )
            .into_response(),
    }
}

/// `GET /.passgate/api/v1/passkeys`.
pub async fn list(State(state): Shared, parts: Parts) -> Result<Response, ApiError> {
    let (p, cookie) = me(&state, &parts).await?;
    let tenant = &state.config.tenant_id;
    let own = state
        .directory
        .own_passkeys(tenant, p.realm(), p.identity_id())
        .await?;
    let list: Vec<_> = own.iter().map(views::credential).collect();
    Ok(reply(json!({ "passkeys": list }), cookie))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RenameRequest)]
pub(crate) struct RenameBody {
    name: String,
}

/// The body of a call that takes no input: `{}` (or nothing) and no member.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkInput {
    #[serde(default)]
    authenticator_config_id: Option<String>,
}

/// `PATCH /.passgate/api/v1/passkeys/{id} {"name"}`.
pub async fn rename(
    State(state): Shared,
    Path(id): Path<String>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: RenameBody = web::json_body(&parts.headers, &body)?;
    let (p, cookie) = me(&state, &parts).await?;
    let tenant = &state.config.tenant_id;
    let renamed = state
        .directory
        .rename_own_passkey(tenant, p.realm(), p.identity_id(), &id, &body.name)
        .await?;
    Ok(reply(
        json!({"passkey": views::credential(&renamed)}),
        cookie,
    ))
}

/// `DELETE /.passgate/api/v1/passkeys/{id}`: revokes it and ends the sessions it began
/// (needs a recent sign-in).
pub async fn remove(
    State(state): Shared,
    Path(id): Path<String>,
    parts: Parts,
) -> Result<Response, ApiError> {
    let (p, cookie) = me(&state, &parts).await?;
    recent_sign_in(&state, &p)?;
    let tenant = &state.config.tenant_id;
    let target = state
        .directory
        .remove_own_passkey(tenant, p.realm(), p.identity_id(), &id)
        .await?;
    state.sessions.revoke(&target, None).await?;
    Ok(reply(json!({}), cookie))
}

/// `POST /.passgate/api/v1/passkeys/link {"authenticator_config_id"?}` → `{"link"}`: a
/// one-time binding link for oneself, to add a passkey on this or another device (needs a
/// recent sign-in), made with that authenticator configuration of the user's realm
/// (default: the hosted web one).
pub async fn add_link(
    State(state): Shared,
    parts: Parts,
    body: Bytes,
) -> Result<Response, ApiError> {
    // JSON only, like every state-changing call (no cross-site form posts).
    let LinkInput {
        authenticator_config_id,
    } = web::json_body(&parts.headers, &body)?;
    let (p, cookie) = me(&state, &parts).await?;
    recent_sign_in(&state, &p)?;
    let link = state
        .directory
        .own_binding_link(
            &state.config,
            &state.config.tenant_id,
            p.realm(),
            p.identity_id(),
            authenticator_config_id,
        )
        .await?;
    Ok(reply(json!({ "link": link }), cookie))
}
