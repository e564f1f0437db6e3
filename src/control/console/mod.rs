//! The admin console at `/.passgate/console/` on the auth host: server-rendered pages (the
//! shared `ui` layout, maud templates) over the same typed domain operations the admin API
//! calls, each change audited with the admin (`console:identity:<id>`) as actor. Access and
//! CSRF in [`access`]; one file per area.

mod access;
mod audit;
mod groups;
mod identities;
mod identity_parts;
mod overview;
mod tokens;
mod widgets;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;

use super::state::ControlState;

pub use access::{BASE, CSRF_COOKIE};

/// The navigation: label and path under the console.
const NAV: &[(&str, &str)] = &[
    ("Identities", "/identities"),
    ("Groups", "/groups"),
    ("API tokens", "/tokens"),
    ("Audit log", "/audit"),
    ("Routes", "/routes"),
    ("Realms", "/realms"),
];

/// The console's routes, relative to `/.passgate`.
pub fn router() -> Router<Arc<ControlState>> {
    let id = "/console/identities/{id}";
    let group = "/console/groups/{gid}";
    Router::new()
        .route("/console", get(overview::home))
        .route("/console/", get(overview::home))
        .route("/console/realms", get(overview::realms))
        .route("/console/routes", get(overview::routes))
        .route("/console/audit", get(audit::list))
        .route(
            "/console/identities",
            get(identities::list).post(identities::create),
        )
        .route("/console/identities/new", get(identities::new))
        .route(id, get(identities::detail))
        .route(&format!("{id}/edit"), axum::routing::post(identities::edit))
        .route(
            &format!("{id}/status"),
            axum::routing::post(identities::status),
        )
        .route(
            &format!("{id}/delete"),
            get(identities::confirm_delete).post(identities::delete),
        )
        .route(
            &format!("{id}/passkeys/{{cid}}/revoke"),
            get(identity_parts::confirm_revoke_passkey).post(identity_parts::revoke_passkey),
        )
        .route(
            &format!("{id}/sessions/revoke"),
            get(identity_parts::confirm_revoke_sessions).post(identity_parts::revoke_sessions),
        )
        .route(
            &format!("{id}/sessions/{{sid}}/revoke"),
            get(identity_parts::confirm_revoke_session).post(identity_parts::revoke_session),
        )
        .route(
            &format!("{id}/links"),
            axum::routing::post(identity_parts::create_link),
        )
        .route(
            &format!("{id}/jobs/{{job}}/revoke"),
            get(identity_parts::confirm_revoke_job).post(identity_parts::revoke_job),
        )
        .route("/console/groups", get(groups::list).post(groups::create))
        .route(group, get(groups::detail))
        .route(
            &format!("{group}/members"),
            axum::routing::post(groups::add_member),
        )
        .route(
            &format!("{group}/members/{{id}}/remove"),
            get(groups::confirm_remove_member).post(groups::remove_member),
        )
        .route(
            &format!("{group}/delete"),
            get(groups::confirm_delete).post(groups::delete),
        )
        .route(
            &format!("{group}/invite"),
            get(groups::confirm_invite).post(groups::invite),
        )
        .route("/console/tokens", get(tokens::list).post(tokens::create))
        .route(
            "/console/tokens/{tid}/revoke",
            get(tokens::confirm_revoke).post(tokens::revoke),
        )
}
