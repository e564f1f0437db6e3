//! The shapes of answers that handlers build as JSON objects around views (pages, wrappers,
//! ceremony and session answers), for the OpenAPI document. The views inside are the real
//! view types; the API fuzzer (`tests/api-fuzz/run.sh`) checks every answer against them.

// Only the untagged enums' variants are never built: they exist to be documented.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

use crate::idm::binding::views::{BatchView, JobView};
use crate::idm::views::{
    AuthenticatorConfigView, CredentialView, EventView, GroupView, IdentityView, RealmView,
    SessionView,
};

/// A page of a list (`page_size`, `page_token`): the items under the list's key, how many
/// there are in all, and the token of the next page while there is one.
macro_rules! page {
    ($(#[$m:meta])* $name:ident, $key:ident, $item:ty) => {
        $(#[$m])*
        #[derive(Serialize, ToSchema)]
        pub struct $name {
            pub $key: Vec<$item>,
            pub total_size: u64,
            pub next_page_token: Option<String>,
        }
    };
}

page!(RealmPage, realms, RealmView<'static>);
page!(IdentityPage, identities, IdentityView<'static>);
page!(GroupPage, groups, GroupView<'static>);
page!(EventPage, events, EventView<'static>);
page!(CredentialPage, credentials, CredentialView<'static>);
page!(JobPage, credential_binding_jobs, JobView<'static>);

/// An identity's live sessions (all of them: no paging).
#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionView<'static>>,
    pub total_size: u64,
}

/// The realm's authenticator configurations (all of them: no paging).
#[derive(Serialize, ToSchema)]
pub struct AuthenticatorConfigList {
    pub authenticator_configs: Vec<AuthenticatorConfigView<'static>>,
    pub total_size: u64,
}

/// The sessions a revocation ended.
#[derive(Serialize, ToSchema)]
pub struct Revoked {
    pub revoked_session_ids: Vec<String>,
}

/// `{}`: the answer of a delete.
#[derive(Serialize, ToSchema)]
pub struct Empty {}

/// passgate's realm-wide credential paths answer `{"credential": …}`.
#[derive(Serialize, ToSchema)]
pub struct CredentialWrapped {
    pub credential: CredentialView<'static>,
}

/// A new binding job, with its link when the delivery method is `RETURN`.
#[derive(Serialize, ToSchema)]
pub struct JobCreated {
    pub credential_binding_job: JobView<'static>,
    pub credential_binding_link: Option<String>,
}

/// A new batch: Beyond Identity's form answers the batch itself, passgate's form
/// `{"batch_credential_binding_job": …}` (with `RETURN` links in its results).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchCreated {
    Batch(BatchView<'static>),
    Wrapped {
        batch_credential_binding_job: BatchView<'static>,
    },
}

/// `:listResults`: a page of a batch's jobs with counts.
#[derive(Serialize, ToSchema)]
pub struct BatchResults {
    pub job_results: Vec<JobView<'static>>,
    pub total_success_count: u64,
    pub total_failure_count: u64,
    pub total_pending_count: u64,
    pub total_size: u64,
    pub next_page_token: Option<String>,
}

/// A begun WebAuthn ceremony: its id and the options for `navigator.credentials`.
#[derive(Serialize, ToSchema)]
pub struct CeremonyBegun {
    pub ceremony: String,
    /// `PublicKeyCredentialRequestOptions` (sign-in) or `…CreationOptions` (binding), in
    /// their JSON form.
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    pub public_key: serde_json::Value,
}

/// A finished sign-in: who signed in and where to go (the session cookie is set).
#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    pub identity: IdentityView<'static>,
    pub redirect: String,
}

/// A finished binding: the identity, its new passkey and where to go.
#[derive(Serialize, ToSchema)]
pub struct Bound {
    pub identity: IdentityView<'static>,
    pub passkey: CredentialView<'static>,
    pub redirect: Option<String>,
}

/// The signed-in identity as the session token carries it.
#[derive(Serialize, ToSchema)]
pub struct SessionIdentity {
    pub id: String,
    pub realm_id: String,
    pub username: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
}

/// The session: its id, when its user signed in and when the token expires (Unix seconds).
#[derive(Serialize, ToSchema)]
pub struct SessionTimes {
    pub id: String,
    pub auth_time: u64,
    pub expires_at: u64,
}

#[derive(Serialize, ToSchema)]
pub struct CurrentSession {
    pub identity: SessionIdentity,
    pub session: SessionTimes,
}

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    /// Always `accepted`, whatever the address.
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct OwnPasskeys {
    pub passkeys: Vec<CredentialView<'static>>,
}

#[derive(Serialize, ToSchema)]
pub struct OwnPasskey {
    pub passkey: CredentialView<'static>,
}

#[derive(Serialize, ToSchema)]
pub struct OwnLink {
    /// A one-time binding link for oneself.
    pub link: String,
}
