//! The OpenAPI 3.1 document of passgate's JSON APIs: the admin REST API and the sign-in,
//! binding, session and self-service calls. Schemas are derived from the request and view
//! types (`utoipa`); the operations are declared in `paths_*`. Served at
//! `/.passgate/v1/openapi.json`, printed by `passgate openapi`, committed as
//! `docs/openapi.json` (a test fails when the copy differs).

mod answers;
mod params;
mod paths_binding;
mod paths_directory;
mod paths_user;

use std::sync::LazyLock;

use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "passgate",
        description = "The admin REST API (bearer API tokens, auth host only) and the JSON \
                       calls of sign-in, binding, sessions and self-service.",
        license(name = "MIT", identifier = "MIT")
    ),
    paths(
        paths_directory::get_tenant,
        paths_directory::list_realms,
        paths_directory::create_realm,
        paths_directory::get_realm,
        paths_directory::patch_realm,
        paths_directory::delete_realm,
        paths_directory::list_identities,
        paths_directory::create_identity,
        paths_directory::batch_delete_identities,
        paths_directory::get_identity,
        paths_directory::list_identity_groups,
        paths_directory::patch_identity,
        paths_directory::delete_identity,
        paths_directory::list_groups,
        paths_directory::create_group,
        paths_directory::get_group,
        paths_directory::list_group_members,
        paths_directory::patch_group,
        paths_directory::delete_group,
        paths_directory::add_members,
        paths_directory::delete_members,
        paths_binding::list_sessions,
        paths_binding::revoke_sessions,
        paths_binding::revoke_session,
        paths_binding::list_events,
        paths_binding::list_jobs,
        paths_binding::create_job,
        paths_binding::get_job,
        paths_binding::revoke_job,
        paths_binding::create_batch,
        paths_binding::get_batch,
        paths_binding::list_batch_results,
        paths_binding::list_credentials,
        paths_binding::get_identity_credential,
        paths_binding::revoke_identity_credential,
        paths_binding::get_credential,
        paths_binding::revoke_credential,
        paths_binding::list_authenticator_configs,
        paths_binding::get_authenticator_config,
        paths_user::sign_in_begin,
        paths_user::sign_in_finish,
        paths_user::bind_begin,
        paths_user::bind_finish,
        paths_user::get_session,
        paths_user::delete_session,
        paths_user::recover,
        paths_user::list_passkeys,
        paths_user::add_passkey_link,
        paths_user::rename_passkey,
        paths_user::remove_passkey,
    ),
    components(schemas(crate::error_code::ErrorBody)),
    modifiers(&Security),
)]
struct Document;

/// The security schemes: admin calls send an API token as a bearer token; the session
/// calls the session cookie.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("passgate_session"))),
        );
        // Every admin operation needs the API token.
        for (path, item) in doc.paths.paths.iter_mut() {
            if !path.starts_with("/.passgate/v1/") {
                continue;
            }
            for op in operations(item) {
                op.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
                    "api_token",
                    Vec::<String>::new(),
                )]);
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> Vec<&mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.patch.as_mut(),
        item.put.as_mut(),
        item.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Document::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

/// The document as pretty-printed JSON with a final newline (as committed in
/// `docs/openapi.json`).
pub fn json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        let mut s = document().to_pretty_json().unwrap_or_default();
        s.push('\n');
        s
    });
    &JSON
}

/// `GET /.passgate/v1/openapi.json`.
pub async fn serve() -> Response {
    ([(http::header::CONTENT_TYPE, "application/json")], json()).into_response()
}
