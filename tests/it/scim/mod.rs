//! The SCIM 2.0 service provider over HTTP through the real gateway, on SQLite and
//! PostgreSQL: discovery and auth, Users and Groups, the filter grammar, every PATCH form,
//! ETags, bad input, and replays of Okta's and Entra ID's provisioning sequences.

mod bad_input;
mod clients;
mod discovery;
mod filters;
mod groups;
mod on_create;
mod patch;
mod sessions;
mod substring_index;
mod tokens;
mod users;

use reqwest::Method;
use serde_json::Value;

use crate::support::admin::AdminApi;

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// `/.passgate/v1/tenants/default/realms/default/scim/v2` + `rest`.
pub fn scim_path(rest: &str) -> String {
    format!("/.passgate/v1/tenants/default/realms/default/scim/v2{rest}")
}

/// One answer: status, JSON body (Null when empty), `ETag`, `Location`, content type.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub etag: Option<String>,
    pub location: Option<String>,
    pub content_type: String,
}

impl Resp {
    /// Asserts a SCIM error with `status` and `scim_type` (when given).
    #[track_caller]
    pub fn assert_error(&self, status: u16, scim_type: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["schemas"][0], ERROR, "{}", self.body);
        assert_eq!(self.body["status"], status.to_string(), "{}", self.body);
        assert!(self.body["detail"].is_string(), "{}", self.body);
        if let Some(t) = scim_type {
            assert_eq!(self.body["scimType"], t, "{}", self.body);
        }
        assert!(
            self.content_type.starts_with("application/scim+json"),
            "{}",
            self.content_type
        );
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_string()
    }
}

/// A SCIM client of the test gateway with a `scim`-scoped token.
pub struct Scim<'a> {
    pub api: &'a AdminApi,
    pub token: String,
    client: reqwest::Client,
}

impl<'a> Scim<'a> {
    pub fn new(api: &'a AdminApi) -> Scim<'a> {
        let token = api.new_token("directory", &["scim"], &[]);
        Scim {
            api,
            token,
            client: crate::support::client(),
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header("etag");
        let location = header("location");
        let content_type = header("content-type").unwrap_or_default();
        let bytes = resp.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        Resp {
            status,
            body,
            etag,
            location,
            content_type,
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.api.url(&scim_path(path)))
            .bearer_auth(&self.token)
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, ops: Value) -> Resp {
        let body = serde_json::json!({"schemas": [PATCH_OP], "Operations": ops});
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.call(Method::DELETE, path, None).await
    }

    /// `GET /Users?filter=…` (plus `extra` query parameters).
    pub async fn filter(&self, resource: &str, filter: &str, extra: &str) -> Resp {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", filter)
            .finish();
        self.get(&format!("/{resource}?{q}{extra}")).await
    }

    /// Creates a user `{userName, …more}` and returns the answer (asserting 201).
    pub async fn user(&self, user_name: &str, more: Value) -> Resp {
        let mut body = serde_json::json!({"schemas": [USER], "userName": user_name});
        if let (Some(b), Value::Object(m)) = (body.as_object_mut(), more) {
            b.extend(m);
        }
        let r = self.post("/Users", body).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r
    }
}
