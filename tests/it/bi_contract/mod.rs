//! Beyond Identity's Secure Access API reference, replayed against passgate: the example
//! requests of the identities, groups, credentials and credential binding jobs references
//! ([`examples`], copied unchanged from the OpenAPI documents), sent to the same paths
//! under `/.passgate`, and the answers checked against the documented response shapes and
//! error bodies. Where an example names ids that cannot exist here (Beyond Identity's own
//! 16-hex-digit ids) the answer is the documented error for them; the request is then made
//! again with passgate's ids to check the success shape.

mod binding_jobs;
mod credentials;
mod examples;
mod groups;
mod identities;

use serde_json::Value;

use crate::support::admin::AdminApi;
use crate::support::db::Backend;
use crate::support::smtp::SmtpServer;

/// A gateway whose default realm allows Beyond Identity's example redirect
/// (`http://example.com/callback`) and mails through a test SMTP server.
async fn gateway(backend: Backend, smtp: &SmtpServer) -> Option<AdminApi> {
    let port = smtp.port;
    AdminApi::start_with(backend, move |_| {
        format!(
            r#"
[[realms]]
id = "default"
allowed_redirects = ["http://example.com/callback"]

[email]
host = "127.0.0.1"
port = {port}
security = "none"
from = "Acme <no-reply@acme.test>"
timeout = "2s"
"#
        )
    })
    .await
}

/// `example` as JSON.
fn json(example: &str) -> Value {
    serde_json::from_str(example).expect("a Beyond Identity example is JSON")
}

/// The object's keys, sorted.
fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// Every key of `documented` is in `got`, with a value of the same JSON type (maps keyed
/// by ids, `errors`, are only checked to be objects).
fn has_shape(got: &Value, documented: &Value) {
    for (k, v) in documented.as_object().expect("documented object") {
        let g = got
            .get(k)
            .unwrap_or_else(|| panic!("{k} missing from {got}"));
        let same = match (g, v) {
            (Value::Object(_), Value::Object(_)) if k == "errors" => true,
            (Value::Object(_), Value::Object(_)) => {
                has_shape(g, v);
                true
            }
            (Value::Array(a), Value::Array(b)) => {
                if let (Some(x), Some(y)) = (a.first(), b.first()) {
                    if y.is_object() {
                        has_shape(x, y);
                    }
                }
                true
            }
            (Value::String(_), Value::String(_)) => true,
            (Value::Number(_), Value::Number(_)) => true,
            (Value::Bool(_), Value::Bool(_)) => true,
            _ => false,
        };
        assert!(same, "{k}: {g} is not like the documented {v}");
    }
}

/// An RFC 3339 UTC time.
fn is_time(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
            && s.ends_with('Z')
    })
}

/// The documented error body, with `id` in place of the example's id where given.
fn documented_error(example: &str, id: Option<&str>) -> Value {
    let mut v = json(example);
    if let (Some(id), Some(detail)) = (id, v["details"].get_mut(0)) {
        detail["id"] = id.into();
    }
    v
}
