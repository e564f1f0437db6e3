//! Extractors every admin handler uses: [`Admin`] (auth host only, then a bearer API token),
//! [`Body`] (the body as a typed value, errors naming their field, 413 over the limit),
//! [`IfMatch`] (the expected version), [`ListParams`] (paging and filter query parameters)
//! and [`Segments`] (path parameters).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use bytes::Bytes;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::control::body;
use crate::control::error::ApiError;
use crate::control::state::ControlState;
use crate::idm::tokens::{Action, Family};
use crate::idm::types::Resource;
use crate::idm::{ApiPrincipal, Context, ResourceRef};

/// An authenticated admin API caller.
pub struct Admin {
    pub principal: ApiPrincipal,
    pub actor: crate::idm::Actor,
    pub state: Arc<ControlState>,
}

impl Admin {
    /// Checks the tenant exists, then that the token may do `action` on `family` there (and
    /// in `realm`).
    pub fn allow(
        &self,
        tenant: &str,
        realm: Option<&str>,
        family: Family,
        action: Action,
    ) -> Result<(), ApiError> {
        if tenant != self.state.config.tenant_id {
            return Err(ApiError::Missing(ResourceRef::new(
                Resource::Tenant,
                tenant,
            )));
        }
        Ok(self.principal.authorize(tenant, realm, family, action)?)
    }

    /// [`Admin::allow`] for a realm, returning the domain context to act in.
    pub fn in_realm<'a>(
        &'a self,
        tenant: &'a str,
        realm: &'a str,
        family: Family,
        action: Action,
    ) -> Result<Context<'a>, ApiError> {
        self.allow(tenant, Some(realm), family, action)?;
        Ok(Context::new(tenant, realm, &self.actor))
    }
}

/// The request's host (from the URI or `Host`), lower-cased, without the port.
pub(crate) fn request_host(parts: &Parts) -> Option<String> {
    let raw = match parts.uri.host() {
        Some(h) => h.to_string(),
        None => parts
            .headers
            .get(http::header::HOST)?
            .to_str()
            .ok()?
            .to_string(),
    };
    let host = if let Some(rest) = raw.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default().to_string()
    } else {
        raw.rsplit_once(':')
            .map_or(raw.as_str(), |(h, _)| h)
            .to_string()
    };
    // One trailing dot is the same host (`auth.example.com.`), as in the data plane.
    let host = host.strip_suffix('.').unwrap_or(&host);
    Some(host.to_ascii_lowercase())
}

pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<Arc<ControlState>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ControlState>,
    ) -> Result<Self, ApiError> {
        if request_host(parts).as_deref() != Some(state.config.auth_host.as_str()) {
            return Err(ApiError::NotFound("no such passgate endpoint".into()));
        }
        let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
        let principal = state.directory.authenticate(token).await?;
        Ok(Admin {
            actor: principal.actor(),
            principal,
            state: state.clone(),
        })
    }
}

/// The request body, a JSON document read as `T` (see [`body::parse`]).
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        body::parse(&bytes).map(Body)
    }
}

/// The request body read (`413` over the limit) but parsed only when the handler asks: for
/// handlers that first tell which custom method a path names.
pub struct RawBody(Bytes);

impl RawBody {
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        body::parse(&self.0)
    }
}

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest(r.body_text())
            }
        })?;
        Ok(RawBody(bytes))
    }
}

/// `If-Match`: the version a change expects (`"3"` or `W/"3"`, as the `ETag` of a GET
/// gave); absent or `*`: any.
pub enum IfMatch {
    Any,
    Version(i64),
    /// An entity tag this API never gives: nothing can match it.
    Never,
}

impl IfMatch {
    /// The expected version, or `412` for a tag that cannot match `resource` `id`.
    pub fn expected(&self, resource: Resource, id: &str) -> Result<Option<i64>, ApiError> {
        match self {
            IfMatch::Any => Ok(None),
            IfMatch::Version(v) => Ok(Some(*v)),
            IfMatch::Never => Err(ApiError::PreconditionFailed {
                message: format!("If-Match names no version of this {resource}"),
                resource: ResourceRef::new(resource, id),
            }),
        }
    }
}

/// The `ETag` value of `version`.
pub fn etag(version: i64) -> http::HeaderValue {
    http::HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or(http::HeaderValue::from_static("\"0\""))
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
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

/// `page_size`, `page_token` and `filter` from the query string (each at most once).
pub struct ListParams(HashMap<String, String>);

impl ListParams {
    pub fn page_size(&self) -> Option<&str> {
        self.0.get("page_size").map(String::as_str)
    }
    pub fn page_token(&self) -> Option<&str> {
        self.0.get("page_token").map(String::as_str)
    }
    pub fn filter(&self) -> Option<&str> {
        self.0.get("filter").map(String::as_str)
    }
    /// Any other query parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ListParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let mut params = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()).into_owned() {
            // `?page_size=x&page_size=` must not quietly mean the last one (found by the
            // API fuzzer).
            if params.contains_key(&key) {
                return Err(ApiError::invalid(key, "is given more than once"));
            }
            params.insert(key, value);
        }
        Ok(ListParams(params))
    }
}

/// Path parameters, with rejections in the standard error shape.
pub struct Segments<T>(pub T);

impl<S: Send + Sync, T> FromRequestParts<S> for Segments<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| Segments(t))
            .map_err(|r| ApiError::BadRequest(r.body_text()))
    }
}

/// Splits `{id}:action` (custom methods share a path segment with the id).
pub fn split_action(segment: &str) -> (&str, Option<&str>) {
    match segment.split_once(':') {
        Some((id, action)) => (id, Some(action)),
        None => (segment, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, host: Option<&str>) -> Parts {
        let mut b = http::Request::builder().uri(uri);
        if let Some(h) = host {
            b = b.header(http::header::HOST, h);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn host_comes_from_uri_or_header_without_port() {
        assert_eq!(
            request_host(&parts("/x", Some("Auth.Example.com:8443"))).unwrap(),
            "auth.example.com"
        );
        assert_eq!(request_host(&parts("http://a.b:1/x", None)).unwrap(), "a.b");
        assert_eq!(request_host(&parts("/x", Some("[::1]:80"))).unwrap(), "::1");
        assert!(request_host(&parts("/x", None)).is_none());
    }

    #[test]
    fn actions_split_off_ids() {
        assert_eq!(split_action("abc:addMembers"), ("abc", Some("addMembers")));
        assert_eq!(split_action("abc"), ("abc", None));
    }
}
