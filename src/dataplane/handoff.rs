//! Hand-off of `/.passgate/*` requests to the control plane, in process: the body is read
//! (up to `server.control_body_limit`), the request becomes an `http::Request`, the
//! [`ControlHandler`] answers it and the answer is written back. No loopback hop.

use std::net::SocketAddr;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use pingora::http::ResponseHeader;
use pingora::proxy::Session;
use pingora::Result;

use super::respond;
use crate::error_code::ErrorCode;

/// Facts about the downstream connection the control plane may need, attached to the
/// request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct ClientInfo {
    pub addr: Option<SocketAddr>,
    pub tls: bool,
}

/// Implemented by the control plane; the data plane knows nothing else about it.
#[async_trait]
pub trait ControlHandler: Send + Sync {
    async fn handle(&self, req: http::Request<Bytes>) -> http::Response<Bytes>;
}

/// Answers the request through `handler`; returns the status written.
pub async fn hand_off(
    session: &mut Session,
    handler: &dyn ControlHandler,
    limit: usize,
    client: ClientInfo,
) -> Result<u16> {
    let declared = session
        .req_header()
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(session, limit).await;
    }

    let mut body = BytesMut::new();
    while let Some(chunk) = session.read_request_body().await? {
        if body.len() + chunk.len() > limit {
            return too_large(session, limit).await;
        }
        body.extend_from_slice(&chunk);
    }

    let head = session.req_header();
    let mut builder = http::Request::builder()
        .method(head.method.clone())
        .uri(head.uri.clone())
        .version(head.version);
    if let Some(h) = builder.headers_mut() {
        *h = head.headers.clone();
    }
    let Ok(mut req) = builder.body(body.freeze()) else {
        respond::error(
            session,
            400,
            ErrorCode::BadRequest,
            "Bad request",
            "The request could not be read.",
        )
        .await?;
        return Ok(400);
    };
    req.extensions_mut().insert(client);

    let resp = handler.handle(req).await;
    let (parts, body) = resp.into_parts();
    let status = parts.status.as_u16();
    let mut out = ResponseHeader::build(parts.status, Some(parts.headers.len() + 1))?;
    for (name, value) in parts.headers.iter() {
        out.append_header(name.clone(), value.clone())?;
    }
    out.insert_header(http::header::CONTENT_LENGTH, body.len().to_string())?;
    let head_only = session.req_header().method == http::Method::HEAD;
    super::draining::close_if_draining(session);
    session
        .write_response_header(Box::new(out), head_only)
        .await?;
    if !head_only {
        session.write_response_body(Some(body), true).await?;
    }
    Ok(status)
}

async fn too_large(session: &mut Session, limit: usize) -> Result<u16> {
    let msg = format!("The request body is larger than {limit} bytes.");
    // SCIM clients read SCIM's error schema (RFC 7644 §3.12).
    let (content_type, body) = if session.req_header().uri.path().contains("/scim/v2") {
        let scim = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "413",
            "detail": msg,
        });
        (
            "application/scim+json",
            bytes::Bytes::from(scim.to_string()),
        )
    } else {
        (
            "application/json",
            respond::json_error_body(ErrorCode::PayloadTooLarge, &msg),
        )
    };
    respond::write(session, 413, content_type, &[("Connection", "close")], body).await?;
    session.set_keepalive(None);
    Ok(413)
}
