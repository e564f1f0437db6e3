//! The SCIM 2.0 service provider, one per realm, under
//! `/.passgate/v1/tenants/{tenant}/realms/{realm}/scim/v2` on the auth host: `/Users`,
//! `/Groups`, the discovery endpoints, `/Me` and `/Bulk` (`501`). Bearer API tokens with the
//! `scim` (or `admin`) scope. Handlers map SCIM documents onto the typed domain (`idm`) and
//! answer in SCIM's shapes; every write is audited with the token as actor.

mod auth;
mod discovery;
mod error;
mod group_map;
mod groups;
mod list;
mod on_create;
mod user_map;
mod users;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, MethodRouter};
use axum::Router;

pub use error::body as error_body;
use error::ScimError;

use super::state::ControlState;

/// The prefix of every SCIM path, relative to `/.passgate`.
pub const BASE: &str = "/v1/tenants/{tenant}/realms/{realm}/scim/v2";

fn patch_max() -> usize {
    crate::scim::patch::MAX_OPS
}

async fn method_not_allowed() -> ScimError {
    ScimError::new(405, None, "method not allowed for this endpoint")
}

async fn no_endpoint() -> ScimError {
    ScimError::not_found("no such SCIM endpoint")
}

fn route(m: MethodRouter<Arc<ControlState>>) -> MethodRouter<Arc<ControlState>> {
    m.fallback(method_not_allowed)
}

/// The SCIM routes, relative to `/.passgate`.
pub fn router(body_limit: usize) -> Router<Arc<ControlState>> {
    let at = |p: &str| format!("{BASE}{p}");
    Router::new()
        .route(&at("/Users"), route(get(users::list).post(users::create)))
        .route(
            &at("/Users/{id}"),
            route(
                get(users::get)
                    .put(users::replace)
                    .patch(users::patch)
                    .delete(users::delete),
            ),
        )
        .route(
            &at("/Groups"),
            route(get(groups::list).post(groups::create)),
        )
        .route(
            &at("/Groups/{id}"),
            route(
                get(groups::get)
                    .put(groups::replace)
                    .patch(groups::patch)
                    .delete(groups::delete),
            ),
        )
        .route(
            &at("/ServiceProviderConfig"),
            route(get(discovery::service_provider_config)),
        )
        .route(&at("/ResourceTypes"), route(get(discovery::resource_types)))
        .route(
            &at("/ResourceTypes/{name}"),
            route(get(discovery::resource_type_one)),
        )
        .route(&at("/Schemas"), route(get(discovery::schemas)))
        .route(&at("/Schemas/{id}"), route(get(discovery::schema_one)))
        .route(&at("/Me"), any(discovery::not_implemented))
        .route(&at("/Bulk"), any(discovery::not_implemented))
        .route(&at(""), any(no_endpoint))
        .route(&at("/{*rest}"), any(no_endpoint))
        .layer(DefaultBodyLimit::max(body_limit))
}
