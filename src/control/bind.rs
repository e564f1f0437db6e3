//! The binding ceremony over HTTP: the hosted page `/.passgate/bind?token=` and the JSON
//! API `/.passgate/api/v1/bind/begin|finish`. Thin: extract → `idm::bind_ceremony` → map;
//! a completed binding starts a session and sets its cookie.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::credential_json::RegistrationJson;
use super::error::ApiError;
use super::state::ControlState;
use super::{pages, ui};
use crate::dataplane::ClientInfo;
use crate::idm::sessions::PASSKEY_AMR;
use crate::idm::{views, IdmError};

type Shared = State<Arc<ControlState>>;

/// `GET /.passgate/bind?token=`: opens the link (`LINK_OPENED`) and serves the page, or a
/// page saying why the link cannot be used.
pub async fn page(State(state): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let token = q.get("token").map(String::as_str).unwrap_or_default();
    let dir = &state.directory;
    match dir.open_binding_link(token).await {
        Ok(job) => {
            let found = dir.realm_record(&job.tenant_id, &job.realm_id).await;
            let realm = match pages::realm_name(found) {
                Ok(name) => name,
                Err(e) => return pages::failure(e, "binding page failed"),
            };
            let look = ui::Look::of(&state.config, &job.realm_id, &realm);
            pages::markup(StatusCode::OK, ui::hosted::bind(&look))
        }
        Err(e) => link_error_page(e),
    }
}

fn link_error_page(e: IdmError) -> Response {
    match e {
        IdmError::NotFound { .. } => pages::message(
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "Check that you opened the whole link from your message, or ask for a new one.",
        ),
        IdmError::Gone(_) => pages::message(
            StatusCode::GONE,
            "This link can no longer be used",
            "It has already been used, was cancelled, or has expired. Ask for a new one.",
        ),
        IdmError::Forbidden(_) => pages::message(
            StatusCode::FORBIDDEN,
            "This link cannot be used",
            "The account it belongs to is not active. Contact your administrator.",
        ),
        other => pages::failure(other, "binding page failed"),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BindBegin)]
pub(crate) struct BeginBody {
    token: String,
}

/// `POST /.passgate/api/v1/bind/begin {"token"}` → `{"ceremony", "publicKey"}`.
pub async fn begin(
    State(state): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: BeginBody = super::web::json_body(&headers, &body)?;
    let begun = state
        .directory
        .begin_binding(&state.config, &b.token)
        .await?;
    Ok(Json(json!({"ceremony": begun.ceremony, "publicKey": begun.public_key})).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BindFinish)]
pub(crate) struct FinishBody {
    ceremony: String,
    /// The `PublicKeyCredential` in its JSON form.
    #[schema(value_type = Object)]
    credential: Box<RawValue>,
}

/// `POST /.passgate/api/v1/bind/finish {"ceremony", "credential"}` → the identity, the
/// passkey and the redirect, with the session cookie.
pub async fn finish(
    State(state): Shared,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: FinishBody = super::web::json_body(&headers, &body)?;
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let registration =
        match super::body::parse_member::<RegistrationJson>(&b.credential, "credential")
            .and_then(|c| c.into_registration("credential"))
        {
            Ok(r) => r,
            Err(e) => {
                // A malformed finish uses the ceremony up like any other.
                state.directory.abandon_ceremony(&b.ceremony).await?;
                return Err(e);
            }
        };
    let outcome = state
        .directory
        .finish_binding(&state.config, &b.ceremony, registration, agent)
        .await?;
    let mut resp = Json(json!({
        "identity": views::identity(&outcome.identity),
        "passkey": views::credential(&outcome.credential),
        "redirect": outcome.redirect,
    }))
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let credential = outcome.credential.id.as_str();
    match state
        .sessions
        .start(&outcome.identity, PASSKEY_AMR, Some(credential))
        .await
    {
        Ok(issued) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name))
                .unwrap_or_default();
            let tls = client.is_some_and(|c| c.0.tls);
            let cookie = state
                .sessions
                .set_cookie(&issued, crate::session::cookie::needs_secure(tls, host));
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
        }
        // The passkey is bound; the user signs in with it instead.
        Err(e) => tracing::warn!(error = %e, "binding complete but the session could not start"),
    }
    Ok(resp)
}
