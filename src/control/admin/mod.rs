//! The admin REST API, `/.passgate/v1/tenants/{tenant}/…`, served on the auth host only and
//! authenticated with bearer API tokens. Handlers are thin: extract → domain call → map.

mod authenticator_configs;
mod binding_jobs;
pub(crate) mod bodies;
mod credentials;
mod events;
pub(crate) mod extract;
mod groups;
mod identities;
pub(crate) mod methods;
mod realms;
mod reply;
mod sessions;
mod tenant;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::Router;

use super::state::ControlState;

/// The admin routes, relative to `/.passgate`.
pub fn router(body_limit: usize) -> Router<Arc<ControlState>> {
    let realm = "/v1/tenants/{tenant}/realms/{realm}";
    Router::new()
        .route("/v1/tenants/{tenant}", get(tenant::get))
        .route(
            "/v1/tenants/{tenant}/realms",
            get(realms::list).post(realms::create),
        )
        .route(
            realm,
            get(realms::get).patch(realms::patch).delete(realms::delete),
        )
        .route(
            &format!("{realm}/identities"),
            get(identities::list).post(identities::create),
        )
        .route(
            &format!("{realm}/identities:batchDelete"),
            post(identities::batch_delete),
        )
        .route(
            &format!("{realm}/identities/{{identity}}"),
            get(identities::get)
                .patch(identities::patch)
                .delete(identities::delete)
                .fallback(|p| methods::IDENTITY.fallback(p)),
        )
        .route(
            &format!("{realm}/groups"),
            get(groups::list).post(groups::create),
        )
        .route(
            &format!("{realm}/groups/{{group}}"),
            get(groups::get)
                .patch(groups::patch)
                .delete(groups::delete)
                .post(groups::action)
                .fallback(|p| methods::GROUP.fallback(p)),
        )
        .route(
            &format!("{realm}/identities/{{identity}}/sessions"),
            get(sessions::list).delete(sessions::revoke_all),
        )
        .route(
            &format!("{realm}/identities/{{identity}}/sessions/{{session}}"),
            delete(sessions::revoke_one),
        )
        .route(&format!("{realm}/events"), get(events::list))
        .route(
            &format!("{realm}/identities/{{identity}}/credential-binding-jobs"),
            get(binding_jobs::list).post(binding_jobs::create),
        )
        .route(
            &format!("{realm}/identities/{{identity}}/credential-binding-jobs/{{job}}"),
            get(binding_jobs::get)
                .post(binding_jobs::action)
                .fallback(|p| methods::BINDING_JOB.fallback(p)),
        )
        .route(
            &format!("{realm}/batch-credential-binding-jobs"),
            post(binding_jobs::create_batch),
        )
        .route(
            &format!("{realm}/batch-credential-binding-jobs/{{batch}}"),
            get(binding_jobs::get_batch).fallback(|p| methods::BATCH.fallback(p)),
        )
        .route(
            &format!("{realm}/identities/{{identity}}/credentials"),
            get(credentials::list),
        )
        .route(
            &format!("{realm}/identities/{{identity}}/credentials/{{credential}}"),
            get(credentials::get_of_identity)
                .post(credentials::action_of_identity)
                .fallback(|p| methods::CREDENTIAL.fallback(p)),
        )
        .route(
            &format!("{realm}/credentials/{{credential}}"),
            get(credentials::get)
                .post(credentials::action)
                .fallback(|p| methods::CREDENTIAL.fallback(p)),
        )
        .route(
            &format!("{realm}/authenticator-configs"),
            get(authenticator_configs::list),
        )
        .route(
            &format!("{realm}/authenticator-configs/{{config}}"),
            get(authenticator_configs::get).fallback(|p| methods::AUTHENTICATOR_CONFIG.fallback(p)),
        )
        .layer(DefaultBodyLimit::max(body_limit))
}
