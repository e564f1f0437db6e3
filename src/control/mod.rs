//! The control plane: everything under `/.passgate/` (pages, the SDK, ceremony and admin
//! APIs, health) as an `axum::Router`, called in process by the data plane through
//! [`ControlPlane`]'s [`ControlHandler`] implementation.

pub mod admin;
pub mod bind;
pub mod body;
pub mod console;
pub mod cors;
pub mod credential_json;
pub mod cross_site;
pub mod error;
pub mod health;
pub mod limits;
pub mod oidc;
pub mod openapi;
pub mod pages;
pub mod router;
pub mod scim;
pub mod sdk;
pub mod self_service;
pub mod session_api;
pub mod signin;
pub mod state;
mod strict_json;
pub mod ui;
pub mod verify;
pub mod web;

use std::sync::Arc;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::dataplane::ControlHandler;

pub use error::ApiError;
pub use state::ControlState;

/// Largest response body the control plane produces (pages, assets, API lists).
const RESPONSE_LIMIT: usize = 16 * 1024 * 1024;

pub struct ControlPlane {
    router: ArcSwap<axum::Router>,
}

impl ControlPlane {
    pub fn new(state: ControlState) -> Self {
        ControlPlane {
            router: ArcSwap::from_pointee(router::build(Arc::new(state))),
        }
    }

    /// Installs the router for a reloaded configuration.
    pub fn update(&self, state: ControlState) {
        self.router.store(Arc::new(router::build(Arc::new(state))));
    }
}

#[async_trait]
impl ControlHandler for ControlPlane {
    async fn handle(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let router = (**self.router.load()).clone();
        let resp = match router.oneshot(req.map(axum::body::Body::from)).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let (parts, body) = resp.into_parts();
        let limited = http_body_util::Limited::new(body, RESPONSE_LIMIT);
        match limited.collect().await {
            Ok(collected) => http::Response::from_parts(parts, collected.to_bytes()),
            Err(e) => {
                tracing::error!(error = %e, "control plane response could not be read");
                error::to_response(&ApiError::Internal("response body failed".into()))
            }
        }
    }
}
