//! Path and query parameters of the documented operations, and the error answers every
//! admin operation may give.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses};

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TenantPath {
    /// The deployment's `tenant_id`.
    tenant: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct RealmPath {
    tenant: String,
    realm: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct IdentityPath {
    tenant: String,
    realm: String,
    /// An identity's id (`-`: every identity of the realm, where a list allows it).
    identity: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageQuery {
    /// Items per page: absent or 0 → 20, above 200 → 200.
    page_size: Option<u64>,
    /// `next_page_token` of the previous page.
    page_token: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct IdentityQuery {
    page_size: Option<u64>,
    page_token: Option<String>,
    /// `traits.username`, `traits.primary_email_address` or `traits.external_id`
    /// `eq "<value>"`.
    filter: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct JobQuery {
    page_size: Option<u64>,
    page_token: Option<String>,
    state: Option<crate::idm::types::JobState>,
    delivery_method: Option<crate::idm::types::DeliveryMethod>,
}

/// An error answer in the standard shape.
fn error(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Error")))
                .build(),
        )
        .build()
        .into()
}

fn set(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, d)| (status.to_string(), error(d)))
        .collect()
}

/// The errors any admin operation may answer.
pub struct AdminErrors;

impl IntoResponses for AdminErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            (
                "400",
                "Malformed input: the field is named in `FieldViolations`",
            ),
            ("401", "No valid API token"),
            ("403", "The token's scopes do not allow this"),
            ("404", "No such tenant, realm or resource"),
            ("409", "Conflicts with the current state"),
            ("412", "`If-Match` is not the current version"),
            ("413", "Request body too large"),
            ("422", "Impossible for this resource"),
            ("429", "Too many requests"),
            ("503", "The store is unavailable"),
        ])
    }
}

/// The errors the sign-in, binding, session and self-service calls may answer.
pub struct UserErrors;

impl IntoResponses for UserErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            ("400", "Malformed input"),
            ("401", "Not signed in, or not recently enough"),
            ("403", "Refused"),
            ("404", "No such resource"),
            ("409", "Conflicts with the current state"),
            ("410", "The link or ceremony is used up or expired"),
            ("413", "Request body too large"),
            ("422", "Impossible for this resource"),
            ("429", "Too many attempts"),
            ("503", "The store is unavailable"),
        ])
    }
}
