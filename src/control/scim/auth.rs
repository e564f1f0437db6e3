//! Who calls the SCIM service provider: on the auth host only, a bearer API token with the
//! `scim` (or `admin`) scope, valid for the tenant and realm of the URL. Also the request
//! pieces every handler reads: the JSON body (413 and 400 in SCIM's shape), `If-Match`,
//! and the query string.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use bytes::Bytes;
use http::request::Parts;
use serde_json::Value;

use super::error::ScimError;
use crate::control::admin::extract::{bearer, request_host};
use crate::control::state::ControlState;
use crate::idm::tokens::Scope;
use crate::idm::{Actor, Context};

/// An authenticated SCIM client, in the realm of the URL.
pub struct Scim {
    pub actor: Actor,
    pub tenant: String,
    pub realm: String,
    pub state: Arc<ControlState>,
    /// `{public_url}/.passgate/v1/tenants/{t}/realms/{r}/scim/v2`.
    pub base: String,
}

impl Scim {
    pub fn at(&self) -> Context<'_> {
        Context::new(&self.tenant, &self.realm, &self.actor)
    }
}

impl FromRequestParts<Arc<ControlState>> for Scim {
    type Rejection = ScimError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ControlState>,
    ) -> Result<Self, ScimError> {
        if request_host(parts).as_deref() != Some(state.config.auth_host.as_str()) {
            return Err(ScimError::not_found("no such passgate endpoint"));
        }
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ScimError::not_found("no such passgate endpoint"))?;
        let (Some(tenant), Some(realm)) = (params.get("tenant"), params.get("realm")) else {
            return Err(ScimError::not_found("no such passgate endpoint"));
        };
        let token = bearer(parts).ok_or(ScimError::new(401, None, "a bearer token is required"))?;
        let principal = state.directory.authenticate(token).await?;
        if *tenant != state.config.tenant_id {
            return Err(ScimError::not_found("tenant not found"));
        }
        if *tenant != principal.tenant_id {
            return Err(ScimError::new(
                403,
                None,
                "this token is not valid for that tenant",
            ));
        }
        if principal.realm_id.as_ref().is_some_and(|r| r != realm) {
            return Err(ScimError::new(
                403,
                None,
                "this token is not valid for that realm",
            ));
        }
        if !principal
            .scopes
            .iter()
            .any(|s| matches!(s, Scope::Scim | Scope::Admin))
        {
            return Err(ScimError::new(
                403,
                None,
                "this token lacks the scope \"scim\"",
            ));
        }
        // The realm must exist (404 otherwise).
        state.directory.realm_record(tenant, realm).await?;
        let base = format!(
            "{}/.passgate/v1/tenants/{tenant}/realms/{realm}/scim/v2",
            state.config.public_url.as_str().trim_end_matches('/')
        );
        Ok(Scim {
            actor: principal.actor(),
            tenant: tenant.clone(),
            realm: realm.clone(),
            state: state.clone(),
            base,
        })
    }
}

/// A JSON request body (`application/scim+json` or `application/json`).
pub struct Json(pub Value);

impl<S: Send + Sync> FromRequest<S> for Json {
    type Rejection = ScimError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ScimError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                ScimError::new(413, None, "the request body is too large")
            } else {
                ScimError::bad("invalidSyntax", r.body_text())
            }
        })?;
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ScimError::bad("invalidSyntax", format!("the body is not JSON: {e}")))?;
        if !v.is_object() {
            return Err(ScimError::bad(
                "invalidSyntax",
                "the body must be a JSON object",
            ));
        }
        Ok(Json(v))
    }
}

/// `If-Match`: `W/"3"` (as `meta.version` gave) or `"3"`; `*` or absent: any version.
pub enum IfMatch {
    Any,
    Version(i64),
    Never,
}

impl IfMatch {
    pub fn expected(&self) -> Result<Option<i64>, ScimError> {
        match self {
            IfMatch::Any => Ok(None),
            IfMatch::Version(v) => Ok(Some(*v)),
            IfMatch::Never => Err(ScimError::new(
                412,
                None,
                "If-Match names no version of this resource",
            )),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ScimError> {
        let Some(raw) = parts.headers.get(http::header::IF_MATCH) else {
            return Ok(IfMatch::Any);
        };
        let raw = raw.to_str().unwrap_or_default().trim();
        if raw == "*" {
            return Ok(IfMatch::Any);
        }
        let tag = raw.strip_prefix("W/").unwrap_or(raw);
        Ok(tag
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .and_then(|v| v.parse::<i64>().ok())
            .map_or(IfMatch::Never, IfMatch::Version))
    }
}

/// The query string's parameters (names as given).
pub struct Query(pub HashMap<String, String>);

impl Query {
    /// A parameter by name in any case (`startIndex`, `startindex`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ScimError> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(Query(
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        ))
    }
}
