//! Sign-in over HTTP: the hosted page `/.passgate/login?rd=` and the JSON API
//! `/.passgate/api/v1/authenticate/begin|finish`. Thin: extract → `idm::signin_ceremony`
//! → start the session → cookie and `{"identity", "redirect"}` (`rd` only to a fronted
//! host, else the default `/`).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::credential_json::AuthenticationJson;
use super::error::ApiError;
use super::state::ControlState;
use super::{pages, ui, web};
use crate::idm::identities::USERNAME_MAX;
use crate::idm::{views, IdmError};
use crate::metrics::{Outcome, SignInMethod};

type Shared = State<Arc<ControlState>>;

/// Where a sign-in without a usable `rd` lands.
pub const DEFAULT_REDIRECT: &str = "/";

/// `GET /.passgate/login?rd=`.
pub async fn page(State(state): Shared, parts: Parts) -> Response {
    let realm_id = web::realm_for(&state.config, &web::host(&parts));
    let found = state
        .directory
        .realm_record(&state.config.tenant_id, &realm_id)
        .await;
    // The store unreachable: say so (503, Retry-After) rather than serve a page whose
    // sign-in cannot work.
    let realm = match pages::realm_name(found) {
        Ok(name) => name,
        Err(e) => return pages::failure(e, "sign-in page failed"),
    };
    let look = ui::Look::of(&state.config, &realm_id, &realm);
    pages::markup(StatusCode::OK, ui::hosted::login(&look))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SignInBegin)]
pub(crate) struct BeginBody {
    #[serde(default)]
    username: Option<String>,
    /// `"conditional"` when the request is for browser autofill (counted apart in the
    /// metrics); any other WebAuthn mediation value is the same as leaving it out.
    #[serde(default)]
    mediation: Option<String>,
}

/// `POST /.passgate/api/v1/authenticate/begin {}` or `{"username"}`, either with
/// `"mediation": "conditional"` for autofill.
pub async fn begin(State(state): Shared, parts: Parts, body: Bytes) -> Result<Response, ApiError> {
    let b: BeginBody = web::json_body(&parts.headers, &body)?;
    let ip = web::client_ip(&state.config, &parts);
    state.limits.check_ceremony(ip, state.now_secs()).await?;
    if let Some(u) = b.username.as_deref() {
        if u.trim().len() > USERNAME_MAX {
            return Err(ApiError::InvalidField {
                field: "username".into(),
                message: "is too long".into(),
            });
        }
        state.limits.check_username(u, state.now_secs()).await?;
    }
    let autofill = match b.mediation.as_deref() {
        None | Some("silent" | "optional" | "required") => false,
        Some("conditional") => true,
        Some(_) => {
            return Err(ApiError::InvalidField {
                field: "mediation".into(),
                message: "must be one of silent, optional, conditional, required".into(),
            })
        }
    };
    let realm = web::realm_for(&state.config, &web::host(&parts));
    let begun = state
        .directory
        .begin_sign_in(
            &state.config,
            &state.config.tenant_id,
            &realm,
            b.username.as_deref(),
            autofill,
        )
        .await?;
    let out = json!({"ceremony": begun.ceremony, "publicKey": begun.public_key});
    Ok(no_store(Json(out).into_response()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SignInFinish)]
pub(crate) struct FinishBody {
    ceremony: String,
    /// The `PublicKeyCredential` in its JSON form.
    #[schema(value_type = Object)]
    credential: Box<RawValue>,
    #[serde(default)]
    rd: Option<String>,
}

/// `POST /.passgate/api/v1/authenticate/finish {"ceremony", "credential", "rd"}`.
pub async fn finish(State(state): Shared, parts: Parts, body: Bytes) -> Result<Response, ApiError> {
    let b: FinishBody = web::json_body(&parts.headers, &body)?;
    let ip = web::client_ip(&state.config, &parts);
    state.limits.check_ceremony(ip, state.now_secs()).await?;
    let credential =
        match super::body::parse_member::<AuthenticationJson>(&b.credential, "credential")
            .and_then(|c| c.into_credential("credential"))
        {
            Ok(c) => c,
            Err(e) => {
                // A malformed finish counts as a failure and uses the ceremony up.
                crate::metrics::events().sign_in(SignInMethod::Unknown, Outcome::Rejected);
                state.limits.failed(ip, state.now_secs()).await;
                state.directory.abandon_ceremony(&b.ceremony).await?;
                return Err(e);
            }
        };
    let (outcome, issued) = match state
        .sessions
        .finish_sign_in(&state.config, &b.ceremony, credential)
        .await
    {
        Ok(done) => done,
        Err(e) => {
            // The client's failure counts, not the store's.
            if !matches!(e, IdmError::Unavailable(_) | IdmError::Internal(_)) {
                state.limits.failed(ip, state.now_secs()).await;
            }
            return Err(e.into());
        }
    };
    let host = web::host(&parts);
    let redirect =
        b.rd.as_deref()
            .and_then(|rd| web::safe_redirect(&state.config, rd, &host))
            .unwrap_or_else(|| DEFAULT_REDIRECT.to_string());
    let mut resp = Json(json!({
        "identity": views::identity(&outcome.identity),
        "redirect": redirect,
    }))
    .into_response();
    let cookie = state.sessions.set_cookie(&issued, web::secure(&parts));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(no_store(resp))
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
